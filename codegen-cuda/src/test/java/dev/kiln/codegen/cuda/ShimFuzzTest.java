package dev.kiln.codegen.cuda;

import dev.kiln.codegen.jvm.GraphFuzzer;
import dev.kiln.codegen.jvm.JvmBackend;
import dev.kiln.ir.Node;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Kernels;
import dev.kiln.ir.kernel.Scheduler;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The JVM backend's fuzzer graphs ({@value #GRAPHS} seeds; {@code -Dkiln.cuda.fuzz.graphs=N} for more), rendered to
 * CUDA C, compiled to PTX for sm_90 by nvcc, and run on the CPU through the host shim: every output must agree with
 * the JVM backend's within the fuzzer's tolerance for the value (integers and exactly computable floats exactly).
 */
class ShimFuzzTest {
    static final int GRAPHS = 300;

    @Test
    void fuzzedGraphsMatchTheJvmBackend() {
        CudaToolchain.requireNvccAndCxx();
        int graphs = Integer.getInteger("kiln.cuda.fuzz.graphs", GRAPHS);
        List<GraphFuzzer.Case> cases = new ArrayList<>();
        List<Scheduler.Schedule> schedules = new ArrayList<>();
        List<HostShim.Case> shimCases = new ArrayList<>();
        List<List<HostBuffer>> jvm = new ArrayList<>();
        StringBuilder allKernels = new StringBuilder();
        int pointwise = 0, multiStore = 0, reduction = 0, contraction = 0;
        for (long seed = 0; seed < graphs; seed++) {
            GraphFuzzer.Case c = GraphFuzzer.generate(seed);
            Scheduler.Schedule s = Scheduler.schedule(c.outputs(), n -> false);
            List<HostBuffer> in = new ArrayList<>();
            for (Node n : s.inputs()) in.add(HostBuffer.of(n.dtype(), c.inputValues().get(n)));
            cases.add(c);
            schedules.add(s);
            shimCases.add(new HostShim.Case(s.graph(), in));
            jvm.add(new JvmBackend().compile(s.graph()).run(in));
            allKernels.append(CudaRenderer.render(s.graph(), "g" + seed + "_").kernels());
            for (Kernel k : s.graph().kernels()) {
                switch (k) {
                    case Kernel.Pointwise p -> {
                        pointwise++;
                        if (p.stores().size() > 1) multiStore++;
                    }
                    case Kernel.Reduction r -> reduction++;
                    case Kernel.Contraction x -> contraction++;
                }
            }
        }
        assertTrue(multiStore > 0, "the fuzzed graphs should include pointwise kernels that store several values");
        long t0 = System.nanoTime();
        byte[] ptx = PtxCompiler.nvcc(CudaRenderer.prelude() + allKernels, PtxCompiler.DEFAULT_ARCH);
        long t1 = System.nanoTime();
        assertTrue(new String(ptx).contains(".target sm_90"), "nvcc wrote PTX for sm_90");
        List<List<HostBuffer>> shim = HostShim.run(shimCases, CudaToolchain.workDir("fuzz"));
        long t2 = System.nanoTime();

        List<String> failures = new ArrayList<>();
        long elements = 0;
        for (int i = 0; i < cases.size(); i++) {
            GraphFuzzer.Case c = cases.get(i);
            for (int o = 0; o < c.outputs().size(); o++) {
                Node out = c.outputs().get(o);
                GraphFuzzer.Info info = c.info().get(out);
                HostBuffer expected = jvm.get(i).get(o), actual = shim.get(i).get(o);
                for (int e = 0; e < expected.length(); e++) {
                    double x = expected.get(e), y = actual.get(e);
                    double tol = 2 * info.tolerance(out.dtype(), x);
                    boolean ok = Double.isNaN(x) ? Double.isNaN(y) : Math.abs(x - y) <= tol;
                    if (!ok) {
                        failures.add("seed " + c.seed() + " output " + o + " element " + e + ": CUDA (shim) " + y + ", JVM " + x
                                + ", tolerance " + tol + "\n" + c.dump() + Kernels.format(schedules.get(i).graph())
                                + CudaRenderer.render(schedules.get(i).graph(), "").kernels());
                        break;
                    }
                }
                elements += expected.length();
            }
        }
        System.out.printf("ShimFuzzTest: %d graphs, %d kernels (%d pointwise, %d reduction, %d contraction), %d elements compared,"
                        + " %d mismatches; nvcc %d ms, shim compile+run %d ms%n", graphs, pointwise + reduction + contraction, pointwise,
                reduction, contraction, elements, failures.size(), (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
        if (!failures.isEmpty()) fail(failures.size() + " outputs disagree; the first:\n" + String.join("\n\n", failures.subList(0, Math.min(3, failures.size()))));
        assertTrue(contraction > 0 && reduction > 0 && pointwise > 0, "every kind of kernel was exercised");
    }
}
