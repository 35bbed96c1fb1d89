package dev.kiln.examples;

import dev.kiln.dsl.F;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.Module;
import dev.kiln.dsl.nn.Parameter;
import dev.kiln.dsl.nn.ReLU;
import dev.kiln.dsl.nn.Sequential;
import dev.kiln.ir.Node;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Kernels;
import dev.kiln.ir.kernel.Scheduler;
import dev.kiln.runtime.Executor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** How the scheduler cuts graphs into kernels, counted and snapshotted, and the compile cache. */
class KernelCountTest {

    private static KernelGraph kernels(Tensor... outputs) {
        return Scheduler.schedule(java.util.Arrays.stream(outputs).map(Tensor::node).toList(), n -> false).graph();
    }

    @Test
    void elementwiseChainIsOneKernel() {
        Tensor x = Kiln.randn(1 << 10), w = Kiln.randn(1 << 10), b = Kiln.randn(1 << 10);
        KernelGraph g = kernels(x.mul(w).add(b).relu().mul(0.5).sub(x));
        assertEquals(1, g.kernels().size(), Kernels.format(g));
        snapshot("eltwise_chain", g);
    }

    @Test
    void linearWithReluIsOneContractionWithItsEpilogue() {
        Tensor y = new Sequential(new Linear(784, 256), new ReLU()).invoke(Kiln.randn(64, 784));
        KernelGraph g = kernels(y);
        assertEquals(1, g.kernels().size(), Kernels.format(g));
        assertInstanceOf(Kernel.Contraction.class, g.kernels().get(0));
        snapshot("linear_relu", g);
    }

    @Test
    void convolutionIsAnImplicitGemm() {
        Tensor y = F.conv2d(Kiln.randn(2, 3, 9, 9), Kiln.randn(4, 3, 3, 3), Kiln.randn(4), 2, 1);
        KernelGraph g = kernels(y);
        assertEquals(1, g.kernels().size(), Kernels.format(g));
        snapshot("conv2d_s2p1", g);
    }

    @Test
    void leNetForwardAndTrainingStep() {
        assertEquals(7, Scheduler.schedule(LeNetGraphs.forward(64), n -> false).graph().kernels().size());
        List<Node> step = LeNetGraphs.trainingStep(64);
        assertEquals(46, Scheduler.schedule(step, n -> false).graph().kernels().size());
    }

    @Test
    void runningTheSameTrainingStepAgainCompilesNothing() {
        Module net = new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 1));
        Runnable step = () -> {
            net.zeroGrad();
            Tensor loss = F.mseLoss(net.invoke(Kiln.randn(4, 8)), Kiln.randn(4, 1));
            loss.backward();
            dev.kiln.dsl.Autograd.noGrad(() -> {
                for (Parameter p : net.parameters()) p.sub_(p.grad().mul(0.1));
            });
            loss.item();
        };
        step.run();
        step.run();
        long before = Executor.compilations();
        step.run();
        assertEquals(before, Executor.compilations(), "a repeated step must reuse every compiled program");
    }

    /**
     * Compares the kernel IR text with src/test/resources/snapshots/NAME.txt; with KILN_UPDATE_SNAPSHOTS=1 it
     * (re)writes the file instead, so a reviewed change is one command.
     */
    static void snapshot(String name, KernelGraph g) {
        Path file = Path.of("src/test/resources/snapshots", name + ".txt");
        String text = Kernels.format(g);
        try {
            if ("1".equals(System.getenv("KILN_UPDATE_SNAPSHOTS")) || !Files.exists(file)) {
                Files.createDirectories(file.getParent());
                Files.writeString(file, text);
                if (!"1".equals(System.getenv("KILN_UPDATE_SNAPSHOTS"))) {
                    throw new AssertionError("snapshot " + file + " did not exist; wrote it — review and commit it");
                }
            }
            assertEquals(Files.readString(file), text, "kernel IR of " + name + " changed (KILN_UPDATE_SNAPSHOTS=1 to accept)");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
