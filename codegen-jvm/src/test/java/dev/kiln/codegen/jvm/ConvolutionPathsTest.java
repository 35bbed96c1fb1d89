package dev.kiln.codegen.jvm;

import static dev.kiln.codegen.jvm.IndexedOperandTest.assertMatchesInterpreter;
import static dev.kiln.codegen.jvm.IndexedOperandTest.weightGradient;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.codegen.jvm.gemm.RunGemm;
import dev.kiln.ir.Autodiff;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.Scheduler;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which way the JVM backend runs a convolution's products, and that each way computes the convolution: products with
 * at most 8 channels on {@link RunProduct} (B read in place along the filter taps or the output rows), weight gradients
 * with 9 to 32 channels and forward convolutions with as many as the core's narrow rows kernel covers transposed (the
 * core reading the patches in place row by row).
 */
class ConvolutionPathsTest {

    private static Kernel.Contraction contraction(Scheduler.Schedule s) {
        return IndexedOperandTest.contraction(s.graph());
    }

    private static JvmProgram.Operand patches(Kernel.Contraction c) {
        return JvmProgram.Operand.of(c.b(), c, Kernel.Contraction.K, Kernel.Contraction.N, Kernel.Contraction.M, true, false);
    }

    @Test
    void aWeightGradientWithFewChannelsAndALongDepthRunsAlongItsFilterTaps() {
        assumeTrue(RunGemm.available(), "RunGemm needs --add-modules jdk.incubator.vector (the test argLine adds it)");
        // LeNet's conv1 on 2 images of 36×36: 6 × 25 outputs, depth 2 × 32 × 32 = 2048
        Node dw = weightGradient(2, 1, 6, 36);
        Scheduler.Schedule s = Scheduler.schedule(List.of(dw), n -> false);
        Kernel.Contraction c = contraction(s);
        assertTrue(c.k() >= RunProduct.MIN_DEPTH && c.m() <= RunProduct.MAX_ROWS, c.m() + " × " + c.n() + " × " + c.k());
        assertNotNull(RunProduct.plan(c, s.graph()), "runs of 5 taps, 62.5% of the lanes: RunGemm");
        assertMatchesInterpreter(s, dw, 11, 10);
        // two input channels (taps in runs of 5, 50 columns), an odd channel count
        Node dw2 = weightGradient(2, 2, 5, 36);
        Scheduler.Schedule s2 = Scheduler.schedule(List.of(dw2), n -> false);
        assertNotNull(RunProduct.plan(contraction(s2), s2.graph()));
        assertMatchesInterpreter(s2, dw2, 12, 10);
    }

    @Test
    void aWeightGradientWhoseOutputGradientIsComputedIsPackedThenRunAlongItsTaps() {
        assumeTrue(RunGemm.available(), "RunGemm needs --add-modules jdk.incubator.vector (the test argLine adds it)");
        // dY = relu(g) fused into the product: A is packed by the generated code (in the core's panel layout)
        Node x = Node.leaf(Op.Role.INPUT, "x", Shape.of(2, 1, 36, 36), DType.F32);
        Node g = Node.leaf(Op.Role.INPUT, "g", Shape.of(2, 6, 32, 32), DType.F32);
        Node w = Node.leaf(Op.Role.PARAMETER, "w", Shape.of(6, 1, 5, 5), DType.F32);
        Node dw = Autodiff.gradients(List.of(Ops.conv2d(x, w, 1, 1, 0, 0, 1, 1)), List.of(Ops.unary(Op.UnaryFn.RELU, g)), List.of(w)).get(0);
        Scheduler.Schedule s = Scheduler.schedule(List.of(dw), n -> false);
        Kernel.Contraction c = contraction(s);
        assertNull(JvmProgram.Operand.inPlace(c.a(), c, Kernel.Contraction.M, Kernel.Contraction.K, Kernel.Contraction.N),
                "A is relu(g): packed\n" + dev.kiln.ir.kernel.Kernels.format(s.graph()));
        assertNotNull(RunProduct.plan(c, s.graph()));
        assertMatchesInterpreter(s, dw, 15, 10);
    }

