package dev.kiln.ir.kernel;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Horizontal fusion in the scheduler: related same-shaped pointwise values computed by one kernel, and when not. */
class PointwiseGroupTest {
    private static final Shape W = Shape.of(256, 784);

    private static Node input(String name, Shape shape) { return Node.leaf(Op.Role.INPUT, name, shape, DType.F32); }

    private static KernelGraph schedule(Node... outputs) { return Scheduler.schedule(List.of(outputs), n -> false).graph(); }

    private static int producer(KernelGraph g, int buffer) {
        for (int i = 0; i < g.kernels().size(); i++) if (g.kernels().get(i).outputs().contains(buffer)) return i;
        throw new AssertionError("no kernel writes b" + buffer);
    }

    @Test
    void anAdamUpdateIsOnePassThatComputesTheMomentsWhereTheWeightsUseThem() {
        Node p = input("p", W), g = input("g", W), m = input("m", W), v = input("v", W);
        Node b1 = input("beta1", Shape.scalar()), b2 = input("beta2", Shape.scalar()), lr = input("lr", Shape.scalar());
        Node m2 = Ops.add(Ops.mul(m, Ops.broadcastTo(b1, W)), Ops.mul(g, Ops.broadcastTo(Ops.sub(Ops.scalar(1, DType.F32), b1), W)));
        Node v2 = Ops.add(Ops.mul(v, Ops.broadcastTo(b2, W)), Ops.mul(Ops.mul(g, g), Ops.broadcastTo(Ops.sub(Ops.scalar(1, DType.F32), b2), W)));
        Node denom = Ops.add(Ops.unary(Op.UnaryFn.SQRT, v2), Ops.full(1e-8, W, DType.F32));
        Node p2 = Ops.sub(p, Ops.mul(Ops.div(m2, denom), Ops.broadcastTo(lr, W)));
        KernelGraph k = schedule(m2, v2, p2);

        List<Kernel> big = k.kernels().stream().filter(x -> x instanceof Kernel.Pointwise pw && pw.shape().equals(W)).toList();
        assertEquals(1, big.size(), Kernels.format(k));
        Kernel.Pointwise update = (Kernel.Pointwise) big.get(0);
        assertEquals(3, update.stores().size(), Kernels.format(k));
        // the weights' store computes the new moments instead of reading them back
        for (int out : update.outputs()) assertFalse(Kernels.reads(update).contains(out), Kernels.format(k));
    }

    @Test
    void aValueReadAtAnotherElementIsNotComputedBesideIt() {
        Node a = input("a", Shape.of(64, 100)), b = input("b", Shape.of(64, 100));
        Node y = Ops.mul(a, Ops.full(2, a.shape(), DType.F32));
        Node z = Ops.add(Ops.flip(y, List.of(1)), b);                 // reads y mirrored, and y's input a
        KernelGraph k = schedule(y, z);
        assertEquals(2, k.kernels().size(), Kernels.format(k));
        int yBuffer = k.outputs().get(0);
        assertTrue(Kernels.reads(k.kernels().get(producer(k, k.outputs().get(1)))).contains(yBuffer), Kernels.format(k));
        assertTrue(producer(k, yBuffer) < producer(k, k.outputs().get(1)));
    }

    @Test
    void aGroupRunsBeforeAnyOtherKernelThatReadsItsValues() {
        Node a = input("a", Shape.of(64, 100));
        Node y = Ops.mul(a, Ops.full(3, a.shape(), DType.F32));
        Node total = Ops.sum(y, List.of(0, 1), true);                  // a reduction reads y ...
        Node w = Ops.add(Ops.mul(y, a), Ops.broadcastTo(total, a.shape()));   // ... and w needs both
        KernelGraph k = schedule(y, w);
        assertEquals(3, k.kernels().size(), Kernels.format(k));
        int yKernel = producer(k, k.outputs().get(0)), wKernel = producer(k, k.outputs().get(1));
        int sumKernel = -1;
        for (int i = 0; i < k.kernels().size(); i++) if (k.kernels().get(i) instanceof Kernel.Reduction) sumKernel = i;
        assertTrue(yKernel < sumKernel && sumKernel < wKernel, Kernels.format(k));
        assertInstanceOf(Kernel.Pointwise.class, k.kernels().get(wKernel));
    }

    @Test
    void unrelatedValuesKeepTheirOwnKernels() {
        Node a = input("a", Shape.of(64, 100)), b = input("b", Shape.of(64, 100));
        KernelGraph k = schedule(Ops.mul(a, a), Ops.add(b, b));
        assertEquals(2, k.kernels().size(), Kernels.format(k));
    }

    @Test
    void aValueRealizedOnlyToBoundExpressionSizeIsNotStoredWhenOnlyItsGroupUsesIt() {
        // a 7×7 convolution's input gradient: 49 shifted, zero-padded tap planes summed, too large to inline in one piece
        Node cols = input("cols", Shape.of(49, 6, 10, 10));
        Node sum = null;
        for (int t = 0; t < 49; t++) {
            int ky = t / 7, kx = t % 7;
            Node tap = Ops.reshape(Ops.slice(cols, List.of(t, 0, 0, 0), List.of(t + 1, 6, 10, 10), List.of(1, 1, 1, 1)), Shape.of(6, 10, 10));
            Node shifted = Ops.pad(tap, List.of(0, ky, kx), List.of(0, 6 - ky, 6 - kx), 0);
            sum = sum == null ? shifted : Ops.add(sum, shifted);
        }
        KernelGraph k = schedule(sum);
        assertEquals(1, k.kernels().size(), Kernels.format(k));
        assertEquals(2, k.buffers().size(), "no buffer for the partial sum: " + Kernels.format(k));
        assertEquals(k.outputs(), k.kernels().get(0).outputs(), "only the sum is stored: " + Kernels.format(k));
        for (Kernel kernel : k.kernels()) {
            for (int out : kernel.outputs()) {
                boolean read = k.outputs().contains(out) || k.kernels().stream().anyMatch(x -> Kernels.reads(x).contains(out));
                assertTrue(read, "b" + out + " is written and never read: " + Kernels.format(k));
            }
        }
    }
}
