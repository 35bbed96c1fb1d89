package dev.kiln.codegen.jvm;

import dev.kiln.ir.DType;
import dev.kiln.ir.Interpreter;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.Kernels;
import dev.kiln.ir.kernel.Scheduler;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Differential fuzzing of the JVM backend against the reference interpreter: {@value #GRAPHS} seeded random graphs
 * from {@link GraphFuzzer} (seeds 0 .. {@value #GRAPHS}−1; {@code -Dkiln.fuzz.graphs=N} and
 * {@code -Dkiln.fuzz.firstSeed=S} pick others), each scheduled, compiled, run twice on the same inputs (the two runs
 * must agree bit for bit: temporaries are reused between runs) and compared with {@link Interpreter#evaluate}.
 *
 * <p>Comparison: integers and bools exactly; floating values the generator knows to be exact (see
 * {@link GraphFuzzer}) exactly too; other float32-derived values within {@code 1e-4 + 1e-3·|expected|} plus twice
 * the generator's bound on float32 rounding error, pure float64 values within {@code 1e-12 + 1e-10·|expected|}
 * plus twice the float64 error bound. A failure message names the seed and holds the graph dump and the kernels;
 * {@code GraphFuzzer.generate(seed)} rebuilds the graph.
 */
class BackendFuzzTest {
    static final int GRAPHS = 1500;

    @Test
    void randomGraphsMatchTheInterpreter() {
        int graphs = Integer.getInteger("kiln.fuzz.graphs", GRAPHS);
        long first = Long.getLong("kiln.fuzz.firstSeed", 0L);
        long start = System.nanoTime();
        Stats stats = new Stats();
        List<String> failures = new ArrayList<>();
        int failed = 0;
        for (long seed = first; seed < first + graphs; seed++) {
            String problem = check(GraphFuzzer.generate(seed), stats);
            if (problem != null) {
                failed++;
                if (failures.size() < 5) failures.add(problem);
            }
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("BackendFuzzTest: %d graphs (seeds %d..%d), %d kernels (%d pointwise of which %d store several values, %d reduction, %d contraction), "
                        + "%d outputs, %d elements compared, %d mismatching graphs, %d ms; max |error|/tolerance %.3g; ops %s%n",
                graphs, first, first + graphs - 1, stats.kernels(), stats.pointwise, stats.multiStore, stats.reduction, stats.contraction,
                stats.outputs, stats.elements, failed, ms, stats.worstRatio, stats.ops);
        if (failed > 0) fail(failed + " of " + graphs + " graphs disagree with the interpreter; the first:\n\n" + String.join("\n\n", failures));
        assertTrue(graphs < 1000 || stats.contraction > 0 && stats.reduction > 0, "the fuzzer should produce every kind of kernel");
    }

    /** Counters for the summary line. */
    static final class Stats {
        int pointwise, multiStore, reduction, contraction, outputs;
        long elements;
        double worstRatio;
        final Map<String, Integer> ops = new TreeMap<>();

        int kernels() { return pointwise + reduction + contraction; }
    }

    /** Schedules, compiles and runs a case on the JVM backend (inputs in the schedule's order). */
    static Compiled compile(GraphFuzzer.Case c) {
        Scheduler.Schedule s = Scheduler.schedule(c.outputs(), n -> false);
        Program p = new JvmBackend().compile(s.graph());
        return new Compiled(c, s, p);
    }

    record Compiled(GraphFuzzer.Case c, Scheduler.Schedule schedule, Program program) {
        List<HostBuffer> run() {
            List<HostBuffer> in = new ArrayList<>();
            for (Node n : schedule.inputs()) in.add(HostBuffer.of(n.dtype(), c.inputValues().get(n)));
            return program.run(in);
        }
    }

    /** Null when the backend agrees with the interpreter on case {@code c}, else a reproducible description. */
    static String check(GraphFuzzer.Case c, Stats stats) {
        Compiled compiled = null;
        try {
            compiled = compile(c);
            List<HostBuffer> first = compiled.run();
            List<HostBuffer> second = compiled.run();
            Map<Node, double[]> expected = Interpreter.evaluate(c.outputs(), c.inputValues());
            if (stats != null) count(c, compiled, stats);
            for (int o = 0; o < c.outputs().size(); o++) {
                Node out = c.outputs().get(o);
                double[] exp = expected.get(out);
                HostBuffer act = first.get(o);
                if (act.length() != exp.length) return report(c, compiled, "output " + o + " has " + act.length() + " elements, expected " + exp.length);
                for (int i = 0; i < exp.length; i++) {
                    if (Double.doubleToRawLongBits(act.get(i)) != Double.doubleToRawLongBits(second.get(o).get(i))) {
                        return report(c, compiled, "output " + o + " element " + i + " differs between two runs: " + act.get(i) + " then " + second.get(o).get(i));
                    }
                }
                GraphFuzzer.Info info = c.info().get(out);
                for (int i = 0; i < exp.length; i++) {
                    double a = act.get(i), e = exp[i];
                    double tol = tolerance(out.dtype(), info, e);
                    boolean ok = Double.isNaN(e) ? Double.isNaN(a) : Math.abs(a - e) <= tol;
                    if (!ok) {
                        return report(c, compiled, "output " + o + " " + out + " element " + i + " (of " + exp.length + "): backend " + a
                                + ", interpreter " + e + ", |difference| " + Math.abs(a - e) + " > tolerance " + tol + " (" + info + ")"
                                + mismatchSummary(exp, act, out.dtype(), info));
                    }
                    if (stats != null && tol > 0) stats.worstRatio = Math.max(stats.worstRatio, Math.abs(a - e) / tol);
                }
                if (stats != null) stats.elements += exp.length;
            }
            return null;
        } catch (Throwable t) {
            StringWriter w = new StringWriter();
            t.printStackTrace(new PrintWriter(w));
            return report(c, compiled, "threw " + w);
        }
    }

    /** How far a backend value may be from the interpreter's. */
    static double tolerance(DType t, GraphFuzzer.Info info, double expected) { return info.tolerance(t, expected); }

    private static String mismatchSummary(double[] exp, HostBuffer act, DType t, GraphFuzzer.Info info) {
        int bad = 0;
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < exp.length; i++) {
            if (Math.abs(act.get(i) - exp[i]) > tolerance(t, info, exp[i]) || Double.isNaN(act.get(i)) != Double.isNaN(exp[i])) {
                if (bad < 8) s.append("\n    [").append(i).append("] backend ").append(act.get(i)).append(", interpreter ").append(exp[i]);
                bad++;
            }
        }
        return "\n  " + bad + " of " + exp.length + " elements differ:" + s;
    }

    static String report(GraphFuzzer.Case c, Compiled compiled, String what) {
        return "seed " + c.seed() + " (GraphFuzzer.generate(" + c.seed() + "L)): " + what
                + "\n-- graph:\n" + c.dump()
                + "-- kernels:\n" + (compiled == null ? kernelsOrWhy(c) : Kernels.format(compiled.schedule().graph()));
    }

    private static String kernelsOrWhy(GraphFuzzer.Case c) {
        try {
            return Kernels.format(Scheduler.schedule(c.outputs(), n -> false).graph());
        } catch (Throwable t) {
            return "(scheduling failed: " + t + ")";
        }
    }

    private static void count(GraphFuzzer.Case c, Compiled compiled, Stats stats) {
        for (Kernel k : compiled.schedule().graph().kernels()) {
            switch (k) {
                case Kernel.Pointwise p -> {
                    stats.pointwise++;
                    if (p.stores().size() > 1) stats.multiStore++;
                }
                case Kernel.Reduction r -> stats.reduction++;
                case Kernel.Contraction x -> stats.contraction++;
            }
        }
        stats.outputs += c.outputs().size();
        for (Node n : dev.kiln.ir.Graph.topologicalOrder(c.outputs())) stats.ops.merge(n.op().name(), 1, Integer::sum);
    }

    /**
     * Arithmetic on bool tensors yields bool, 0 or 1 (the interpreter computes, then maps non-zero to 1): add is
     * "or", sub "xor". The smallest graphs of the fuzzer's bool mismatches.
     */
    @Test
    void boolArithmeticStaysZeroOrOne() {
        for (Op.BinaryFn fn : List.of(Op.BinaryFn.ADD, Op.BinaryFn.SUB, Op.BinaryFn.MUL, Op.BinaryFn.MAX, Op.BinaryFn.MIN)) {
            Node a = Node.leaf(Op.Role.INPUT, "a", Shape.of(4), DType.BOOL), b = Node.leaf(Op.Role.INPUT, "b", Shape.of(4), DType.BOOL);
            Node sum = Ops.binary(fn, a, b);
            Node asFloat = Ops.cast(sum, DType.F32);
            Map<Node, double[]> in = new IdentityHashMap<>(Map.of(a, new double[] {1, 1, 0, 0}, b, new double[] {1, 0, 1, 0}));
            List<Node> outputs = List.of(sum, asFloat);
            Map<Node, double[]> expected = Interpreter.evaluate(outputs, in);
            Scheduler.Schedule s = Scheduler.schedule(outputs, n -> false);
            List<HostBuffer> actual = new JvmBackend().compile(s.graph()).run(
                    List.of(HostBuffer.of(DType.BOOL, in.get(s.inputs().get(0))), HostBuffer.of(DType.BOOL, in.get(s.inputs().get(1)))));
            for (int o = 0; o < outputs.size(); o++) {
                assertArrayEquals(expected.get(outputs.get(o)), actual.get(o).toDoubles(), fn + " of bools, output " + o
                        + " (a = [1, 1, 0, 0], b = [1, 0, 1, 0])\n" + dev.kiln.ir.Graph.dump(outputs) + Kernels.format(s.graph()));
            }
        }
    }

    /** The generator is deterministic and reaches every op, so that a broken generator cannot make the fuzz test vacuous. */
    @Test
    void generatorIsDeterministicAndVaried() {
        GraphFuzzer.Case a = GraphFuzzer.generate(42), b = GraphFuzzer.generate(42);
        assertEquals(a.dump().replaceAll("\"(x|seed)\\d+\"", "\"L\""), b.dump().replaceAll("\"(x|seed)\\d+\"", "\"L\""),
                "the same seed must give the same graph");
        Stats stats = new Stats();
        for (long seed = 0; seed < 300; seed++) {
            GraphFuzzer.Case c = GraphFuzzer.generate(seed);
            for (Node n : dev.kiln.ir.Graph.topologicalOrder(c.outputs())) stats.ops.merge(n.op().name(), 1, Integer::sum);
        }
        for (String op : List.of("neg", "reciprocal", "exp", "log", "sqrt", "abs", "sign", "tanh", "sigmoid",
                "add", "sub", "mul", "div", "max", "min", "pow", "lt", "eq", "where", "Cast", "Reshape", "Permute",
                "Expand", "Slice", "Pad", "reduce_sum", "reduce_max", "matmul", "conv2d", "RandomUniform")) {
            assertTrue(stats.ops.getOrDefault(op, 0) > 0, "300 fuzzed graphs have no " + op + ": " + stats.ops);
        }
    }
}
