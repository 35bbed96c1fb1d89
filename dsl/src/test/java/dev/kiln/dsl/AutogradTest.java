package dev.kiln.dsl;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Safetensors;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Autograd against PyTorch 1.13's behaviour (values, grad_fn names, error messages). */
class AutogradTest {
    private static final double EPS = 1e-5;

    private static void assertValues(double[] expected, Tensor actual) { assertValues(expected, actual, EPS); }

    private static void assertValues(double[] expected, Tensor actual, double tol) {
        assertNotNull(actual, "tensor is null");
        assertArrayEquals(expected, actual.toDoubleArray(), tol, () -> "got " + actual);
    }

    private static List<String> nextNames(GradFn fn) {
        List<String> names = new ArrayList<>();
        for (GradFn f : fn.nextFunctions()) names.add(f == null ? null : f.name());
        return names;
    }

    // ---- the tutorial (seed 001) ------------------------------------------------------------------------------------

    @Test
    void seed001Tutorial() {
        Tensor a = Kiln.tensor(2f, 3f).requiresGrad_(true);
        Tensor b = Kiln.tensor(6f, 4f).requiresGrad_(true);
        Tensor q = a.pow(3).mul(3).sub(b.pow(2));
        assertValues(new double[] {-12, 65}, q);
        q.backward(Kiln.tensor(1f, 1f));
        assertValues(new double[] {36, 81}, a.grad());
        assertValues(new double[] {-12, -8}, b.grad());
        // PyTorch: a.grad == 9*a**2, b.grad == -2*b
        assertValues(a.pow(2).mul(9).toDoubleArray(), a.grad());
        assertValues(b.mul(-2).toDoubleArray(), b.grad());
        assertEquals("tensor([36., 81.])", a.grad().toString());
        assertEquals("tensor([-12.,  -8.])", b.grad().toString());
        assertFalse(a.grad().requiresGrad());
        assertEquals(DType.F32, a.grad().dtype());
    }

    @Test
    void seed001GradFnChainMatchesPyTorch() {
        Tensor a = Kiln.tensor(2f, 3f).requiresGrad_(true);
        Tensor b = Kiln.tensor(6f, 4f).requiresGrad_(true);
        Tensor q = a.pow(3).mul(3).sub(b.pow(2));
        // Q.grad_fn -> <SubBackward0>; next_functions ((MulBackward0, 0), (PowBackward0, 0))
        assertEquals("SubBackward0", q.gradFn().name());
        assertEquals("<SubBackward0>", q.gradFn().toString());
        assertEquals(List.of("MulBackward0", "PowBackward0"), nextNames(q.gradFn()));
        // MulBackward0.next_functions ((PowBackward0, 0), (None, 0))
        GradFn mul = q.gradFn().nextFunctions().get(0);
        assertEquals(java.util.Arrays.asList("PowBackward0", null), nextNames(mul));
        // PowBackward0.next_functions ((AccumulateGrad, 0),)
        GradFn pow = mul.nextFunctions().get(0);
        assertEquals(List.of("AccumulateGrad"), nextNames(pow));
        assertSame(a, pow.nextFunctions().get(0).variable());
        assertSame(b, q.gradFn().nextFunctions().get(1).nextFunctions().get(0).variable());
        assertTrue(a.isLeaf());
        assertFalse(q.isLeaf());
        assertNull(a.gradFn());
    }

    // ---- .grad bookkeeping ------------------------------------------------------------------------------------------

    @Test
    void gradAccumulatesAcrossBackwardCalls() {
        Tensor x = Kiln.tensor(1f, 2f, 3f).requiresGrad_(true);
        x.mul(x).sum().backward();
        assertValues(new double[] {2, 4, 6}, x.grad());
        x.mul(x).sum().backward();
        assertValues(new double[] {4, 8, 12}, x.grad());
        x.mul(3).sum().backward();
        assertValues(new double[] {7, 11, 15}, x.grad());
    }

    @Test
    void zeroingTheGradResetsAccumulation() {
        Tensor x = Kiln.tensor(1f, 2f, 3f).requiresGrad_(true);
        x.mul(x).sum().backward();
        x.grad().zero_();
        assertValues(new double[] {0, 0, 0}, x.grad());
        x.pow(3).sum().backward();
        assertValues(new double[] {3, 12, 27}, x.grad());
    }

