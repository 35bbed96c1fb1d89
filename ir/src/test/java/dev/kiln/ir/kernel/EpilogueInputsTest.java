package dev.kiln.ir.kernel;

import dev.kiln.ir.Autodiff;
import dev.kiln.ir.DType;
import dev.kiln.ir.Interpreter;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a reduction's epilogue computes inline, and what it reads from a kernel of its own. */
class EpilogueInputsTest {
    private static Node input(String name, Shape shape) { return Node.leaf(Op.Role.INPUT, name, shape, DType.F32); }

    private static KernelGraph schedule(Node output) { return Scheduler.schedule(List.of(output), n -> false).graph(); }

    @Test
    void aCostlyValueTheEpilogueCombinesWithTheReductionGetsAKernelOfItsOwn() {
        Node x = input("x", Shape.of(16, 8, 6)), y = input("y", Shape.of(16, 8, 1));
        Node costly = Ops.unary(Op.UnaryFn.EXP, Ops.unary(Op.UnaryFn.EXP, y));            // work 8: more than recomputing allows
        KernelGraph k = schedule(Ops.div(costly, Ops.sum(x, List.of(2), true)));
        assertEquals(2, k.kernels().size(), Kernels.format(k));
        Kernel.Pointwise first = assertInstanceOf(Kernel.Pointwise.class, k.kernels().get(0), Kernels.format(k));
        Kernel.Reduction sum = assertInstanceOf(Kernel.Reduction.class, k.kernels().get(1), Kernels.format(k));
        assertTrue(Kernels.reads(sum.epilogue()).contains(first.outputs().get(0)), "the epilogue reads the value's buffer:\n" + Kernels.format(k));
        assertEquals(k.outputs().get(0), sum.output(), Kernels.format(k));
    }

    @Test
    void aCheapValueStaysInTheEpilogue() {
        Node x = input("x", Shape.of(16, 8, 6)), y = input("y", Shape.of(16, 8, 1));
        KernelGraph k = schedule(Ops.div(Ops.mul(y, y), Ops.sum(x, List.of(2), true)));
        assertEquals(1, k.kernels().size(), Kernels.format(k));
        assertInstanceOf(Kernel.Reduction.class, k.kernels().get(0));
    }

    @Test
    void aMaxGradientDividesOncePerOutputAndSharesTiesEvenly() {
        // torch.amax's rule, (g / count) · mask: the division is in the reduced shape, computed by the count's reduction
        Node x = input("x", Shape.of(2, 4)), g = input("g", Shape.of(2, 1));
        Node dx = Autodiff.gradients(List.of(Ops.max(x, List.of(1), true)), List.of(g), List.of(x)).get(0);
        double[] got = Interpreter.evaluate(dx, Map.of(x, new double[] {1, 3, 3, 2, 5, -1, 5, 5}, g, new double[] {6, 9}));
        assertArrayEquals(new double[] {0, 3, 3, 0, 3, 0, 3, 3}, got);
        KernelGraph k = schedule(dx);
        String text = Kernels.format(k);
        List<String> kernels = List.of(text.substring(text.indexOf("\nk0 ") + 1).split("\n(?=k\\d+ )"));
        assertEquals(1, kernels.stream().filter(t -> t.startsWith("k") && t.contains("reduce_sum") && t.contains("= div(")).count(), text);
        assertEquals(0, kernels.stream().filter(t -> t.contains("pointwise [2, 4]") && t.contains("div(")).count(), "no division per input:\n" + text);
    }
}
