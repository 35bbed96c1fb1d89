package dev.kiln.codegen.jvm;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Ix;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Kernels;
import dev.kiln.ir.kernel.Scheduler;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * Trailing reduced axes that every index reads as one run become one loop ({@link MergedReduction}); anything else is
 * left as it is; and merged sums still compute the interpreter's values.
 */
class MergedReductionTest {
    private static Node input(String name, Shape shape) { return Node.leaf(Op.Role.INPUT, name, shape, DType.F32); }

    private static Kernel.Reduction onlyReduction(Node y) {
        KernelGraph g = Scheduler.schedule(List.of(y), n -> false).graph();
        assertEquals(1, g.kernels().size(), Kernels.format(g));
        return (Kernel.Reduction) g.kernels().get(0);
    }

    @Test
    void aBiasGradientSumsEachChannelsPositionsAsOneLoop() {
        Node x = input("x", Shape.of(4, 3, 7, 9));
        Kernel.Reduction r = onlyReduction(Ops.sum(x, List.of(0, 2, 3), false));
        Kernel.Reduction merged = MergedReduction.of(r);
        assertEquals(Shape.of(4, 3, 63), merged.domain());
        assertEquals(List.of(0, 2), merged.axes());
        assertEquals(r.outIndex(), merged.outIndex());
        // x[n, c, h, w] at 189·n + 63·c + 9·h + w: read as 189·i0 + 63·i1 + i2 over the merged positions
        Ix index = ((Expr.Load) merged.body()).index();
        assertEquals(Long.valueOf(189), index.linearCoefficient(0));
        assertEquals(Long.valueOf(63), index.linearCoefficient(1));
        assertEquals(Long.valueOf(1), index.linearCoefficient(2));
        assertFalse(index.mentions(3), index.toString());
    }

    @Test
    void aFullSumBecomesOneLoop() {
        Kernel.Reduction merged = MergedReduction.of(onlyReduction(Ops.sum(input("x", Shape.of(5, 6, 7)), List.of(0, 1, 2), false)));
        assertEquals(Shape.of(210), merged.domain());
        assertEquals(List.of(0), merged.axes());
    }

    @Test
    void axesThatDontRunContiguouslyOrArentBothReducedStay() {
        Node x = input("x", Shape.of(4, 3, 7, 9));
        // columns before rows: the last two axes read with strides 1 and 9 the wrong way round
        Kernel.Reduction transposed = onlyReduction(Ops.sum(Ops.permute(x, List.of(0, 1, 3, 2)), List.of(0, 2, 3), false));
        assertSame(transposed, MergedReduction.of(transposed));
        // zero padding: a bound on one of the two axes alone
        Kernel.Reduction padded = onlyReduction(Ops.sum(Ops.pad(x, List.of(0, 0, 1, 1), List.of(0, 0, 1, 1), 0), List.of(0, 2, 3), false));
        assertSame(padded, MergedReduction.of(padded));
        // only the last axis reduced
        Kernel.Reduction rows = onlyReduction(Ops.sum(x, List.of(3), false));
        assertSame(rows, MergedReduction.of(rows));
        // a max-pool's windows [.., 2, W/2, 2]: axes 3 and 5 reduced, 4 kept
        Kernel.Reduction pool = onlyReduction(Ops.reduce(Op.ReduceFn.MAX, input("p", Shape.of(2, 3, 4, 2, 4, 2)), List.of(3, 5), false));
        assertSame(pool, MergedReduction.of(pool));
    }

    @Test
    void mergedSumsComputeTheInterpretersValues() {
        // rows of 63 (three steps of 16 and 15 left to lane 0), 100 (LeNet's conv2 bias gradient), 784 (conv1's), 28
        // (one vector of lanes); the body relu(x)·x, whose terms are all ≥ 0, so no sum cancels to near zero
        List<Shape> shapes = List.of(Shape.of(4, 3, 7, 9), Shape.of(8, 16, 10, 10), Shape.of(4, 6, 28, 28), Shape.of(3, 4, 2, 14));
        long seed = 1;
        for (Shape shape : shapes) {
            Node x = input("x", shape);
            Node y = Ops.sum(Ops.mul(Ops.unary(Op.UnaryFn.RELU, x), x), List.of(0, 2, 3), false);
            IndexedOperandTest.assertMatchesInterpreter(Scheduler.schedule(List.of(y), n -> false), y, seed++, 1);
        }
    }
}
