package dev.kiln.dsl;

import dev.kiln.ir.DType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code Tensor.toString()} against what PyTorch 1.13 prints ({@code print(t)}) for the same data. Every expected
 * string below was produced by Debian's python3-torch; the Python expression is quoted above each assertion.
 */
class TensorFormatTest {

    private static Tensor floats(double[] values, int... shape) { return Kiln.tensor(values, shape, DType.F32); }

    /** torch.arange(n, dtype=torch.float32) */
    private static Tensor arangeF(int n) { return Kiln.arange(n).to(DType.F32); }

    @Test
    void integralFloatsPrintWithATrailingDot() {
        // torch.tensor([36., 81.])
        assertEquals("tensor([36., 81.])", Kiln.tensor(36f, 81f).toString());
        // torch.tensor([0., 0.])
        assertEquals("tensor([0., 0.])", Kiln.tensor(0f, 0f).toString());
    }

    @Test
    void nonIntegralFloatsPrintFourDecimals() {
        // torch.tensor([1.5, 2.25, 3.0])
        assertEquals("tensor([1.5000, 2.2500, 3.0000])", Kiln.tensor(1.5f, 2.25f, 3.0f).toString());
        // torch.tensor([0.1, -0.25])
        assertEquals("tensor([ 0.1000, -0.2500])", Kiln.tensor(0.1f, -0.25f).toString());
        // torch.tensor([0.001, 1.])
        assertEquals("tensor([0.0010, 1.0000])", Kiln.tensor(0.001f, 1f).toString());
    }

    @Test
    void negativeValuesAreRightAligned() {
        // torch.tensor([-1.5, 2.25, -30.125])
        assertEquals("tensor([ -1.5000,   2.2500, -30.1250])", Kiln.tensor(-1.5f, 2.25f, -30.125f).toString());
        // torch.tensor([-1., 0., 2.5])
        assertEquals("tensor([-1.0000,  0.0000,  2.5000])", Kiln.tensor(-1f, 0f, 2.5f).toString());
        // torch.tensor([100., -20.5])
        assertEquals("tensor([100.0000, -20.5000])", Kiln.tensor(100f, -20.5f).toString());
        // torch.tensor([-1, 20, 300])
        assertEquals("tensor([ -1,  20, 300])", Kiln.tensor(-1L, 20L, 300L).toString());
    }

    @Test
    void twoDimensionalRowsAreIndentedUnderTheFirst() {
        // torch.tensor([[1., 2.5], [3., 4.]])
        assertEquals("tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]])",
                Kiln.tensor(new float[][] {{1f, 2.5f}, {3f, 4f}}).toString());
        // torch.tensor([[-1., 0.], [2.5, 3.]], requires_grad=True)
        assertEquals("tensor([[-1.0000,  0.0000],\n        [ 2.5000,  3.0000]], requires_grad=True)",
                Kiln.tensor(new float[][] {{-1f, 0f}, {2.5f, 3f}}).requiresGrad_(true).toString());
        // torch.arange(6).reshape(2, 3).t()
        assertEquals("tensor([[0, 3],\n        [1, 4],\n        [2, 5]])", Kiln.arange(6).reshape(2, 3).t().toString());
    }

    @Test
    void threeDimensionalBlocksAreSeparatedByABlankLine() {
        // torch.arange(24.).reshape(2, 3, 4)
        assertEquals("""
                tensor([[[ 0.,  1.,  2.,  3.],
                         [ 4.,  5.,  6.,  7.],
                         [ 8.,  9., 10., 11.]],

                        [[12., 13., 14., 15.],
                         [16., 17., 18., 19.],
                         [20., 21., 22., 23.]]])""", arangeF(24).reshape(2, 3, 4).toString());
        // torch.arange(12).reshape(2, 2, 3)
        assertEquals("""
                tensor([[[ 0,  1,  2],
                         [ 3,  4,  5]],

                        [[ 6,  7,  8],
                         [ 9, 10, 11]]])""", Kiln.arange(12).reshape(2, 2, 3).toString());
        // torch.arange(8.).reshape(2, 2, 2).sum(0, keepdim=True)
        assertEquals("tensor([[[ 4.,  6.],\n         [ 8., 10.]]])", arangeF(8).reshape(2, 2, 2).sum(0, true).toString());
    }

    @Test
    void requiresGradLeafSuffix() {
        // torch.tensor([2., 3.], requires_grad=True)
        assertEquals("tensor([2., 3.], requires_grad=True)", Kiln.tensor(2f, 3f).requiresGrad_(true).toString());
        // torch.tensor([1.5, 2.]).requires_grad_()
        assertEquals("tensor([1.5000, 2.0000], requires_grad=True)", Kiln.tensor(1.5f, 2f).requiresGrad_().toString());
    }

