package dev.kiln.codegen.jvm;

import dev.kiln.codegen.jvm.gemm.Gemm;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Kernels;
import dev.kiln.ir.kernel.Scheduler;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A computed operand that reads along its outer axis and not along the depth (a transposed view, such as seed002's
 * ReLU'd activation in the second layer's weight gradient) is packed column-major, as it is read: the GEMM core then
 * takes it as a transposed view. The products stay correct, on the strided and on the offset-table paths.
 */
class ColumnMajorPackerTest {
    private static final Node H = input("h", Shape.of(64, 100));

    private static Node input(String name, Shape shape) { return Node.leaf(Op.Role.INPUT, name, shape, DType.F32); }

    private static Kernel.Contraction onlyContraction(KernelGraph g) {
        List<Kernel.Contraction> found = new ArrayList<>();
        for (Kernel k : g.kernels()) if (k instanceof Kernel.Contraction c) found.add(c);
        assertEquals(1, found.size(), Kernels.format(g));
        return found.get(0);
    }

    /**
     * The generated kernel of {@code y}'s one contraction, after checking {@code y} on the JVM backend against the
     * interpreter ({@link IndexedOperandTest#assertMatchesInterpreter}).
     */
    private static ContractionKernel checkAgainstInterpreter(Node y) {
        Scheduler.Schedule s = Scheduler.schedule(List.of(y), n -> false);
        Kernel.Contraction c = onlyContraction(s.graph());
        IndexedOperandTest.assertMatchesInterpreter(s, y, 3, 10);
        return (ContractionKernel) KernelCompiler.instantiate(KernelCompiler.generate(c, s.graph(), "K", Gemm.best(), true));
    }

    @Test
    void aTransposedComputedAIsPackedColumnMajor() {
        // relu(h)^T · g: A(m, k) = relu(h[k·100 + m]), 100 × 64
        ContractionKernel k = checkAgainstInterpreter(Ops.matmul(Ops.transposeLast(Ops.unary(Op.UnaryFn.RELU, H)), input("g", Shape.of(64, 10))));
        assertEquals(0, k.panelRows());
        assertTrue(k.aColumnMajor());
        assertTrue(!k.bColumnMajor());
    }

    @Test
    void aTransposedComputedBIsPackedColumnMajor() {
        // x · relu(h)^T: B(k, n) = relu(h[n·100 + k]), 100 × 64
        ContractionKernel k = checkAgainstInterpreter(Ops.matmul(input("x", Shape.of(40, 100)), Ops.transposeLast(Ops.unary(Op.UnaryFn.RELU, H))));
        assertEquals(0, k.panelCols());
        assertTrue(k.bColumnMajor());
        assertTrue(!k.aColumnMajor());
    }

    @Test
    void aColumnMajorAMeetsPatchesReadThroughOffsetTables() {
        // a convolution whose 12 filters are a computed transposed view: A(o, (c,i,j)) = relu(v[((c·5 + i)·5 + j)·12 + o])
        Node v = input("v", Shape.of(2, 5, 5, 12));
        Node w = Ops.permute(Ops.unary(Op.UnaryFn.RELU, v), List.of(3, 0, 1, 2));
        Node y = Ops.conv2d(input("x", Shape.of(3, 2, 12, 12)), w, 1, 1, 0, 0, 1, 1);
        Scheduler.Schedule s = Scheduler.schedule(List.of(y), n -> false);
        Kernel.Contraction c = onlyContraction(s.graph());
        JvmProgram.Operand patches = JvmProgram.Operand.of(c.b(), c, Kernel.Contraction.K, Kernel.Contraction.N, Kernel.Contraction.M, true, false);
        assertTrue(patches != null && patches.rows != null, "the patches should be read through offset tables:\n" + Kernels.format(s.graph()));
        assertTrue(checkAgainstInterpreter(y).aColumnMajor());
    }
}
