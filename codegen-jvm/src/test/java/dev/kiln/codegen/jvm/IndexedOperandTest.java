package dev.kiln.codegen.jvm;

import dev.kiln.ir.DType;
import dev.kiln.ir.Interpreter;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Scheduler;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Convolution patches read by the GEMM core through offset tables (no im2col buffer) where that pays: the forward
 * convolution's input patches, whose columns run along whole output rows, and a weight gradient's operands, whose depth
 * runs along image rows (packed by 8×8 transposes). Patches with short runs both ways stay on generated packers (they
 * gather slower than they pack).
 */
class IndexedOperandTest {

    static Kernel.Contraction contraction(KernelGraph g) {
        for (Kernel k : g.kernels()) if (k instanceof Kernel.Contraction c) return c;
        throw new AssertionError("no contraction in\n" + dev.kiln.ir.kernel.Kernels.format(g));
    }

    /**
     * Runs {@code s} on the JVM backend with Gaussian inputs and compares its output with the interpreter's value of
     * {@code output}: within 1e-4 of (scale + |expected|), scale covering sums of many terms near zero.
     */
    static void assertMatchesInterpreter(Scheduler.Schedule s, Node output, long seed, double scale) {
        Random r = new Random(seed);
        Map<Node, double[]> known = new HashMap<>();
        List<HostBuffer> in = new ArrayList<>();
        for (Node n : s.inputs()) {
            double[] v = new double[n.shape().numel()];
            for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
            known.put(n, v);
            in.add(HostBuffer.of(DType.F32, v));
        }
        float[] out = (float[]) new JvmBackend().compile(s.graph()).run(in).get(0).array();
        double[] expected = Interpreter.evaluate(output, known);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(out[i] - expected[i]) <= 1e-4 * (scale + Math.abs(expected[i])), "[" + i + "] = " + out[i] + ", expected " + expected[i]);
        }
    }

    @Test
    void forwardConvolutionPatchesAreIndexedAndComputeTheConvolution() {
        Node x = Node.leaf(Op.Role.INPUT, "x", Shape.of(3, 2, 32, 32), DType.F32);
        Node w = Node.leaf(Op.Role.INPUT, "w", Shape.of(6, 2, 5, 5), DType.F32);
        Node y = Ops.conv2d(x, w, 1, 1, 0, 0, 1, 1);
        Scheduler.Schedule s = Scheduler.schedule(List.of(y), n -> false);
        Kernel.Contraction c = contraction(s.graph());
        JvmProgram.Operand patches = JvmProgram.Operand.of(c.b(), c, Kernel.Contraction.K, Kernel.Contraction.N, Kernel.Contraction.M, true, false);
        assertNotNull(patches, "the input patches should be read in place");
        assertNotNull(patches.rows, "... through offset tables");
        assertEquals(2 * 25, patches.rows.count());
        assertEquals(3 * 28 * 28, patches.cols.count());
        assertEquals(2 * 1024 + 32 * 3 + 4, patches.cols.values()[28 * 28 + 3 * 28 + 4], "image 1 (two channels of 32×32 on), row 3, column 4");
        // the weights are a plain strided read
        JvmProgram.Operand weights = JvmProgram.Operand.of(c.a(), c, Kernel.Contraction.M, Kernel.Contraction.K, Kernel.Contraction.N, true, true);
        assertNotNull(weights);
        assertNull(weights.rows);

        assertMatchesInterpreter(s, y, 5, 1);
    }

    @Test
    void convolutionsWithLargeNchwImagesRunOneProductPerImageInPlace() {
        // 28×28 = 784 output positions per image: one product per image, written straight into NCHW
        Node x = Node.leaf(Op.Role.INPUT, "x", Shape.of(3, 2, 32, 32), DType.F32);
        Node w = Node.leaf(Op.Role.INPUT, "w", Shape.of(6, 2, 5, 5), DType.F32);
        Kernel.Contraction c = contraction(Scheduler.schedule(List.of(Ops.conv2d(x, w, 1, 1, 0, 0, 1, 1)), n -> false).graph());
        JvmProgram.Operand patches = JvmProgram.Operand.of(c.b(), c, Kernel.Contraction.K, Kernel.Contraction.N, Kernel.Contraction.M, true, false);
        JvmProgram.ImageBlocks blocks = JvmProgram.ImageBlocks.of(c, patches, patches.cols);
        assertNotNull(blocks);
        assertEquals(3, blocks.count());
        assertEquals(784, blocks.columns());
        assertEquals(2 * 1024, blocks.shifts()[1], "image 1's patches start two channels of 32×32 further");
        assertEquals(784, blocks.cols().count());
        // 10×10 = 100 positions per image: one product over all images (per-image edges would cost more)
        Node x2 = Node.leaf(Op.Role.INPUT, "x", Shape.of(3, 2, 14, 14), DType.F32);
        Kernel.Contraction small = contraction(Scheduler.schedule(List.of(Ops.conv2d(x2, w, 1, 1, 0, 0, 1, 1)), n -> false).graph());
        JvmProgram.Operand smallPatches = JvmProgram.Operand.of(small.b(), small, Kernel.Contraction.K, Kernel.Contraction.N, Kernel.Contraction.M, true, false);
        assertNull(JvmProgram.ImageBlocks.of(small, smallPatches, smallPatches.cols));
        // an epilogue (here a bias and ReLU fused into the product's kernel) keeps the one product and its pass
        Node b = Node.leaf(Op.Role.INPUT, "b", Shape.of(1, 6, 1, 1), DType.F32);
        Node y = Ops.unary(Op.UnaryFn.RELU, Ops.add(Ops.conv2d(x, w, 1, 1, 0, 0, 1, 1), Ops.broadcastTo(b, Shape.of(3, 6, 28, 28))));
        Kernel.Contraction fused = contraction(Scheduler.schedule(List.of(y), n -> false).graph());
        assertTrue(!(fused.epilogue() instanceof dev.kiln.ir.kernel.Expr.Acc), dev.kiln.ir.kernel.Kernels.format(Scheduler.schedule(List.of(y), n -> false).graph()));
        assertNull(JvmProgram.ImageBlocks.of(fused, patches, patches.cols));
    }

    /** dW = dY ⋆ X for a batch of {@code images} of {@code side}×{@code side}, 6 → 16 channels, 5×5 filters. */
    private static Node weightGradient(int images, int side) {
        return weightGradient(images, 6, 16, side);
    }

    /** dW = dY ⋆ X for {@code images} of {@code side}×{@code side}, {@code in} → {@code out} channels, 5×5 filters. */
    static Node weightGradient(int images, int in, int out, int side) {
        Node x = Node.leaf(Op.Role.INPUT, "x", Shape.of(images, in, side, side), DType.F32);
        Node dy = Node.leaf(Op.Role.INPUT, "dy", Shape.of(images, out, side - 4, side - 4), DType.F32);
        Node w = Node.leaf(Op.Role.PARAMETER, "w", Shape.of(out, in, 5, 5), DType.F32);
        Node y = Ops.conv2d(x, w, 1, 1, 0, 0, 1, 1);
        return dev.kiln.ir.Autodiff.gradients(List.of(y), List.of(dy), List.of(w)).get(0);
    }

    @Test
    void weightGradientOperandsAreReadAlongTheirDepthAndComputeTheGradient() {
        // the contraction's depth runs over images and output positions (rows of 10), its columns over the filter taps
        Node dw = weightGradient(4, 14);
        Scheduler.Schedule s = Scheduler.schedule(List.of(dw), n -> false);
        Kernel.Contraction c = contraction(s.graph());
        assertEquals(16, c.m());
        assertEquals(150, c.n());
        JvmProgram.Operand patches = JvmProgram.Operand.of(c.b(), c, Kernel.Contraction.K, Kernel.Contraction.N, Kernel.Contraction.M, true, false);
        assertNotNull(patches, "depth runs of 10 along the image rows: 8×8 transposes");
        assertTrue(patches.rows.mostlyContiguous() && !patches.cols.mostlyContiguous());
        JvmProgram.Operand grads = JvmProgram.Operand.of(c.a(), c, Kernel.Contraction.M, Kernel.Contraction.K, Kernel.Contraction.N, true, true);
        assertNotNull(grads, "the output gradient's depth runs along whole images");

        assertMatchesInterpreter(s, dw, 7, 10);
    }

    @Test
    void patchesWithShortRunsBothWaysStayOnGeneratedPackers() {
        Node dw = weightGradient(4, 8);                  // depth runs of 4 (4×4 outputs), columns runs of 5 (taps)
        Kernel.Contraction c = contraction(Scheduler.schedule(List.of(dw), n -> false).graph());
        assertNull(JvmProgram.Operand.of(c.b(), c, Kernel.Contraction.K, Kernel.Contraction.N, Kernel.Contraction.M, true, false),
                "runs of 4 and 5: generated packing is faster than gathers");
    }
}