    @Test
    void backwardOfNonScalarWithoutGradientFails() {
        Tensor x = Kiln.tensor(1f, 2f, 3f).requiresGrad_(true);
        Tensor y = x.mul(x);
        Exception e = assertThrows(RuntimeException.class, y::backward);
        assertEquals("grad can be implicitly created only for scalar outputs", e.getMessage());
        assertNull(x.grad());
    }

    @Test
    void backwardOfTensorWithoutGradFails() {
        Tensor x = Kiln.tensor(1f, 2f);
        Exception e = assertThrows(RuntimeException.class, () -> x.sum().backward());
        assertEquals("element 0 of tensors does not require grad and does not have a grad_fn", e.getMessage());
    }

    @Test
    void backwardWithGradientOfWrongShapeFails() {
        Tensor x = Kiln.tensor(1f, 2f, 3f).requiresGrad_(true);
        Exception e = assertThrows(RuntimeException.class, () -> x.mul(2).backward(Kiln.tensor(1f, 1f)));
        assertTrue(e.getMessage().startsWith("Mismatch in shape"), e.getMessage());
    }

    @Test
    void requiresGradPropagates() {
        Kiln.manualSeed(0);
        Tensor x = Kiln.rand(5, 5);
        Tensor y = Kiln.rand(5, 5);
        Tensor z = Kiln.rand(5, 5).requiresGrad_(true);
        Tensor a = x.add(y);
        assertFalse(a.requiresGrad(), "x + y");
        assertNull(a.gradFn());
        Tensor b = x.add(z);
        assertTrue(b.requiresGrad(), "x + z");
        assertEquals("AddBackward0", b.gradFn().name());
        // next_functions: (None, 0), (AccumulateGrad, 0)
        assertEquals(java.util.Arrays.asList(null, "AccumulateGrad"), nextNames(b.gradFn()));
    }

    @Test
    void requiresGradOnIntegerTensorFails() {
        Exception e = assertThrows(RuntimeException.class, () -> Kiln.arange(3).requiresGrad_(true));
        assertEquals("only Tensors of floating point dtype can require gradients", e.getMessage());
    }

    // ---- no-grad mode -----------------------------------------------------------------------------------------------

