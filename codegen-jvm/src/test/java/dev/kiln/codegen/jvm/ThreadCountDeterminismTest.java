package dev.kiln.codegen.jvm;

import dev.kiln.codegen.jvm.gemm.Parallelism;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Kernels;
import dev.kiln.ir.kernel.Scheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Results must not depend on the thread count: fuzzed graphs with large tensors (more than 32768 elements, so that
 * {@link Threads#forRange} and the GEMM really split the work) give bit-identical outputs with 1, 2 and 3 threads,
 * and agree with the interpreter. The thread count is restored afterwards.
 */
class ThreadCountDeterminismTest {
    /** How many large fuzzed graphs (each with at least one kernel that splits) to check. */
    static final int CASES = 12;
    private static final long SPLIT_WORK = 1 << 15;

    private Parallelism saved;

    @BeforeEach void save() { saved = Threads.parallelism(); }

    @AfterEach void restore() { JvmBackend.setThreads(saved.threads()); }

    @Test
    void fuzzedLargeGraphsAreBitIdenticalAcrossThreadCounts() {
        int checked = 0, kernels = 0;
        long seed = 0, elements = 0;
        for (; checked < CASES && seed < 400; seed++) {
            GraphFuzzer.Case c = GraphFuzzer.generate(seed, GraphFuzzer.Config.LARGE);
            BackendFuzzTest.Compiled compiled = BackendFuzzTest.compile(c);
            if (!splits(compiled.schedule().graph())) continue;
            List<List<HostBuffer>> results = new ArrayList<>();
            for (int threads : new int[] {1, 2, 3}) {
                JvmBackend.setThreads(threads);
                results.add(compiled.run());
            }
            for (int t = 1; t < results.size(); t++) {
                String diff = difference(results.get(0), results.get(t));
                if (diff != null) fail(BackendFuzzTest.report(c, compiled, "1 thread vs " + (t + 1) + " threads: " + diff + " (LARGE config)"));
            }
            JvmBackend.setThreads(2);
            String problem = BackendFuzzTest.check(c, null);
            if (problem != null) fail("(LARGE config, 2 threads) " + problem);
            checked++;
            kernels += compiled.schedule().graph().kernels().size();
            for (HostBuffer h : results.get(0)) elements += h.length();
        }
        System.out.printf("ThreadCountDeterminismTest: %d large graphs (of seeds 0..%d), %d kernels, %d output elements bit-identical with 1, 2, 3 threads%n",
                checked, seed - 1, kernels, elements);
        assertEquals(CASES, checked, "seeds 0.." + seed + " gave too few graphs whose work splits across threads");
    }

    /** A fixed graph with a big GEMM, conv, reduction and elementwise kernel, all of which split. */
    @Test
    void handBuiltLargeGraphIsBitIdenticalAcrossThreadCounts() {
        Random r = new Random(7);
        Node a = leaf("a", Shape.of(257, 129), r), b = leaf("b", Shape.of(129, 263), r);
        Node mm = Ops.matmul(Ops.unary(Op.UnaryFn.TANH, a), b);                     // packed A, GEMM 257x263x129
        Node act = Ops.mul(Ops.unary(Op.UnaryFn.SIGMOID, mm), Ops.scalar(0.5, DType.F32));      // epilogue
        Node rows = Ops.sum(Ops.unary(Op.UnaryFn.EXP, Ops.unary(Op.UnaryFn.TANH, mm)), List.of(1), true);   // reduction over 263
        Node soft = Ops.div(Ops.unary(Op.UnaryFn.EXP, Ops.unary(Op.UnaryFn.TANH, mm)), rows);
        Node x = leaf("x", Shape.of(2, 3, 130, 131), r), w = leaf("w", Shape.of(5, 3, 3, 3), r);
        Node conv = Ops.conv2d(x, w, 1, 1, 1, 1, 1, 1);                                        // [2, 5, 130, 131]
        Node pooled = Ops.max(Ops.reshape(conv, Shape.of(2, 5, 65, 2, 131)), List.of(3), false);
        List<Node> outputs = List.of(act, soft, pooled, Ops.sum(soft, List.of(0), false));
        Scheduler.Schedule s = Scheduler.schedule(outputs, n -> false);
        if (!splits(s.graph())) fail("the hand-built graph should split:\n" + Kernels.format(s.graph()));
        Program p = new JvmBackend().compile(s.graph());
        List<HostBuffer> in = new ArrayList<>();
        for (Node n : s.inputs()) in.add(HostBuffer.of(n.dtype(), values.get(n)));
        List<List<HostBuffer>> results = new ArrayList<>();
        for (int threads : new int[] {1, 2, 4}) {
            JvmBackend.setThreads(threads);
            results.add(p.run(in));
        }
        for (int t = 1; t < results.size(); t++) {
            assertNull(difference(results.get(0), results.get(t)), () -> "thread counts disagree\n" + Kernels.format(s.graph()));
        }
    }

    private final java.util.Map<Node, double[]> values = new java.util.IdentityHashMap<>();

    private Node leaf(String name, Shape s, Random r) {
        Node n = Node.leaf(Op.Role.INPUT, name, s, DType.F32);
        double[] v = new double[s.numel()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian() * 0.5;
        values.put(n, v);
        return n;
    }

    /** Whether some kernel has enough work, and more than one index on its parallel axis, to run on several threads. */
    static boolean splits(KernelGraph g) {
        for (Kernel k : g.kernels()) {
            long work = switch (k) {
                case Kernel.Pointwise p -> p.shape().numel();
                case Kernel.Reduction r -> r.domain().numel();
                case Kernel.Contraction c -> (long) c.m() * c.n();
            };
            if (work >= SPLIT_WORK && KernelCompiler.parallelExtent(k) >= 2) return true;
        }
        return false;
    }

    /** Null when both runs' outputs are bit-identical, else where they first differ. */
    static String difference(List<HostBuffer> x, List<HostBuffer> y) {
        for (int o = 0; o < x.size(); o++) {
            HostBuffer a = x.get(o), b = y.get(o);
            for (int i = 0; i < a.length(); i++) {
                if (Double.doubleToRawLongBits(a.get(i)) != Double.doubleToRawLongBits(b.get(i))) {
                    return "output " + o + " element " + i + ": " + a.get(i) + " vs " + b.get(i);
                }
            }
        }
        return null;
    }
}
