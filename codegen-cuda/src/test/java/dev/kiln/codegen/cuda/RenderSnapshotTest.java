package dev.kiln.codegen.cuda;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Scheduler;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden snapshots of rendered CUDA C for one kernel of each kind: a fused elementwise chain, a Linear + ReLU
 * contraction with its epilogue, a convolution as implicit GEMM, and a log-softmax's reductions. A renderer change
 * shows up as a diff here; {@code KILN_UPDATE_SNAPSHOTS=1} accepts a reviewed one. Each snapshot also compiles with
 * nvcc (where present).
 */
class RenderSnapshotTest {
    private static Node input(String name, int... shape) { return Node.leaf(Op.Role.INPUT, name, Shape.of(shape), DType.F32); }

    @Test
    void elementwiseChain() {
        Node x = input("x", 4, 8), w = input("w", 8), b = input("b", 4, 1);
        Node y = Ops.sub(Ops.mul(Ops.unary(Op.UnaryFn.RELU, Ops.add(Ops.mul(x, Ops.broadcastTo(w, x.shape())), Ops.broadcastTo(b, x.shape()))), 0.5), x);
        snapshot("eltwise_chain", List.of(y), 1);
    }

    @Test
    void linearRelu() {
        Node x = input("x", 64, 784), w = input("w", 120, 784), b = input("b", 120);
        Node y = Ops.unary(Op.UnaryFn.RELU, Ops.add(Ops.matmul(x, Ops.transposeLast(w)), Ops.broadcastTo(b, Shape.of(64, 120))));
        snapshot("linear_relu", List.of(y), 1);
    }

    @Test
    void convolution() {
        Node x = input("x", 8, 6, 14, 14), w = input("w", 16, 6, 5, 5);
        snapshot("conv2d", List.of(Ops.conv2d(x, w, 1, 1, 0, 0, 1, 1)), 1);
    }

    @Test
    void logSoftmax() {
        Node x = input("x", 64, 10);
        Node max = Ops.max(x, List.of(1), true);
        Node shifted = Ops.sub(x, Ops.broadcastTo(max, x.shape()));
        Node lse = Ops.unary(Op.UnaryFn.LOG, Ops.sum(Ops.unary(Op.UnaryFn.EXP, shifted), List.of(1), true));
        snapshot("log_softmax", List.of(Ops.sub(shifted, Ops.broadcastTo(lse, x.shape()))), 3);
    }

    private static void snapshot(String name, List<Node> outputs, int kernels) {
        KernelGraph g = Scheduler.schedule(outputs, n -> false).graph();
        assertEquals(kernels, g.kernels().size(), name + " kernel count");
        String rendered = CudaRenderer.render(g, "").kernels();
        Path file = Path.of(System.getProperty("user.dir"), "src", "test", "resources", "snapshots", name + ".cu");
        try {
            boolean update = "1".equals(System.getenv("KILN_UPDATE_SNAPSHOTS"));
            if (update || !Files.exists(file)) {
                Files.createDirectories(file.getParent());
                Files.writeString(file, rendered);
                assertTrue(update, "wrote a new snapshot " + file + "; review it and commit it");
            }
            assertEquals(Files.readString(file), rendered, "rendered CUDA C of " + name + " changed (KILN_UPDATE_SNAPSHOTS=1 accepts a reviewed change)");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        if (Tools.onPath("nvcc")) PtxCompiler.nvcc(CudaRenderer.prelude() + rendered, PtxCompiler.DEFAULT_ARCH);
    }
}
