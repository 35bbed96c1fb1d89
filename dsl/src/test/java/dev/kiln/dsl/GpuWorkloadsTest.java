package dev.kiln.dsl;

import dev.kiln.codegen.cuda.CudaBackend;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.Kernels;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * On a real GPU: the PyTorch fixtures through the CUDA backend, and every program of the op table and of LeNet
 * training steps (batch 8 and 64, whose weight gradients are split contractions) against the JVM backend. Without a
 * GPU each test is skipped, saying why. Programs are compiled side by side first (one nvcc per program; the PTX is
 * cached on disk, so the checks that follow find it).
 */
class GpuWorkloadsTest {
    @BeforeEach
    void needsGpu() {
        Assumptions.assumeTrue(Kiln.cudaIsAvailable(), () -> "no CUDA GPU here: " + Kiln.cudaUnavailableReason());
    }

    @Test
    void goldenFixturesMatchPyTorchOnTheGpu() {
        List<OpTable.Case> cases = OpTable.CASES.stream().filter(c -> c.fixture() != null).toList();
        Runnable checks = () -> cases.forEach(c -> GoldenOpTest.check(c, Fixtures.load(c.fixture())));
        precompile(CudaShimTest.record(checks));
        List<String> failures = new ArrayList<>();
        Backends.on("cuda", () -> {
            for (OpTable.Case c : cases) {
                try {
                    GoldenOpTest.check(c, Fixtures.load(c.fixture()));
                } catch (AssertionError | RuntimeException e) {
                    failures.add(c.fixture() + ": " + e.getMessage());
                }
            }
        });
        System.out.println("GpuWorkloadsTest: " + cases.size() + " fixtures on the GPU, " + failures.size() + " failures");
        if (!failures.isEmpty()) fail(failures.size() + " fixtures disagree with PyTorch on the GPU:\n" + String.join("\n", failures));
    }

    @Test
    void opTableProgramsMatchTheJvmBackendOnTheGpu() {
        compareOnGpu(CudaShimTest.record(CudaShimTest::runOpTable), "optable", 1e-5, 1e-4);
    }

    @Test
    void lenetTrainingStepsMatchTheJvmBackendOnTheGpu() {
        compareOnGpu(CudaShimTest.lenetSteps(8, 28), "lenet b8", 1e-4, 1e-3);
        compareOnGpu(CudaShimTest.lenetSteps(64, 28), "lenet b64", 1e-4, 1e-3);
    }

    private static List<Program> precompile(List<RecordingBackend.Run> runs) {
        CudaBackend cuda = new CudaBackend();
        return runs.parallelStream().map(r -> cuda.compile(r.graph())).toList();
    }

    /** Runs every recorded program on the GPU (twice: launched, then replayed as a CUDA graph); outputs within atol + rtol·|jvm|. */
    private static void compareOnGpu(List<RecordingBackend.Run> runs, String name, double atol, double rtol) {
        assertTrue(!runs.isEmpty(), name + ": nothing recorded");
        List<Program> programs = precompile(runs);
        long compared = 0;
        for (int i = 0; i < runs.size(); i++) {
            RecordingBackend.Run r = runs.get(i);
            List<HostBuffer> first = programs.get(i).run(RecordingBackend.copies(r.inputs()));
            List<HostBuffer> replayed = programs.get(i).run(RecordingBackend.copies(r.inputs()));
            for (int o = 0; o < r.outputs().size(); o++) {
                HostBuffer jvm = r.outputs().get(o);
                for (int e = 0; e < jvm.length(); e++) {
                    double a = first.get(o).get(e), b = jvm.get(e);
                    if (!CudaShimTest.agrees(a, b, atol, rtol)) fail(name + " run " + i + " output " + o + " element " + e + ": GPU " + a + ", JVM " + b + "\n" + Kernels.format(r.graph()));
                    if (Double.doubleToRawLongBits(a) != Double.doubleToRawLongBits(replayed.get(o).get(e))) {
                        fail(name + " run " + i + " output " + o + " element " + e + ": the replayed CUDA graph gave " + replayed.get(o).get(e) + ", the first run " + a);
                    }
                    compared++;
                }
            }
        }
        System.out.println("GpuWorkloadsTest " + name + ": " + runs.size() + " programs, "
                + runs.stream().mapToInt(r -> r.graph().kernels().size()).sum() + " kernels, " + compared + " values match the JVM backend");
    }
}
