package dev.kiln.codegen.cuda;

import dev.kiln.codegen.jvm.GraphFuzzer;
import dev.kiln.codegen.jvm.JvmBackend;
import dev.kiln.ir.Node;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.Scheduler;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * On a real GPU: the fuzzer's graphs through {@link CudaBackend} (NVRTC or nvcc, JCuda, CUDA-graph replay) against the
 * JVM backend. Without a GPU every test here is skipped, saying why (the driver's reason).
 */
class GpuTest {
    @BeforeEach
    void needsGpu() {
        CudaBackend cuda = new CudaBackend();
        Assumptions.assumeTrue(!cuda.devices().isEmpty(), () -> "no CUDA GPU here: " + cuda.unavailableReason());
    }

    @Test
    void fuzzedGraphsMatchTheJvmBackendOnTheGpu() {
        CudaBackend cuda = new CudaBackend();
        int mismatches = 0;
        StringBuilder first = new StringBuilder();
        List<GraphFuzzer.Case> cases = LongStream.range(0, 300).mapToObj(GraphFuzzer::generate).toList();
        List<Scheduler.Schedule> schedules = cases.stream().map(c -> Scheduler.schedule(c.outputs(), n -> false)).toList();
        List<Program> programs = schedules.parallelStream().map(s -> cuda.compile(s.graph())).toList();   // one nvcc each, side by side
        for (int i = 0; i < cases.size(); i++) {
            GraphFuzzer.Case c = cases.get(i);
            Scheduler.Schedule s = schedules.get(i);
            long seed = c.seed();
            List<HostBuffer> in = new ArrayList<>();
            for (Node n : s.inputs()) in.add(HostBuffer.of(n.dtype(), c.inputValues().get(n)));
            List<HostBuffer> jvm = new JvmBackend().compile(s.graph()).run(in);
            Program p = programs.get(i);
            List<HostBuffer> once = p.run(in), replayed = p.run(in);     // the second run replays the captured CUDA graph
            for (int o = 0; o < jvm.size(); o++) {
                GraphFuzzer.Info info = c.info().get(c.outputs().get(o));
                for (int e = 0; e < jvm.get(o).length(); e++) {
                    double x = jvm.get(o).get(e), y = once.get(o).get(e);
                    assertEquals(Double.doubleToRawLongBits(y), Double.doubleToRawLongBits(replayed.get(o).get(e)), "seed " + seed + ": graph replay differs");
                    if (Double.isNaN(x) ? !Double.isNaN(y) : Math.abs(x - y) > 2 * info.tolerance(c.outputs().get(o).dtype(), x)) {
                        if (mismatches++ == 0) first.append("seed ").append(seed).append(" output ").append(o).append(" element ").append(e)
                                .append(": GPU ").append(y).append(", JVM ").append(x);
                        break;
                    }
                }
            }
        }
        if (mismatches > 0) fail(mismatches + " outputs disagree; first: " + first);
    }

    @Test
    void compilesForTheGpusArchitecture() {
        assertTrue(CudaBackend.arch().startsWith("sm_"), CudaBackend.arch());
    }
}