    @Test
    void gradFnSuffix() {
        Tensor a = Kiln.tensor(2f, 3f).requiresGrad_(true);
        Tensor b = Kiln.tensor(6f, 4f).requiresGrad_(true);
        // Q = 3 * a**3 - b**2
        assertEquals("tensor([-12.,  65.], grad_fn=<SubBackward0>)", a.pow(3).mul(3).sub(b.pow(2)).toString());
        Tensor x = Kiln.tensor(1f, 2f, 3f).requiresGrad_(true);
        // x * x
        assertEquals("tensor([1., 4., 9.], grad_fn=<MulBackward0>)", x.mul(x).toString());
        // (x * x).sum()
        assertEquals("tensor(14., grad_fn=<SumBackward0>)", x.mul(x).sum().toString());
        // torch.tensor([2.5, -1.], dtype=torch.float64, requires_grad=True) * 2
        Tensor d = Kiln.tensor(new double[] {2.5, -1}, new int[] {2}, DType.F64).requiresGrad_(true);
        assertEquals("tensor([ 5., -2.], dtype=torch.float64, grad_fn=<MulBackward0>)", d.mul(2).toString());
    }

    @Test
    void noGradResultsHaveNoSuffix() {
        Tensor x = Kiln.tensor(1f, 2f).requiresGrad_(true);
        try (var ignored = Autograd.noGrad()) {
            assertEquals("tensor([2., 4.])", x.mul(2).toString());
        }
        assertEquals("tensor([1., 2.])", x.detach().toString());
    }

    @Test
    void int64PrintsPlainIntegers() {
        // torch.arange(3)
        assertEquals("tensor([0, 1, 2])", Kiln.arange(3).toString());
        // torch.arange(2, 7)
        assertEquals("tensor([2, 3, 4, 5, 6])", Kiln.arange(2, 7).toString());
    }

    @Test
    void int32HasADtypeSuffix() {
        // torch.tensor([1, 2], dtype=torch.int32)
        assertEquals("tensor([1, 2], dtype=torch.int32)", Kiln.tensor(new double[] {1, 2}, new int[] {2}, DType.I32).toString());
    }

    @Test
    void boolPadsToTheWidthOfFalse() {
        // torch.tensor([True, False])
        assertEquals("tensor([ True, False])", Kiln.tensor(true, false).toString());
        // torch.arange(6).reshape(2, 3) > 2
        assertEquals("tensor([[False, False, False],\n        [ True,  True,  True]])", Kiln.arange(6).reshape(2, 3).gt(2).toString());
        // torch.tensor([1., 2., 3.]) >= 2
        assertEquals("tensor([False,  True,  True])", Kiln.tensor(1f, 2f, 3f).ge(2).toString());
    }

    @Test
    void float64HasADtypeSuffix() {
        // torch.tensor([1.5, 2.], dtype=torch.float64)
        assertEquals("tensor([1.5000, 2.0000], dtype=torch.float64)", Kiln.tensor(new double[] {1.5, 2}, new int[] {2}, DType.F64).toString());
        // torch.tensor([1., 2.], dtype=torch.float64)
        assertEquals("tensor([1., 2.], dtype=torch.float64)", Kiln.tensor(new double[] {1, 2}, new int[] {2}, DType.F64).toString());
        // torch.tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], dtype=torch.float64)
        assertEquals("tensor([[[1., 2.],\n         [3., 4.]],\n\n        [[5., 6.],\n         [7., 8.]]], dtype=torch.float64)",
                Kiln.tensor(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, new int[] {2, 2, 2}, DType.F64).toString());
    }

    @Test
    void scientificNotationWhenMagnitudesSpanWidely() {
        // torch.tensor([1e-5, 3., 1000.])
        assertEquals("tensor([1.0000e-05, 3.0000e+00, 1.0000e+03])", Kiln.tensor(1e-5f, 3f, 1000f).toString());
        // torch.tensor([1e10, 1.])
        assertEquals("tensor([1.0000e+10, 1.0000e+00])", Kiln.tensor(1e10f, 1f).toString());
        // torch.tensor([1e-4, 1.]) / torch.tensor([1e-5, 1e-6])
        assertEquals("tensor([1.0000e-04, 1.0000e+00])", Kiln.tensor(1e-4f, 1f).toString());
        assertEquals("tensor([1.0000e-05, 1.0000e-06])", Kiln.tensor(1e-5f, 1e-6f).toString());
        // torch.tensor([1., 1001.5])
        assertEquals("tensor([1.0000e+00, 1.0015e+03])", Kiln.tensor(1f, 1001.5f).toString());
        // torch.tensor([[1e-5, 3.], [1000., -2.]])
        assertEquals("tensor([[ 1.0000e-05,  3.0000e+00],\n        [ 1.0000e+03, -2.0000e+00]])",
                Kiln.tensor(new float[][] {{1e-5f, 3f}, {1000f, -2f}}).toString());
    }

    @Test
    void integralFloatsSwitchToScientificWhenTheRatioExceedsAThousand() {
        // torch.tensor([1e8, 1.]): integral values, but max/min > 1000
        assertEquals("tensor([1.0000e+08, 1.0000e+00])", Kiln.tensor(1e8f, 1f).toString());
    }

    @Test
    void nanAndInf() {
        // torch.tensor([float('nan'), 1.5, float('inf')])
        assertEquals("tensor([   nan, 1.5000,    inf])", Kiln.tensor(Float.NaN, 1.5f, Float.POSITIVE_INFINITY).toString());
    }