    @Test
    void noGradScopeStopsRecording() {
        Tensor x = Kiln.tensor(1f, 2f).requiresGrad_(true);
        assertTrue(Autograd.isGradEnabled());
        Tensor y;
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            assertFalse(Autograd.isGradEnabled());
            y = x.mul(2).add(1);
            assertFalse(y.requiresGrad());
            assertNull(y.gradFn());
        }
        assertTrue(Autograd.isGradEnabled());
        assertValues(new double[] {3, 5}, y);
        assertTrue(x.mul(2).requiresGrad());
    }

    @Test
    void noGradScopesNest() {
        try (Autograd.Scope outer = Autograd.noGrad()) {
            try (Autograd.Scope inner = Autograd.setGradEnabled(true)) {
                assertTrue(Autograd.isGradEnabled());
            }
            assertFalse(Autograd.isGradEnabled());
        }
        assertTrue(Autograd.isGradEnabled());
    }

    @Test
    void noGradRunnable() {
        Tensor x = Kiln.tensor(1f, 2f).requiresGrad_(true);
        Tensor[] out = new Tensor[1];
        Kiln.noGrad(() -> out[0] = x.mul(x));
        assertFalse(out[0].requiresGrad());
        assertValues(new double[] {1, 4}, out[0]);
        assertTrue(Autograd.isGradEnabled());
    }

    @Test
    void gradModeIsRestoredWhenTheBodyThrows() {
        assertThrows(IllegalStateException.class, () -> Kiln.noGrad(() -> { throw new IllegalStateException("boom"); }));
        assertTrue(Autograd.isGradEnabled());
    }

    @Test
    void parameterUpdateUnderNoGrad() {
        Tensor w = Kiln.tensor(1f, 2f).requiresGrad_(true);
        w.mul(w).sum().backward();                       // grad = 2w = [2, 4]
        Kiln.noGrad(() -> w.sub_(w.grad().mul(0.1)));
        assertValues(new double[] {0.8, 1.6}, w);
        assertTrue(w.requiresGrad());
        assertTrue(w.isLeaf(), "an update under no_grad keeps the parameter a leaf");
        assertNull(w.gradFn());
        w.grad().zero_();
        w.mul(w).sum().backward();
        assertValues(new double[] {1.6, 3.2}, w.grad());
    }

    @Test
    void inPlaceOnLeafRequiringGradFails() {
        Tensor w = Kiln.tensor(1f, 2f).requiresGrad_(true);
        Exception e = assertThrows(RuntimeException.class, () -> w.add_(1));
        assertEquals("a leaf Variable that requires grad is being used in an in-place operation.", e.getMessage());
        Exception e2 = assertThrows(RuntimeException.class, () -> w.sub_(Kiln.tensor(1f, 1f)));
        assertEquals("a leaf Variable that requires grad is being used in an in-place operation.", e2.getMessage());
        assertValues(new double[] {1, 2}, w);
    }

    @Test
    void inPlaceOnNonLeafIsRecorded() {
        Tensor x = Kiln.tensor(1f, 2f).requiresGrad_(true);
        Tensor y = x.mul(2);
        y.add_(1);
        assertEquals("AddBackward0", y.gradFn().name());
        assertValues(new double[] {3, 5}, y);
        y.mul(y).sum().backward();                     // d/dx (2x+1)^2 = 4(2x+1)
        assertValues(new double[] {12, 20}, x.grad());
    }

    // ---- cutting the graph ------------------------------------------------------------------------------------------

    @Test
    void detachStopsGradients() {
        Tensor x = Kiln.tensor(1f, 2f, 3f).requiresGrad_(true);
        Tensor y = x.mul(x);
        Tensor d = y.detach();
        assertFalse(d.requiresGrad());
        assertNull(d.gradFn());
        assertTrue(d.isLeaf());
        Tensor z = d.mul(x);
        assertEquals(java.util.Arrays.asList(null, "AccumulateGrad"), nextNames(z.gradFn()));
        z.sum().backward();
        assertValues(new double[] {1, 4, 9}, x.grad());     // y's values, not 3x² = [3, 12, 27]
    }

    @Test
    void tensorComputedUnderNoGradContributesNoGradientPath() {
        Tensor x = Kiln.tensor(1f, 2f, 3f).requiresGrad_(true);
        Tensor c;
        try (var ignored = Autograd.noGrad()) {
            c = x.mul(2);
        }
        Tensor z = c.mul(x).sum();     // c is a constant 2x: dz/dx = c = 2x, not 4x
        z.backward();
        assertValues(new double[] {2, 4, 6}, x.grad());
    }

    @Test
    void frozenTensorsGetNoGrad() {
        Tensor w = Kiln.tensor(1f, 2f);                   // requires_grad=False
        Tensor x = Kiln.tensor(3f, 4f).requiresGrad_(true);
        Tensor frozen = Kiln.tensor(5f, 6f).requiresGrad_(true).requiresGrad_(false);
        assertFalse(frozen.requiresGrad());
        w.mul(x).add(frozen.mul(x)).sum().backward();
        assertNull(w.grad());
        assertNull(frozen.grad());
        assertValues(new double[] {6, 8}, x.grad());
    }

    @Test
    void nonLeafGradIsNotKeptWithoutRetainGrad() {
        Tensor x = Kiln.tensor(1f, 2f).requiresGrad_(true);
        Tensor y = x.mul(2);
        y.mul(y).sum().backward();
        assertNull(y.grad());
        assertValues(new double[] {8, 16}, x.grad());
    }

    @Test
    void retainGradOnNonLeaf() {
        Tensor x = Kiln.tensor(1f, 2f).requiresGrad_(true);
        Tensor y = x.mul(2).retainGrad();
        assertFalse(y.isLeaf());
        y.mul(y).sum().backward();
        assertValues(new double[] {4, 8}, y.grad());      // 2y
        assertValues(new double[] {8, 16}, x.grad());     // 8x
    }

    @Test
    void retainGradOnTensorWithoutGradFails() {
        Exception e = assertThrows(RuntimeException.class, () -> Kiln.tensor(1f).retainGrad());
        assertEquals("can't retain_grad on Tensor that has requires_grad=False", e.getMessage());
    }

    @Test
    void parameterUsedTwiceGetsTheSummedGradient() {
        Tensor w = Kiln.tensor(2f, -1f).requiresGrad_(true);
        Tensor x = Kiln.tensor(3f, 5f);
        // y = w*x + w*w: dy/dw = x + 2w
        w.mul(x).add(w.mul(w)).sum().backward();
        assertValues(new double[] {7, 3}, w.grad());

        Tensor v = Kiln.tensor(1f, 2f).requiresGrad_(true);
        v.add(v).add(v).sum().backward();
        assertValues(new double[] {3, 3}, v.grad());
    }

    // ---- grad_fn names against PyTorch 1.13 ---------------------------------------------------------------------------

    @Test
    void gradFnNamesMatchPyTorch() {
        Tensor x = Kiln.tensor(new float[][] {{1, 2, 3}, {4, 5, 6}}).requiresGrad_(true);
        Tensor v = Kiln.tensor(1f, 2f, 3f).requiresGrad_(true);
        assertEquals("MmBackward0", x.mm(x.t()).gradFn().name());
        assertEquals(List.of("AccumulateGrad", "TBackward0"), nextNames(x.mm(x.t()).gradFn()));
        assertEquals("TBackward0", x.t().gradFn().name());
        assertEquals("ReluBackward0", x.relu().gradFn().name());
        assertEquals("SumBackward0", x.sum().gradFn().name());
        assertEquals("SumBackward1", x.sum(1).gradFn().name());
        assertEquals("SumBackward1", x.sum(new int[] {0, 1}, true).gradFn().name());
        assertEquals("MeanBackward0", x.mean().gradFn().name());
        assertEquals("MeanBackward1", x.mean(1).gradFn().name());
        assertEquals("ViewBackward0", x.view(3, 2).gradFn().name());
        assertEquals("ExpBackward0", x.exp().gradFn().name());
        assertEquals("LogBackward0", x.log().gradFn().name());
        assertEquals("TanhBackward0", x.tanh().gradFn().name());
        assertEquals("SigmoidBackward0", x.sigmoid().gradFn().name());
        assertEquals("SqrtBackward0", x.sqrt().gradFn().name());
        assertEquals("AbsBackward0", x.abs().gradFn().name());
        assertEquals("SignBackward0", x.sign().gradFn().name());
        assertEquals("ReciprocalBackward0", x.reciprocal().gradFn().name());
        assertEquals("NegBackward0", x.neg().gradFn().name());
        assertEquals("RsubBackward1", x.rsub(1).gradFn().name());
        assertEquals("DivBackward0", x.div(2).gradFn().name());
        assertEquals(java.util.Arrays.asList("AccumulateGrad", null), nextNames(x.div(2).gradFn()));
        assertEquals("DivBackward0", x.div(x).gradFn().name());
        assertEquals("AddBackward0", x.add(1).gradFn().name());
        assertEquals(java.util.Arrays.asList("AccumulateGrad", null), nextNames(x.add(1).gradFn()));
        assertEquals("SubBackward0", x.sub(1).gradFn().name());
        assertEquals("MulBackward0", x.mul(2).gradFn().name());
        assertEquals(List.of("AccumulateGrad", "AccumulateGrad"), nextNames(x.mul(x).gradFn()));
        assertEquals("UnsqueezeBackward0", x.unsqueeze(0).gradFn().name());
        assertEquals("SqueezeBackward0", x.unsqueeze(0).squeeze().gradFn().name());
        assertEquals(List.of("UnsqueezeBackward0"), nextNames(x.unsqueeze(0).squeeze().gradFn()));
        assertEquals("SqueezeBackward1", x.unsqueeze(0).squeeze(0).gradFn().name());
        assertEquals("SelectBackward0", x.get(1).gradFn().name());
        assertEquals("SelectBackward0", x.select(1, 0).gradFn().name());
        assertEquals("SliceBackward0", x.narrow(1, 0, 2).gradFn().name());
        assertEquals("PermuteBackward0", x.permute(1, 0).gradFn().name());
        assertEquals("TransposeBackward0", x.transpose(0, 1).gradFn().name());
        assertEquals("SoftmaxBackward0", x.softmax(1).gradFn().name());
        assertEquals("LogSoftmaxBackward0", x.logSoftmax(1).gradFn().name());
        assertEquals("CatBackward0", Kiln.cat(List.of(x, x), 0).gradFn().name());
        assertEquals(List.of("AccumulateGrad", "AccumulateGrad"), nextNames(Kiln.cat(List.of(x, x), 0).gradFn()));
        assertEquals("MaxBackward1", x.max().gradFn().name());
        assertEquals("MaxBackward0", x.max(1).gradFn().name());
        assertEquals("AmaxBackward0", x.amax(1).gradFn().name());
        assertEquals("ExpandBackward0", v.expand(2, 3).gradFn().name());
        assertEquals("CloneBackward0", x.clone().gradFn().name());
        assertEquals("ToCopyBackward0", x.to(DType.F64).gradFn().name());
        assertEquals("PowBackward0", x.pow(2).gradFn().name());
        assertEquals("PowBackward1", x.pow(x).gradFn().name());
        assertEquals("MaximumBackward0", x.maximum(x.mul(2)).gradFn().name());
        assertEquals(List.of("AccumulateGrad", "MulBackward0"), nextNames(x.maximum(x.mul(2)).gradFn()));
        assertEquals("MinimumBackward0", x.minimum(x.mul(2)).gradFn().name());
        assertEquals("WhereBackward0", Kiln.where(x.gt(2), x, x.mul(0)).gradFn().name());
        assertEquals("DotBackward0", v.matmul(v).gradFn().name());
        assertEquals("MvBackward0", x.matmul(v).gradFn().name());
        assertEquals("ClampBackward1", x.clamp(0, 1).gradFn().name());
        assertEquals("ClampMinBackward0", x.clampMin(0).gradFn().name());
        assertEquals("ClampMaxBackward0", x.clampMax(1).gradFn().name());
    }

    @Test
    void stackGradFn() {
        Tensor x = Kiln.tensor(new float[][] {{1, 2, 3}, {4, 5, 6}}).requiresGrad_(true);
        // torch.stack([x, x]).grad_fn -> <StackBackward0>, next_functions (AccumulateGrad, AccumulateGrad)
        Tensor s = Kiln.stack(List.of(x, x), 0);
        assertEquals("StackBackward0", s.gradFn().name());
        assertEquals(List.of("AccumulateGrad", "AccumulateGrad"), nextNames(s.gradFn()));
    }

    @Test
    void minGradFn() {
        Tensor x = Kiln.tensor(new float[][] {{1, 2, 3}, {4, 5, 6}}).requiresGrad_(true);
        // x.min().grad_fn -> <MinBackward1>, next_functions (AccumulateGrad,)
        assertEquals("MinBackward1", x.min().gradFn().name());
        assertEquals(List.of("AccumulateGrad"), nextNames(x.min().gradFn()));
    }

    @Test
    void rsubHasOneNextFunction() {
        Tensor x = Kiln.tensor(1f, 2f).requiresGrad_(true);
        // (1 - x).grad_fn.next_functions -> ((AccumulateGrad, 0),): the scalar is not an input
        assertEquals(List.of("AccumulateGrad"), nextNames(x.rsub(1).gradFn()));
    }

    /** PyTorch 1.13 (the reference build) names clamp with one bound ClampBackward1; clamp_min/clamp_max have their own. */
    @Test
    void clampWithOneBoundGradFnPyTorch113() {
        Tensor x = Kiln.tensor(new float[][] {{1, 2, 3}, {4, 5, 6}}).requiresGrad_(true);
        // x.clamp(min=0).grad_fn / x.clamp(max=1).grad_fn -> <ClampBackward1> in 1.13
        assertEquals("ClampBackward1", x.clamp(0, null).gradFn().name());
        assertEquals("ClampBackward1", x.clamp(null, 1).gradFn().name());
    }

    /** PyTorch 1.13 records reshape/flatten of a contiguous tensor as ReshapeAliasBackward0 (2.x: ViewBackward0). */
    @Test
    void reshapeGradFnPyTorch113() {
        Tensor x = Kiln.tensor(new float[][] {{1, 2, 3}, {4, 5, 6}}).requiresGrad_(true);
        assertEquals("ViewBackward0", x.view(-1).gradFn().name());
        assertEquals("ReshapeAliasBackward0", x.reshape(-1).gradFn().name());
        assertEquals("ReshapeAliasBackward0", x.flatten().gradFn().name());
    }

    // ---- gradients at kinks and ties, as PyTorch defines them ----------------------------------------------------------

    @Test
    void gradientsAtKinks() {
        // abs'(0) = 0, relu'(0) = 0, clamp passes the gradient at its bounds, sign' = 0
        Tensor a = Kiln.tensor(0f, -2f).requiresGrad_(true);
        a.abs().sum().backward();
        assertValues(new double[] {0, -1}, a.grad());
        Tensor r = Kiln.tensor(0f, 2f).requiresGrad_(true);
        r.relu().sum().backward();
        assertValues(new double[] {0, 1}, r.grad());
        Tensor c = Kiln.tensor(0f, 1f, 0.5f, 2f).requiresGrad_(true);
        c.clamp(0, 1).sum().backward();
        assertValues(new double[] {1, 1, 1, 0}, c.grad());
        Tensor s = Kiln.tensor(1f).requiresGrad_(true);
        s.sign().sum().backward();
        assertValues(new double[] {0}, s.grad());
    }

    @Test
    void fullReductionMaxSplitsTiesEvenly() {
        // torch.tensor([2., 2., 1.]).max().backward() -> grad [0.5, 0.5, 0.]; the same for amax and maximum
        Tensor z = Kiln.tensor(2f, 2f, 1f).requiresGrad_(true);
        z.max().backward();
        assertValues(new double[] {0.5, 0.5, 0}, z.grad());
        Tensor y = Kiln.tensor(2f, 2f, 1f).requiresGrad_(true);
        y.amax(0).backward();
        assertValues(new double[] {0.5, 0.5, 0}, y.grad());
        Tensor a = Kiln.tensor(2f, 1f).requiresGrad_(true);
        Tensor b = Kiln.tensor(2f, 3f).requiresGrad_(true);
        a.maximum(b).sum().backward();
        assertValues(new double[] {0.5, 0}, a.grad());
        assertValues(new double[] {0.5, 1}, b.grad());
    }

    @Test
    void maxAlongADimSendsTheGradientToTheFirstMaximum() {
        // torch.tensor([[2., 2., 1.]]).max(1).values.sum().backward() -> grad [[1., 0., 0.]] (it follows the returned index)
        Tensor z = Kiln.tensor(new float[][] {{2f, 2f, 1f}}).requiresGrad_(true);
        z.max(1).sum().backward();
        assertValues(new double[] {1, 0, 0}, z.grad());
    }

    @Test
    void powWithExponentZeroHasZeroGradient() {
        // torch.tensor([0., 2.], requires_grad=True).pow(0).sum().backward() -> grad [0., 0.] (not 0 * 0**-1 = nan)
        Tensor z = Kiln.tensor(0f, 2f).requiresGrad_(true);
        z.pow(0).sum().backward();
        assertValues(new double[] {0, 0}, z.grad());
    }

    @Test
    void sqrtGradientAtZeroIsInfinite() {
        // torch.tensor([0.], requires_grad=True).sqrt().sum().backward() -> grad [inf]
        Tensor s = Kiln.tensor(0f).requiresGrad_(true);
        s.sqrt().sum().backward();
        assertEquals(Double.POSITIVE_INFINITY, s.grad().item());
    }

    // ---- higher order -----------------------------------------------------------------------------------------------

    @Test
    void secondDerivativeOfCube() {
        double[] points = {-2, -0.5, 0, 1, 3};
        Tensor x = Kiln.tensor(points).requiresGrad_(true);
        Tensor y = x.pow(3).sum();
        Tensor dy = Autograd.grad(List.of(y), List.of(x), null, true).get(0);
        assertTrue(dy.requiresGrad(), "create_graph=True gives a differentiable gradient");
        double[] first = new double[points.length], second = new double[points.length];
        for (int i = 0; i < points.length; i++) {
            first[i] = 3 * points[i] * points[i];
            second[i] = 6 * points[i];
        }
        assertValues(first, dy);
        Tensor d2y = Autograd.grad(List.of(dy.sum()), List.of(x), null, false).get(0);
        assertValues(second, d2y);
        assertNull(x.grad(), "Autograd.grad does not touch .grad");
    }

    @Test
    void secondDerivativeThroughBackwardWithCreateGraph() {
        Tensor x = Kiln.tensor(2f).requiresGrad_(true);
        Tensor y = x.pow(3).sum();
        y.backward(Kiln.scalarTensor(1, DType.F32), true);
        Tensor g = x.grad();
        assertValues(new double[] {12}, g);
        assertTrue(g.requiresGrad());
        x.setGrad(null);
        g.sum().backward();
        assertValues(new double[] {12}, x.grad());    // 6x at x = 2
    }

    @Test
    void secondDerivativeOfTanh() {
        double[] points = {-1.5, -0.3, 0, 0.7, 2};
        Tensor x = Kiln.tensor(points).requiresGrad_(true);
        Tensor dy = Autograd.grad(List.of(x.tanh().sum()), List.of(x), null, true).get(0);
        Tensor d2y = Autograd.grad(List.of(dy.sum()), List.of(x), null, false).get(0);
        double[] first = new double[points.length], second = new double[points.length];
        for (int i = 0; i < points.length; i++) {
            double t = Math.tanh((float) points[i]);
            first[i] = 1 - t * t;
            second[i] = -2 * t * (1 - t * t);
        }
        assertValues(first, dy, 1e-5);
        assertValues(second, d2y, 1e-5);
    }

    @Test
    void autogradGradWithExplicitGradOutputs() {
        Tensor x = Kiln.tensor(1f, 2f, 3f).requiresGrad_(true);
        Tensor y = x.mul(x);
        Tensor g = Autograd.grad(List.of(y), List.of(x), List.of(Kiln.tensor(1f, 0f, 2f)), false).get(0);
        assertValues(new double[] {2, 0, 12}, g);
        assertFalse(g.requiresGrad());
    }

    @Test
    void autogradGradRejectsInputsWithoutGrad() {
        Tensor x = Kiln.tensor(1f, 2f);
        Tensor w = Kiln.tensor(1f, 2f).requiresGrad_(true);
        Exception e = assertThrows(RuntimeException.class, () -> Autograd.grad(List.of(w.mul(x).sum()), List.of(x), null, false));
        assertEquals("One of the differentiated Tensors does not require grad", e.getMessage());
    }

    // ---- the two-layer net of seed 002 against PyTorch ----------------------------------------------------------------

    @Test
    void twoLayerNetMatchesPyTorch() {
        Safetensors.Contents f = Fixtures.load("seed002_two_layer");
        Tensor x = Fixtures.tensor(f, "X");
        Tensor y = Fixtures.tensor(f, "y");
        Tensor w1 = Fixtures.tensor(f, "W1.init").requiresGrad_(true);
        Tensor w2 = Fixtures.tensor(f, "W2.init").requiresGrad_(true);
        double lr = 1e-6;
        for (int it = 0; it < 5; it++) {
            Tensor loss = x.mm(w1).clamp(0, null).mm(w2).sub(y).pow(2).sum();
            assertEquals(0, loss.dim());
            loss.backward();
            double expected = f.get("loss." + it).values()[0];
            double actual = loss.item();
            assertTrue(Math.abs(actual - expected) <= 1e-4 * Math.abs(expected), "loss." + it + ": " + actual + " vs PyTorch " + expected);
            if (it == 0) {
                Tensors.assertRelativeErrorNorm(f.get("W1.grad.0"), w1.grad(), 1e-4, "W1.grad.0");
                Tensors.assertRelativeErrorNorm(f.get("W2.grad.0"), w2.grad(), 1e-4, "W2.grad.0");
            }
            try (var ignored = Autograd.noGrad()) {
                w1.sub_(w1.grad().mul(lr));
                w2.sub_(w2.grad().mul(lr));
                w1.grad().zero_();
                w2.grad().zero_();
            }
            assertTrue(w1.isLeaf() && w1.requiresGrad());
        }
        Tensors.assertRelativeErrorNorm(f.get("W1.final"), w1, 1e-4, "W1.final");
        Tensors.assertRelativeErrorNorm(f.get("W2.final"), w2, 1e-4, "W2.final");
    }
}
