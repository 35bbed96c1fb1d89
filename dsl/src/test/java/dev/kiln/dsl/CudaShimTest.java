package dev.kiln.dsl;

import dev.kiln.codegen.cuda.CudaRenderer;
import dev.kiln.codegen.cuda.HostShim;
import dev.kiln.codegen.cuda.PtxCompiler;
import dev.kiln.dsl.nn.Conv2d;
import dev.kiln.dsl.nn.CrossEntropyLoss;
import dev.kiln.dsl.nn.Flatten;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.MaxPool2d;
import dev.kiln.dsl.nn.ReLU;
import dev.kiln.dsl.nn.Sequential;
import dev.kiln.dsl.optim.SGD;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.kernel.Kernels;
import dev.kiln.runtime.Executor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The CUDA renderer on real workloads, without a GPU: every program the op table (forward and backward of every row)
 * and a LeNet training step run on the JVM backend is recorded, rendered to CUDA C, compiled to PTX for sm_90 with
 * nvcc, executed on the CPU through the host shim, and compared with the JVM backend's outputs.
 */
class CudaShimTest {

    @Test
    void opTableKernelsMatchTheJvmBackend() {
        requireToolchain();
        List<RecordingBackend.Run> runs = record(CudaShimTest::runOpTable);
        assertTrue(runs.size() >= OpTable.CASES.size(), "every row ran at least one program: " + runs.size());
        compare(runs, "optable", 1e-5, 1e-4);
    }

    @Test
    void lenetTrainingStepMatchesTheJvmBackend() {
        requireToolchain();
        List<RecordingBackend.Run> steps = lenetSteps(8, 28);
        compare(steps, "lenet", 1e-4, 1e-3);
    }

    /** Every op table row forward and backward, in float32: the programs the op table makes a backend run. */
    static void runOpTable() {
        for (OpTable.Case c : OpTable.CASES) {
            List<Tensor> inputs = GradCheckTest.float64Inputs(c);
            List<Tensor> as32 = new ArrayList<>();
            for (Tensor t : inputs) {
                Tensor x = t.dtype().isFloating() ? t.to(dev.kiln.ir.DType.F32).detach() : t;
                if (x.dtype().isFloating()) x.requiresGrad_(true);
                as32.add(x);
            }
            Tensor y = c.fn().apply(as32);
            y.toDoubleArray();
            y.backward(Kiln.onesLike(y));
            for (Tensor x : as32) if (x.grad() != null) x.grad().toDoubleArray();
        }
    }

    /** Two compiled LeNet training steps (cross-entropy, SGD with momentum) on a batch of {@code size}×{@code size} images, recorded. */
    static List<RecordingBackend.Run> lenetSteps(int batch, int size) {
        List<RecordingBackend.Run> runs = record(() -> {
            Kiln.manualSeed(0);
            Sequential lenet = new Sequential(new Conv2d(1, 6, 5, 1, 2), new ReLU(), new MaxPool2d(2), new Conv2d(6, 16, 5), new ReLU(),
                    new MaxPool2d(2), new Flatten(), new Linear(400, 120), new ReLU(), new Linear(120, 84), new ReLU(), new Linear(84, 10));
            SGD sgd = new SGD(lenet.parameters(), 0.05, 0.9);
            Tensor x = Kiln.randn(batch, 1, size, size), y = Kiln.randint(0, 10, batch);
            TrainingStep step = TrainingStep.compile(lenet, new CrossEntropyLoss(), sgd, x, y);
            step.step(x, y);
            step.step(x, y);
        });
        List<RecordingBackend.Run> steps = runs.stream().filter(r -> r.graph().kernels().size() > 20).toList();
        assertEquals(2, steps.size(), "two compiled steps recorded");
        return steps;
    }

    private static void requireToolchain() {
        boolean nvcc = PtxCompiler.available(), cxx = HostShim.compiler() != null;
        if (!nvcc || !cxx) {
            String why = "the CUDA shim tests need nvcc and a C++ compiler on the PATH (nvcc: " + nvcc + ", c++: " + cxx + ")";
            if (System.getenv("CI") != null) throw new IllegalStateException(why + "; CI installs both");
            Assumptions.abort(why);
        }
    }

    /** Runs {@code body} on the JVM backend, recording every program run (graph, inputs, outputs). */
    static List<RecordingBackend.Run> record(Runnable body) {
        RecordingBackend.RUNS.clear();
        Executor.withBackend("recording-jvm", () -> {
            body.run();
            return null;
        });
        List<RecordingBackend.Run> runs = new ArrayList<>(RecordingBackend.RUNS);
        RecordingBackend.RUNS.clear();
        return runs;
    }

    /** Whether a CUDA result agrees with the JVM backend's: NaN where it is NaN, else within atol + rtol·|jvm|. */
    static boolean agrees(double cuda, double jvm, double atol, double rtol) {
        return Double.isNaN(jvm) ? Double.isNaN(cuda) : Math.abs(cuda - jvm) <= atol + rtol * Math.abs(jvm);
    }

    /** Renders, nvcc-compiles and shim-runs every recorded run; each output within atol + rtol·|jvm|. */
    private static void compare(List<RecordingBackend.Run> runs, String name, double atol, double rtol) {
        StringBuilder kernels = new StringBuilder();
        List<HostShim.Case> cases = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            kernels.append(CudaRenderer.render(runs.get(i).graph(), "r" + i + "_").kernels());
            cases.add(new HostShim.Case(runs.get(i).graph(), runs.get(i).inputs()));
        }
        byte[] ptx = PtxCompiler.compile(CudaRenderer.prelude() + kernels, PtxCompiler.DEFAULT_ARCH);
        assertTrue(new String(ptx).contains(".entry r0_k0"), "PTX has the kernels");
        Path dir = Path.of(System.getProperty("user.dir"), "target", "cuda-shim", name);
        List<List<HostBuffer>> shim = HostShim.run(cases, dir);
        int compared = 0;
        for (int i = 0; i < runs.size(); i++) {
            RecordingBackend.Run r = runs.get(i);
            for (int o = 0; o < r.outputs().size(); o++) {
                HostBuffer jvm = r.outputs().get(o), cuda = shim.get(i).get(o);
                for (int e = 0; e < jvm.length(); e++) {
                    double a = cuda.get(e), b = jvm.get(e);
                    if (!agrees(a, b, atol, rtol)) {
                        fail(name + " run " + i + " output " + o + " element " + e + ": CUDA (shim) " + a + ", JVM " + b + "\n"
                                + Kernels.format(r.graph()));
                    }
                    compared++;
                }
            }
        }
        System.out.println("CudaShimTest " + name + ": " + runs.size() + " programs, "
                + runs.stream().mapToInt(r -> r.graph().kernels().size()).sum() + " kernels, " + compared + " values match the JVM backend");
    }
}