    @Test
    void aProductWithAnEpilogueGoesThroughARowMajorProduct() {
        assumeTrue(RunGemm.available(), "RunGemm needs --add-modules jdk.incubator.vector (the test argLine adds it)");
        // relu(A·B + bias) with A 6 × 2048 and B a permuted view of a [1024, 2, 25] tensor (rows in two digits, columns
        // one run of 25): RunGemm into a row-major product, then the fused bias and ReLU
        Node a = Node.leaf(Op.Role.INPUT, "a", Shape.of(6, 2048), DType.F32);
        Node x = Node.leaf(Op.Role.INPUT, "x", Shape.of(1024, 2, 25), DType.F32);
        Node b = Ops.reshape(Ops.permute(x, List.of(1, 0, 2)), Shape.of(2048, 25));
        Node bias = Node.leaf(Op.Role.INPUT, "bias", Shape.of(25), DType.F32);
        Node y = Ops.unary(Op.UnaryFn.RELU, Ops.add(Ops.matmul(a, b), Ops.broadcastTo(bias, Shape.of(6, 25))));
        Scheduler.Schedule s = Scheduler.schedule(List.of(y), n -> false);
        Kernel.Contraction c = contraction(s);
        assertFalse(c.epilogue() instanceof Expr.Acc, "bias and ReLU fused\n" + dev.kiln.ir.kernel.Kernels.format(s.graph()));
        RunProduct.Plan plan = RunProduct.plan(c, s.graph());
        assertNotNull(plan, dev.kiln.ir.kernel.Kernels.format(s.graph()));
        assertFalse(plan.out().direct());
        assertMatchesInterpreter(s, y, 16, 10);
    }

    @Test
    void productsWithMoreRowsOrAShortDepthStayOnTheCore() {
        Scheduler.Schedule conv2 = Scheduler.schedule(List.of(weightGradient(2, 6, 16, 14)), n -> false);
        assertNull(RunProduct.plan(contraction(conv2), conv2.graph()), "16 channels share the core's packed panels");
        Node x = Node.leaf(Op.Role.INPUT, "x", Shape.of(2, 1, 10, 10), DType.F32);
        Node w = Node.leaf(Op.Role.INPUT, "w", Shape.of(6, 1, 5, 5), DType.F32);
        Scheduler.Schedule forward = Scheduler.schedule(List.of(Ops.conv2d(x, w, 1, 1, 0, 0, 1, 1)), n -> false);
        assertNull(RunProduct.plan(contraction(forward), forward.graph()), "depth 25 and output rows of 6 (partial vectors): the core");
        Node a = Node.leaf(Op.Role.INPUT, "a", Shape.of(4, 2048), DType.F32);
        Node b = Node.leaf(Op.Role.INPUT, "b", Shape.of(2048, 40), DType.F32);
        Scheduler.Schedule matmul = Scheduler.schedule(List.of(Ops.matmul(a, b)), n -> false);
        assertNull(RunProduct.plan(contraction(matmul), matmul.graph()), "a plain matrix B is the core's");
    }