    @Test
    void zeroDimensionalScalars() {
        // torch.tensor(3.5), torch.tensor(3.), torch.tensor(-0.5)
        assertEquals("tensor(3.5000)", Kiln.scalarTensor(3.5, DType.F32).toString());
        assertEquals("tensor(3.)", Kiln.scalarTensor(3, DType.F32).toString());
        assertEquals("tensor(-0.5000)", Kiln.scalarTensor(-0.5, DType.F32).toString());
        // torch.tensor(2.5, dtype=torch.float64)
        assertEquals("tensor(2.5000, dtype=torch.float64)", Kiln.scalarTensor(2.5, DType.F64).toString());
        // torch.tensor(7), torch.tensor(True)
        assertEquals("tensor(7)", Kiln.scalarTensor(7, DType.I64).toString());
        assertEquals("tensor(True)", Kiln.scalarTensor(1, DType.BOOL).toString());
        // torch.tensor([1., 2.]).mean()
        assertEquals("tensor(1.5000)", Kiln.tensor(1f, 2f).mean().toString());
    }

    @Test
    void emptyVector() {
        // torch.zeros(0)
        assertEquals("tensor([])", Kiln.zeros(0).toString());
    }

    @Test
    void emptyMatrixPrintsItsSize() {
        // torch.zeros(2, 0): PyTorch prints the size as a tuple
        assertEquals("tensor([], size=(2, 0))", Kiln.zeros(2, 0).toString());
    }

    @Test
    void largeFloatTensorIsSummarised() {
        // torch.arange(2000).float(): the shown values span more than 1000x, so scientific notation
        assertEquals("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])",
                arangeF(2000).toString());
    }

    @Test
    void summarisedIntegralFloatsKeepTheTrailingDot() {
        // torch.arange(1001.)
        assertEquals("tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])", arangeF(1001).toString());
    }

    @Test
    void largeIntTensorIsSummarised() {
        // torch.arange(2000)
        assertEquals("tensor([   0,    1,    2,  ..., 1997, 1998, 1999])", Kiln.arange(2000).toString());
    }

    @Test
    void summarised2dTensorElidesRowsAndColumns() {
        // torch.arange(2000).reshape(40, 50)
        assertEquals("""
                tensor([[   0,    1,    2,  ...,   47,   48,   49],
                        [  50,   51,   52,  ...,   97,   98,   99],
                        [ 100,  101,  102,  ...,  147,  148,  149],
                        ...,
                        [1850, 1851, 1852,  ..., 1897, 1898, 1899],
                        [1900, 1901, 1902,  ..., 1947, 1948, 1949],
                        [1950, 1951, 1952,  ..., 1997, 1998, 1999]])""", Kiln.arange(2000).reshape(40, 50).toString());
    }

    @Test
    void summarised2dFloatTensor() {
        // torch.arange(2000).reshape(40, 50).float()
        assertEquals("""
                tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,
                         4.9000e+01],
                        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,
                         9.9000e+01],
                        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,
                         1.4900e+02],
                        ...,
                        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,
                         1.8990e+03],
                        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,
                         1.9490e+03],
                        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,
                         1.9990e+03]])""", arangeF(2000).reshape(40, 50).toString());
    }

    @Test
    void longRowsWrapAtEightyColumns() {
        // torch.arange(30.) * 1.5
        assertEquals("""
                tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,
                        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,
                        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,
                        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000])""", arangeF(30).mul(1.5).toString());
        // torch.arange(40)
        assertEquals("""
                tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,
                        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
                        36, 37, 38, 39])""", Kiln.arange(40).toString());
        // torch.arange(100.)
        StringBuilder expected = new StringBuilder("tensor([");
        for (int i = 0; i < 100; i++) {
            if (i > 0) expected.append(i % 14 == 0 ? ",\n        " : ", ");
            expected.append(String.format("%2d.", i));
        }
        expected.append("])");
        assertEquals(expected.toString(), arangeF(100).toString());
    }

    @Test
    void longRowsOfA2dTensorWrapAtEightyColumns() {
        // torch.arange(40).reshape(2, 20)
        assertEquals("""
                tensor([[ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,
                         18, 19],
                        [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37,
                         38, 39]])""", Kiln.arange(40).reshape(2, 20).toString());
        // (torch.arange(24.) + 0.5).reshape(2, 12)
        assertEquals("""
                tensor([[ 0.5000,  1.5000,  2.5000,  3.5000,  4.5000,  5.5000,  6.5000,  7.5000,
                          8.5000,  9.5000, 10.5000, 11.5000],
                        [12.5000, 13.5000, 14.5000, 15.5000, 16.5000, 17.5000, 18.5000, 19.5000,
                         20.5000, 21.5000, 22.5000, 23.5000]])""", arangeF(24).add(0.5).reshape(2, 12).toString());
    }

    @Test
    void sizeAndShapePrintLikeTorchSize() {
        assertEquals("torch.Size([2, 3])", Kiln.zeros(2, 3).shape().toString());
        assertEquals("torch.Size([])", Kiln.scalarTensor(1, DType.F32).shape().toString());
    }
}