    @Test
    void aForwardConvolutionWithFewChannelsAndLongRowsStoresWholeVectors() {
        assumeTrue(RunGemm.available(), "RunGemm needs --add-modules jdk.incubator.vector (the test argLine adds it)");
        // LeNet's conv1 on 3 images: 6 channels, output rows of 28 (vectors at 0, 8, 16 and 20), depth 25, into NCHW
        Node x = Node.leaf(Op.Role.INPUT, "x", Shape.of(3, 1, 32, 32), DType.F32);
        Node w = Node.leaf(Op.Role.INPUT, "w", Shape.of(6, 1, 5, 5), DType.F32);
        Node y = Ops.conv2d(x, w, 1, 1, 0, 0, 1, 1);
        Scheduler.Schedule s = Scheduler.schedule(List.of(y), n -> false);
        RunProduct.Plan plan = RunProduct.plan(contraction(s), s.graph());
        assertNotNull(plan);
        assertTrue(plan.runs().whole() && plan.out().direct(), "whole vectors straight into the output");
        assertMatchesInterpreter(s, y, 17, 10);
        // with LeNet's bias and ReLU fused: into a row-major product, then the epilogue
        Node bias = Node.leaf(Op.Role.INPUT, "b", Shape.of(1, 6, 1, 1), DType.F32);
        Node z = Ops.unary(Op.UnaryFn.RELU, Ops.add(y, Ops.broadcastTo(bias, Shape.of(3, 6, 28, 28))));
        Scheduler.Schedule fused = Scheduler.schedule(List.of(z), n -> false);
        RunProduct.Plan fusedPlan = RunProduct.plan(contraction(fused), fused.graph());
        assertNotNull(fusedPlan);
        assertTrue(fusedPlan.runs().whole() && !fusedPlan.out().direct());
        assertMatchesInterpreter(fused, z, 18, 10);
        // a vertical stride and a dilation only move B's rows: still whole runs of 28 and 24
        Node strided = Ops.conv2d(x, w, 2, 1, 0, 0, 1, 1), dilated = Ops.conv2d(x, w, 1, 1, 0, 0, 2, 2);
        for (Node v : List.of(strided, dilated)) {
            Scheduler.Schedule sv = Scheduler.schedule(List.of(v), n -> false);
            RunProduct.Plan pv = RunProduct.plan(contraction(sv), sv.graph());
            assertNotNull(pv);
            assertTrue(pv.runs().whole());
            assertMatchesInterpreter(sv, v, 19, 10);
        }
        // a horizontal stride leaves runs of 1, padding a masked load: both stay on the core
        Scheduler.Schedule wide = Scheduler.schedule(List.of(Ops.conv2d(x, w, 1, 2, 0, 0, 1, 1)), n -> false);
        assertNull(RunProduct.plan(contraction(wide), wide.graph()));
        Scheduler.Schedule padded = Scheduler.schedule(List.of(Ops.conv2d(x, w, 1, 1, 2, 2, 1, 1)), n -> false);
        assertNull(RunProduct.plan(contraction(padded), padded.graph()));
    }

    @Test
    void aForwardConvolutionWithSixteenChannelsRunsTransposed() {
        // LeNet's conv2 on 3 images: 16 channels, taps (the depth) scattered, positions along rows of 10
        Node x = Node.leaf(Op.Role.INPUT, "x", Shape.of(3, 6, 14, 14), DType.F32);
        Node w = Node.leaf(Op.Role.INPUT, "w", Shape.of(16, 6, 5, 5), DType.F32);
        Node y = Ops.conv2d(x, w, 1, 1, 0, 0, 1, 1);
        Scheduler.Schedule s = Scheduler.schedule(List.of(y), n -> false);
        Kernel.Contraction c = contraction(s);
        JvmProgram.Operand b = patches(c);
        assertNotNull(b);
        boolean narrow = dev.kiln.codegen.jvm.gemm.Gemm.best().readsRowsNarrowly(16);
        assertEquals(narrow, JvmProgram.transposes(c, b), "taps scattered, positions in rows: transposed where the core reads them in place");
        assertNull(JvmProgram.ImageBlocks.of(c, b, b.cols), "100 positions per image: no per-image products first");
        assertTrue(c.epilogue() instanceof Expr.Acc && ProductOutput.of(c, s.graph()).direct(), "(transposed back) straight into NCHW");
        assertMatchesInterpreter(s, y, 13, 10);
        // with a bias and ReLU fused in: transposed back into the product, then the epilogue
        Node bias = Node.leaf(Op.Role.INPUT, "b", Shape.of(1, 16, 1, 1), DType.F32);
        Node z = Ops.unary(Op.UnaryFn.RELU, Ops.add(y, Ops.broadcastTo(bias, Shape.of(3, 16, 10, 10))));
        Scheduler.Schedule fused = Scheduler.schedule(List.of(z), n -> false);
        Kernel.Contraction fc = contraction(fused);
        assertEquals(narrow, JvmProgram.transposes(fc, patches(fc)));
        assertFalse(ProductOutput.of(fc, fused.graph()).direct());
        assertMatchesInterpreter(fused, z, 14, 10);
        // 6 channels stay untransposed
        Node w6 = Node.leaf(Op.Role.INPUT, "w", Shape.of(6, 6, 5, 5), DType.F32);
        Kernel.Contraction six = contraction(Scheduler.schedule(List.of(Ops.conv2d(x, w6, 1, 1, 0, 0, 1, 1)), n -> false));
        assertFalse(JvmProgram.transposes(six, patches(six)));
    }
}
