package dev.kiln.dsl;

import dev.kiln.ir.DType;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Tensor API against values PyTorch 1.13 computes for the same calls (quoted above each assertion). */
class TensorApiTest {

    private static void assertValues(double[] expected, Tensor actual) {
        assertArrayEquals(expected, actual.toDoubleArray(), 1e-6, () -> "got " + actual);
    }

    private static void assertShape(Tensor t, int... dims) { assertArrayEquals(dims, t.shape().toArray(), () -> "shape " + t.shape()); }

    private static Tensor floats(double[] values, int... shape) { return Kiln.tensor(values, shape, DType.F32); }

    // ---- creation ---------------------------------------------------------------------------------------------------

    @Test
    void filledTensors() {
        Tensor z = Kiln.zeros(2, 3);
        assertShape(z, 2, 3);
        assertEquals(DType.F32, z.dtype());
        assertValues(new double[6], z);
        Tensor o = Kiln.ones(2);
        assertEquals(DType.F32, o.dtype());
        assertValues(new double[] {1, 1}, o);
        // torch.full((2, 2), 7.)
        Tensor f = Kiln.full(new int[] {2, 2}, 7);
        assertValues(new double[] {7, 7, 7, 7}, f);
        assertEquals(DType.F32, f.dtype());
        assertEquals(DType.I64, Kiln.zeros(DType.I64, 3).dtype());
        assertEquals(DType.F64, Kiln.onesLike(Kiln.zeros(DType.F64, 2)).dtype());
        assertShape(Kiln.zerosLike(Kiln.ones(4, 1)), 4, 1);
    }

    @Test
    void arange() {
        // torch.arange(5) -> int64 [0..4]; torch.arange(2, 7)
        Tensor a = Kiln.arange(5);
        assertEquals(DType.I64, a.dtype());
        assertArrayEquals(new long[] {0, 1, 2, 3, 4}, a.toLongArray());
        assertArrayEquals(new long[] {2, 3, 4, 5, 6}, Kiln.arange(2, 7).toLongArray());
        // torch.arange(0, 1, 0.25) -> [0, 0.25, 0.5, 0.75]; torch.arange(1., 2.5, 0.5) -> [1, 1.5, 2]
        Tensor f = Kiln.arange(0.0, 1.0, 0.25);
        assertEquals(DType.F32, f.dtype());
        assertValues(new double[] {0, 0.25, 0.5, 0.75}, f);
        assertValues(new double[] {1, 1.5, 2}, Kiln.arange(1.0, 2.5, 0.5));
        assertEquals(0, Kiln.arange(0).numel());
    }

    @Test
    void linspace() {
        // torch.linspace(0, 1, 5)
        assertValues(new double[] {0, 0.25, 0.5, 0.75, 1}, Kiln.linspace(0, 1, 5));
        // torch.linspace(0, 1, 7).tolist()
        assertArrayEquals(new double[] {0.0, 0.1666666716337204, 0.3333333432674408, 0.5, 0.6666666269302368, 0.8333333134651184, 1.0},
                Kiln.linspace(0, 1, 7).toDoubleArray(), 1e-7);
        // torch.linspace(-1, 1, 7).tolist(): the middle value is -2.98e-08 in float32 arithmetic
        assertArrayEquals(new double[] {-1.0, -0.6666666269302368, -0.3333333134651184, 0, 0.3333333134651184, 0.6666666269302368, 1.0},
                Kiln.linspace(-1, 1, 7).toDoubleArray(), 1e-7);
        assertEquals(1.0, Kiln.linspace(-1, 1, 7).toDoubleArray()[6]);
        // torch.linspace(0, 1, 2) -> [0., 1.]
        assertValues(new double[] {0, 1}, Kiln.linspace(0, 1, 2));
    }

    @Test
    void linspaceWithOneStepIsTheStart() {
        // torch.linspace(3, 5, 1) -> tensor([3.])
        assertValues(new double[] {3}, Kiln.linspace(3, 5, 1));
    }

    @Test
    void randnIsReproducibleWithManualSeed() {
        Kiln.manualSeed(42);
        double[] a = Kiln.randn(100).toDoubleArray();
        Kiln.manualSeed(42);
        double[] b = Kiln.randn(100).toDoubleArray();
        assertArrayEquals(a, b);
        Kiln.manualSeed(43);
        double[] c = Kiln.randn(100).toDoubleArray();
        assertFalse(Arrays.equals(a, c));
        // consecutive draws differ
        Kiln.manualSeed(42);
        Kiln.randn(100);
        assertFalse(Arrays.equals(a, Kiln.randn(100).toDoubleArray()));
        // roughly standard normal
        Kiln.manualSeed(7);
        double[] big = Kiln.randn(20000).toDoubleArray();
        double mean = Arrays.stream(big).average().orElseThrow();
        double var = Arrays.stream(big).map(v -> (v - mean) * (v - mean)).average().orElseThrow();
        assertEquals(0, mean, 0.05);
        assertEquals(1, var, 0.05);
        assertEquals(DType.F32, Kiln.randn(2, 2).dtype());
    }

    @Test
    void randIsReproducibleAndInTheUnitInterval() {
        Kiln.manualSeed(1);
        Tensor a = Kiln.rand(50, 4);
        assertShape(a, 50, 4);
        Kiln.manualSeed(1);
        assertArrayEquals(a.toDoubleArray(), Kiln.rand(50, 4).toDoubleArray());
        Kiln.manualSeed(2);
        assertFalse(Arrays.equals(a.toDoubleArray(), Kiln.rand(50, 4).toDoubleArray()));
        for (double v : a.toDoubleArray()) assertTrue(v >= 0 && v < 1, "rand value " + v);
        Generator g1 = new Generator(5), g2 = new Generator(5);
        assertArrayEquals(Kiln.rand(g1, 10).toDoubleArray(), Kiln.rand(g2, 10).toDoubleArray());
    }

    @Test
    void randintStaysInRange() {
        Kiln.manualSeed(3);
        Tensor r = Kiln.randint(2, 7, 1000);
        assertEquals(DType.I64, r.dtype());
        long[] v = r.toLongArray();
        boolean[] seen = new boolean[7];
        for (long x : v) {
            assertTrue(x >= 2 && x < 7, "randint value " + x);
            seen[(int) x] = true;
        }
        for (int i = 2; i < 7; i++) assertTrue(seen[i], "value " + i + " never drawn in 1000 draws");
    }

    // ---- reductions -------------------------------------------------------------------------------------------------

    /** torch.tensor([[1., 5., 5.], [7., 2., 7.]]) */
    private static Tensor t23() { return Kiln.tensor(new float[][] {{1, 5, 5}, {7, 2, 7}}); }

    @Test
    void sumAndMeanWithDims() {
        Tensor t = t23();
        assertValues(new double[] {27}, t.sum());
        assertEquals(0, t.sum().dim());
        // t.sum(0) -> [8., 7., 12.]; t.sum(1, keepdim=True) -> [[11.], [16.]]
        assertValues(new double[] {8, 7, 12}, t.sum(0));
        Tensor k = t.sum(1, true);
        assertShape(k, 2, 1);
        assertValues(new double[] {11, 16}, k);
        assertValues(new double[] {11, 16}, t.sum(-1));
        assertShape(t.sum(new int[] {0, 1}, true), 1, 1);
        // t.mean(0) -> [4., 3.5, 6.]; t.mean() -> 4.5
        assertValues(new double[] {4, 3.5, 6}, t.mean(0));
        assertValues(new double[] {4.5}, t.mean());
        assertShape(t.mean(new int[] {0, 1}, true), 1, 1);
        assertShape(t.mean(1, true), 2, 1);
    }

    @Test
    void integerSumsAreInt64AndMeanNeedsFloats() {
        // torch.tensor([1, 2]).sum().dtype -> int64; torch.tensor([True, True, False]).sum() -> tensor(2)
        assertEquals(DType.I64, Kiln.tensor(1L, 2L).sum().dtype());
        Tensor b = Kiln.tensor(true, true, false).sum();
        assertEquals(DType.I64, b.dtype());
        assertEquals(2, b.item());
        assertEquals(DType.I64, Kiln.tensor(new double[] {1, 2}, new int[] {2}, DType.I32).sum().dtype());
        assertThrows(IllegalArgumentException.class, () -> Kiln.arange(4).mean());
    }

    @Test
    void maxAmaxArgmax() {
        Tensor t = t23();
        // t.max() -> 7.; t.max(1).values -> [5., 7.]; t.amax(0) -> [7., 5., 7.]; t.amax((0, 1)) -> 7.
        assertEquals(7, t.max().item());
        assertValues(new double[] {5, 7}, t.max(1));
        assertShape(t.max(1, true), 2, 1);
        assertValues(new double[] {7, 5, 7}, t.amax(0));
        assertValues(new double[] {7}, t.amax(0, 1));
        assertEquals(0, t.amax(0, 1).dim());
        assertEquals(1, t.min().item());
        // ties go to the first index: t.argmax(1) -> [1, 0]; t.argmax(0) -> [1, 0, 1]
        Tensor am = t.argmax(1);
        assertEquals(DType.I64, am.dtype());
        assertArrayEquals(new long[] {1, 0}, am.toLongArray());
        assertArrayEquals(new long[] {1, 0, 1}, t.argmax(0).toLongArray());
        // torch.tensor([1, 3, 3, 2]).argmax(0) -> 1; torch.tensor([[4, 9], [9, 1]]).argmax(0) -> [1, 0]
        assertArrayEquals(new long[] {1}, Kiln.tensor(1L, 3L, 3L, 2L).argmax(0).reshape(1).toLongArray());
        assertArrayEquals(new long[] {1, 0}, Kiln.tensor(new double[] {4, 9, 9, 1}, new int[] {2, 2}, DType.I64).argmax(0).toLongArray());
        assertArrayEquals(new long[] {0}, Kiln.tensor(2f, 2f, 2f).argmax(0).reshape(1).toLongArray());
    }

    // ---- movement -----------------------------------------------------------------------------------------------------

    @Test
    void reshapeAndView() {
        Tensor x = Kiln.arange(24).reshape(2, 3, 4);
        assertShape(x, 2, 3, 4);
        // x.reshape(-1, 4) -> [6, 4]; x.reshape(4, -1) -> [4, 6]
        assertShape(x.reshape(-1, 4), 6, 4);
        assertShape(x.reshape(4, -1), 4, 6);
        assertShape(x.view(-1), 24);
        assertArrayEquals(Kiln.arange(24).toLongArray(), x.view(24).toLongArray());
        assertShape(Kiln.scalarTensor(5, DType.F32).reshape(1, 1), 1, 1);
    }

    @Test
    void permuteTransposeT() {
        Tensor x = Kiln.arange(24).reshape(2, 3, 4);
        // x.permute(2, 0, 1).shape -> [4, 2, 3]; x.permute(2, 0, 1)[1] -> [[1, 5, 9], [13, 17, 21]]
        Tensor p = x.permute(2, 0, 1);
        assertShape(p, 4, 2, 3);
        assertArrayEquals(new long[] {1, 5, 9, 13, 17, 21}, p.get(1).toLongArray());
        assertShape(x.permute(-1, 0, 1), 4, 2, 3);
        // x.transpose(0, 2).shape -> [4, 3, 2]
        Tensor tr = x.transpose(0, 2);
        assertShape(tr, 4, 3, 2);
        assertArrayEquals(new long[] {0, 12, 4, 16, 8, 20}, tr.get(0).toLongArray());
        // torch.arange(6).reshape(2, 3).t() -> [[0, 3], [1, 4], [2, 5]]
        Tensor t = Kiln.arange(6).reshape(2, 3).t();
        assertShape(t, 3, 2);
        assertArrayEquals(new long[] {0, 3, 1, 4, 2, 5}, t.toLongArray());
        Tensor v = Kiln.tensor(1f, 2f);
        assertSame(v, v.t());
        assertThrows(IllegalArgumentException.class, () -> x.t());
    }

    @Test
    void unsqueezeSqueezeFlatten() {
        Tensor v = Kiln.tensor(1f, 2f, 3f);
        assertShape(v.unsqueeze(0), 1, 3);
        assertShape(v.unsqueeze(-1), 3, 1);
        assertShape(v.unsqueeze(1), 3, 1);
        Tensor z = Kiln.zeros(1, 3, 1);
        assertShape(z.squeeze(), 3);
        // torch.zeros(1, 3, 1).squeeze(1).shape -> [1, 3, 1]
        assertShape(z.squeeze(1), 1, 3, 1);
        assertShape(z.squeeze(0), 3, 1);
        assertShape(z.squeeze(-1), 1, 3);
        Tensor x = Kiln.arange(24).reshape(2, 3, 4);
        // x.flatten(1) -> [2, 12]; x.flatten(0, 1) -> [6, 4]; x.flatten() -> [24]
        assertShape(x.flatten(1), 2, 12);
        assertShape(x.flatten(0, 1), 6, 4);
        assertShape(x.flatten(), 24);
        assertShape(x.flatten(1, 1), 2, 3, 4);
        assertShape(Kiln.scalarTensor(1, DType.F32).flatten(), 1);
        assertArrayEquals(Kiln.arange(24).toLongArray(), x.flatten().toLongArray());
    }

    @Test
    void selectAndGet() {
        Tensor x = Kiln.arange(24).reshape(2, 3, 4);
        // x[1] -> [[12..15], [16..19], [20..23]]; x[1][2] -> [20, 21, 22, 23]
        assertShape(x.get(1), 3, 4);
        assertArrayEquals(new long[] {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}, x.get(1).toLongArray());
        assertArrayEquals(new long[] {20, 21, 22, 23}, x.get(1).get(2).toLongArray());
        assertArrayEquals(new long[] {20, 21, 22, 23}, x.get(1, 2).toLongArray());
        assertArrayEquals(new long[] {20, 21, 22, 23}, x.get(-1).get(-1).toLongArray());
        // x.select(2, 1) -> [[1, 5, 9], [13, 17, 21]]
        assertArrayEquals(new long[] {1, 5, 9, 13, 17, 21}, x.select(2, 1).toLongArray());
        assertEquals(0, Kiln.tensor(4f, 5f).get(1).dim());
        assertEquals(5, Kiln.tensor(4f, 5f).get(1).item());
    }

    @Test
    void slicing() {
        Tensor x = Kiln.arange(24).reshape(2, 3, 4);
        // x[:, :, 1:4:2] -> [[[1, 3], [5, 7], [9, 11]], [[13, 15], [17, 19], [21, 23]]]
        Tensor s = x.slice(2, 1, 4, 2);
        assertShape(s, 2, 3, 2);
        assertArrayEquals(new long[] {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23}, s.toLongArray());
        // torch.arange(10)[-3:] -> [7, 8, 9]; [2:100] -> [2..9]; [5:2] -> []
        Tensor r = Kiln.arange(10);
        assertArrayEquals(new long[] {7, 8, 9}, r.slice(0, -3, 10, 1).toLongArray());
        assertArrayEquals(new long[] {2, 3, 4, 5, 6, 7, 8, 9}, r.slice(0, 2, 100, 1).toLongArray());
        assertEquals(0, r.slice(0, 5, 2, 1).numel());
        assertArrayEquals(new long[] {1, 2}, r.narrow(0, 1, 2).toLongArray());
        assertThrows(IllegalArgumentException.class, () -> r.slice(0, 0, 5, 0));
    }

    @Test
    void catAndStack() {
        // torch.cat([torch.tensor([[1, 2]]), torch.tensor([[3, 4], [5, 6]])], 0)
        Tensor a = Kiln.tensor(new double[] {1, 2}, new int[] {1, 2}, DType.I64);
        Tensor b = Kiln.tensor(new double[] {3, 4, 5, 6}, new int[] {2, 2}, DType.I64);
        Tensor c = Kiln.cat(List.of(a, b), 0);
        assertShape(c, 3, 2);
        assertEquals(DType.I64, c.dtype());
        assertArrayEquals(new long[] {1, 2, 3, 4, 5, 6}, c.toLongArray());
        Tensor c1 = Kiln.cat(List.of(b, b), 1);
        assertShape(c1, 2, 4);
        assertArrayEquals(new long[] {3, 4, 3, 4, 5, 6, 5, 6}, c1.toLongArray());
        // torch.stack([torch.tensor([1, 2]), torch.tensor([3, 4])], 1) -> [[1, 3], [2, 4]]
        Tensor s = Kiln.stack(List.of(Kiln.tensor(1L, 2L), Kiln.tensor(3L, 4L)), 1);
        assertShape(s, 2, 2);
        assertArrayEquals(new long[] {1, 3, 2, 4}, s.toLongArray());
        Tensor s0 = Kiln.stack(List.of(Kiln.tensor(1f, 2f), Kiln.tensor(3f, 4f), Kiln.tensor(5f, 6f)), 0);
        assertShape(s0, 3, 2);
        assertValues(new double[] {1, 2, 3, 4, 5, 6}, s0);
    }

    @Test
    void catPropagatesGradientsToEachPart() {
        Tensor a = Kiln.tensor(1f, 2f).requiresGrad_(true);
        Tensor b = Kiln.tensor(3f).requiresGrad_(true);
        Kiln.cat(List.of(a, b), 0).mul(Kiln.tensor(10f, 20f, 30f)).sum().backward();
        assertValues(new double[] {10, 20}, a.grad());
        assertValues(new double[] {30}, b.grad());
    }

    // ---- composites -------------------------------------------------------------------------------------------------

    @Test
    void softmaxRowsSumToOne() {
        // torch.tensor([[1., 2., 3.]]).softmax(1) -> [[0.0900, 0.2447, 0.6652]]
        assertArrayEquals(new double[] {0.09003057, 0.24472847, 0.66524096},
                Kiln.tensor(new float[][] {{1, 2, 3}}).softmax(1).toDoubleArray(), 1e-6);
        Kiln.manualSeed(11);
        Tensor x = Kiln.randn(4, 7).mul(5);
        Tensor p = x.softmax(1);
        double[] rows = p.sum(1).toDoubleArray();
        for (double r : rows) assertEquals(1, r, 1e-6);
        for (double v : p.toDoubleArray()) assertTrue(v > 0 && v < 1);
        double[] cols = x.softmax(0).sum(0).toDoubleArray();
        for (double c : cols) assertEquals(1, c, 1e-6);
        // large logits do not overflow
        assertValues(new double[] {0.5, 0.5}, Kiln.tensor(1000f, 1000f).softmax(0));
    }

    @Test
    void logSoftmaxIsTheLogOfSoftmax() {
        // torch.tensor([[1., 2., 3.]]).log_softmax(1) -> [[-2.4076, -1.4076, -0.4076]]
        assertArrayEquals(new double[] {-2.40760596, -1.40760596, -0.40760596},
                Kiln.tensor(new float[][] {{1, 2, 3}}).logSoftmax(1).toDoubleArray(), 1e-6);
        Kiln.manualSeed(12);
        Tensor x = Kiln.randn(3, 5);
        assertArrayEquals(x.softmax(1).log().toDoubleArray(), x.logSoftmax(1).toDoubleArray(), 1e-5);
        assertArrayEquals(x.softmax(-1).log().toDoubleArray(), x.logSoftmax(-1).toDoubleArray(), 1e-5);
    }

    @Test
    void itemAndMetadata() {
        // torch.tensor([2.5]).item() -> 2.5
        assertEquals(2.5, Kiln.tensor(2.5f).item());
        assertEquals(3.0, Kiln.scalarTensor(3, DType.F32).item());
        assertThrows(IllegalStateException.class, () -> Kiln.zeros(2).item());
        Tensor z = Kiln.zeros(2, 3);
        assertEquals(Size.of(2, 3), z.size());
        assertEquals(Size.of(2, 3), z.shape());
        assertEquals("torch.Size([2, 3])", z.size().toString());
        assertEquals(3, z.size(-1));
        assertEquals(2, z.size(0));
        assertEquals(2, z.dim());
        assertEquals(6, z.numel());
        assertEquals(2, z.shape().length());
        assertEquals(3, z.shape().get(-1));
        assertEquals(0, Kiln.scalarTensor(1, DType.F32).dim());
        assertEquals(1, Kiln.scalarTensor(1, DType.F32).numel());
    }

    // ---- type promotion ---------------------------------------------------------------------------------------------

    @Test
    void typePromotion() {
        // (torch.tensor([1, 2]) * 2.5).dtype -> float32, values [2.5, 5.]
        Tensor a = Kiln.tensor(1L, 2L).mul(2.5);
        assertEquals(DType.F32, a.dtype());
        assertValues(new double[] {2.5, 5}, a);
        // torch.tensor([3, 4]) / torch.tensor([2, 2]) -> tensor([1.5000, 2.0000]), float32
        Tensor d = Kiln.tensor(3L, 4L).div(Kiln.tensor(2L, 2L));
        assertEquals(DType.F32, d.dtype());
        assertValues(new double[] {1.5, 2}, d);
        // torch.tensor([1, 2]) / 2 -> [0.5, 1.], float32
        assertEquals(DType.F32, Kiln.tensor(1L, 2L).div(2).dtype());
        assertValues(new double[] {0.5, 1}, Kiln.tensor(1L, 2L).div(2));
        // float32 tensor + float64 0-d -> float32; 0-d float32 + 0-d float64 -> float64
        assertEquals(DType.F32, Kiln.tensor(1f, 2f).add(Kiln.scalarTensor(1.5, DType.F64)).dtype());
        assertEquals(DType.F64, Kiln.scalarTensor(1, DType.F32).add(Kiln.scalarTensor(1.5, DType.F64)).dtype());
        // int64 tensor + float64 0-d -> float64 (a higher category wins even from a 0-d tensor)
        assertEquals(DType.F64, Kiln.tensor(1L, 2L).add(Kiln.scalarTensor(1.5, DType.F64)).dtype());
        // int32 tensor + int64 0-d -> int32; int32 tensor + 5 -> int32; int32 tensor + int64 [1] tensor -> int64
        Tensor i32 = Kiln.tensor(new double[] {1, 2}, new int[] {2}, DType.I32);
        assertEquals(DType.I32, i32.add(Kiln.scalarTensor(5, DType.I64)).dtype());
        assertEquals(DType.I32, i32.add(5).dtype());
        assertEquals(DType.I64, i32.add(Kiln.tensor(5L)).dtype());
        // float64 tensor * 2.5 -> float64; int64 + 5 -> int64
        assertEquals(DType.F64, Kiln.tensor(new double[] {1, 2}, new int[] {2}, DType.F64).mul(2.5).dtype());
        assertEquals(DType.I64, Kiln.tensor(1L, 2L).add(5).dtype());
        // torch.tensor(2.) + torch.tensor([1, 2]) -> tensor([3., 4.])
        Tensor s = Kiln.scalarTensor(2, DType.F32).add(Kiln.tensor(1L, 2L));
        assertEquals(DType.F32, s.dtype());
        assertValues(new double[] {3, 4}, s);
    }

    @Test
    void comparisonsGiveBool() {
        // torch.tensor([1, 2, 3]) == 2 -> [False, True, False]
        Tensor eq = Kiln.tensor(1L, 2L, 3L).eq(2);
        assertEquals(DType.BOOL, eq.dtype());
        assertValues(new double[] {0, 1, 0}, eq);
        // torch.tensor([1., 2., 3.]) >= 2 -> [False, True, True]
        Tensor x = Kiln.tensor(1f, 2f, 3f);
        assertValues(new double[] {0, 1, 1}, x.ge(2));
        assertValues(new double[] {0, 0, 1}, x.gt(2));
        assertValues(new double[] {1, 1, 0}, x.le(2));
        assertValues(new double[] {1, 0, 0}, x.lt(2));
        assertValues(new double[] {1, 0, 1}, x.ne(2));
        assertValues(new double[] {0, 1, 0}, x.lt(Kiln.tensor(0f, 3f, 3f)));
        for (Tensor c : List.of(x.ge(2), x.gt(2), x.le(2), x.lt(2), x.ne(2), x.eq(x))) {
            assertEquals(DType.BOOL, c.dtype());
            assertFalse(c.requiresGrad());
        }
        assertFalse(x.requiresGrad_(true).gt(1).requiresGrad());
        assertValues(new double[] {0, 1, 1}, Kiln.tensor(1L, 2L, 3L).gt(1.5));
    }

    @Test
    void whereSelectsElementwise() {
        // torch.where(torch.tensor([True, False, True]), torch.tensor([1., 2., 3.]), torch.tensor([10., 20., 30.]))
        Tensor w = Kiln.where(Kiln.tensor(true, false, true), Kiln.tensor(1f, 2f, 3f), Kiln.tensor(10f, 20f, 30f));
        assertValues(new double[] {1, 20, 3}, w);
        Tensor x = Kiln.tensor(-1f, 2f, -3f);
        assertValues(new double[] {0, 2, 0}, Kiln.where(x.gt(0), x, Kiln.zeros(3)));
        // broadcasting a row against a column
        Tensor b = Kiln.where(Kiln.tensor(true, false).reshape(2, 1), Kiln.ones(3), Kiln.zeros(2, 3));
        assertShape(b, 2, 3);
        assertValues(new double[] {1, 1, 1, 0, 0, 0}, b);
    }

    @Test
    void clamp() {
        // torch.tensor([-2., 0.5, 3.]).clamp(-1, 1) -> [-1., 0.5, 1.]; .clamp(min=0) -> [0., 0.5, 3.]
        Tensor x = Kiln.tensor(-2f, 0.5f, 3f);
        assertValues(new double[] {-1, 0.5, 1}, x.clamp(-1, 1));
        assertValues(new double[] {0, 0.5, 3}, x.clamp(0, null));
        assertValues(new double[] {0, 0.5, 3}, x.clampMin(0));
        assertValues(new double[] {-2, 0.5, 1}, x.clampMax(1));
        // gradient passes where min <= x <= max
        Tensor g = Kiln.tensor(-2f, 0.5f, 3f).requiresGrad_(true);
        g.clamp(-1, 1).sum().backward();
        assertValues(new double[] {0, 1, 0}, g.grad());
    }

    @Test
    void pow() {
        // torch.tensor([3., 4.]).pow(2) -> [9., 16.]; torch.tensor([2., 3.]).pow(torch.tensor([3., 2.])) -> [8., 9.]
        assertValues(new double[] {9, 16}, Kiln.tensor(3f, 4f).pow(2));
        assertValues(new double[] {8, 9}, Kiln.tensor(2f, 3f).pow(Kiln.tensor(3f, 2f)));
        // torch.tensor([1, 2]).pow(2) -> int64 [1, 4]; .pow(0.5) -> float32 [1., 1.4142]
        Tensor ip = Kiln.tensor(1L, 2L).pow(2);
        assertEquals(DType.I64, ip.dtype());
        assertArrayEquals(new long[] {1, 4}, ip.toLongArray());
        Tensor fp = Kiln.tensor(1L, 2L).pow(0.5);
        assertEquals(DType.F32, fp.dtype());
        assertArrayEquals(new double[] {1, Math.sqrt(2)}, fp.toDoubleArray(), 1e-6);
        Tensor x = Kiln.tensor(2f, -1f).requiresGrad_(true);
        x.pow(3).sum().backward();
        assertValues(new double[] {12, 3}, x.grad());
    }

    @Test
    void elementwiseMath() {
        Tensor x = Kiln.tensor(1f, 4f, 9f);
        assertValues(new double[] {1, 2, 3}, x.sqrt());
        assertValues(new double[] {-1, -4, -9}, x.neg());
        assertValues(new double[] {1, 0.25, 1.0 / 9}, x.reciprocal());
        assertArrayEquals(new double[] {0, Math.log(4), Math.log(9)}, x.log().toDoubleArray(), 1e-6);
        assertValues(new double[] {1, 0, 1}, Kiln.tensor(-1f, 0f, 1f).abs());
        assertValues(new double[] {-1, 0, 1}, Kiln.tensor(-3f, 0f, 2f).sign());
        assertValues(new double[] {0, 0, 2}, Kiln.tensor(-3f, 0f, 2f).relu());
        assertValues(new double[] {0.5}, Kiln.tensor(0f).sigmoid());
        assertValues(new double[] {2, 4, 3}, Kiln.tensor(1f, 4f, 3f).maximum(Kiln.tensor(2f, 0f, 3f)));
        assertValues(new double[] {1, 0, 3}, Kiln.tensor(1f, 4f, 3f).minimum(Kiln.tensor(2f, 0f, 3f)));
        // torch.tensor([1., 2.]).rsub(1) i.e. 1 - x -> [0., -1.]; 1 / x via rdiv
        assertValues(new double[] {0, -1}, Kiln.tensor(1f, 2f).rsub(1));
        assertValues(new double[] {1, 0.5}, Kiln.tensor(1f, 2f).rdiv(1));
        // exp of an int64 tensor is float32 ([0, 1] -> [1., 2.7183])
        Tensor e = Kiln.arange(2).exp();
        assertEquals(DType.F32, e.dtype());
        assertArrayEquals(new double[] {1, Math.E}, e.toDoubleArray(), 1e-6);
    }

    @Test
    void inPlaceOpsAndCopy() {
        Tensor x = Kiln.tensor(1f, 2f);
        assertSame(x, x.add_(1));
        assertValues(new double[] {2, 3}, x);
        x.mul_(Kiln.tensor(2f, 10f));
        assertValues(new double[] {4, 30}, x);
        x.div_(2);
        assertValues(new double[] {2, 15}, x);
        x.fill_(7);
        assertValues(new double[] {7, 7}, x);
        x.copy_(Kiln.tensor(5L));
        assertValues(new double[] {5, 5}, x);
        assertEquals(DType.F32, x.dtype());
        // an int64 tensor times an int stays int64
        Tensor i = Kiln.tensor(1L, 2L);
        i.mul_(3);
        assertArrayEquals(new long[] {3, 6}, i.toLongArray());
    }

    @Test
    void detachSharesValuesAndClonesAreIndependent() {
        Tensor x = Kiln.tensor(1f, 2f);
        Tensor c = x.clone();
        x.add_(1);
        assertValues(new double[] {1, 2}, c);
        assertValues(new double[] {2, 3}, x);
        assertNotEquals(null, x.detach());
        assertValues(new double[] {2, 3}, x.detach());
    }

    @Test
    void toConvertsDtype() {
        Tensor x = Kiln.tensor(-1.7f, 2.5f);
        Tensor i = x.to(DType.I64);
        assertEquals(DType.I64, i.dtype());
        // PyTorch truncates toward zero: tensor([-1.7, 2.5]).long() -> [-1, 2]
        assertArrayEquals(new long[] {-1, 2}, i.toLongArray());
        assertSame(x, x.to(DType.F32));
        assertEquals(DType.F64, x.to(DType.F64).dtype());
        assertValues(new double[] {1, 1}, x.to(DType.BOOL));
    }

    // ---- integer tensors meeting floats -----------------------------------------------------------------------------

    @Test
    void clampOfAnIntegerTensorWithAFloatBoundIsFloat() {
        // torch.tensor([1, 2, 3]).clamp(min=1.5) -> tensor([1.5000, 2.0000, 3.0000])
        Tensor c = Kiln.tensor(1L, 2L, 3L).clamp(1.5, null);
        assertEquals(DType.F32, c.dtype());
        assertValues(new double[] {1.5, 2, 3}, c);
    }

    @Test
    void clampOfAnIntegerTensorWithIntegerBoundsStaysInteger() {
        // torch.tensor([1, 2, 3]).clamp(2, 2) -> tensor([2, 2, 2])
        Tensor i = Kiln.tensor(1L, 2L, 3L).clamp(2, 2);
        assertEquals(DType.I64, i.dtype());
        assertArrayEquals(new long[] {2, 2, 2}, i.toLongArray());
    }

    @Test
    void inPlaceOpWhoseResultIsFloatFailsOnAnIntegerTensor() {
        // torch.tensor([1, 2]).div_(2) / .mul_(2.5) -> RuntimeError: result type Float can't be cast to the desired output type Long
        Tensor a = Kiln.tensor(1L, 2L);
        Exception e = assertThrows(RuntimeException.class, () -> a.div_(2));
        assertEquals("result type Float can't be cast to the desired output type Long", e.getMessage());
        Exception m = assertThrows(RuntimeException.class, () -> a.mul_(2.5));
        assertEquals("result type Float can't be cast to the desired output type Long", m.getMessage());
        assertArrayEquals(new long[] {1, 2}, a.toLongArray());
    }

    @Test
    void integerToANegativePowerFails() {
        // torch.tensor([2]).pow(-1) -> RuntimeError: Integers to negative integer powers are not allowed.
        Exception e = assertThrows(RuntimeException.class, () -> Kiln.tensor(2L).pow(-1).toLongArray());
        assertEquals("Integers to negative integer powers are not allowed.", e.getMessage());
    }

    // ---- edge cases of reductions and selection ---------------------------------------------------------------------

    @Test
    void argmaxTreatsNaNAsTheMaximum() {
        // torch.tensor([1., nan, 3.]).argmax(0) -> tensor(1)
        assertArrayEquals(new long[] {1}, Kiln.tensor(1f, Float.NaN, 3f).argmax(0).reshape(1).toLongArray());
        // torch.tensor([[nan, 1.], [2., nan]]).argmax(1) -> tensor([0, 1])
        assertArrayEquals(new long[] {0, 1}, Kiln.tensor(new float[][] {{Float.NaN, 1f}, {2f, Float.NaN}}).argmax(1).toLongArray());
    }

    @Test
    void maxOfAnEmptyTensorFails() {
        // torch.zeros(0).max() -> RuntimeError: max(): Expected reduction dim to be specified for input.numel() == 0. ...
        Exception e = assertThrows(RuntimeException.class, () -> Kiln.zeros(0).max().item());
        assertTrue(e.getMessage().startsWith("max(): Expected reduction dim to be specified for input.numel() == 0."), e.getMessage());
    }

    @Test
    void whereNeedsABoolCondition() {
        // torch.where(torch.tensor([1., 0.]), a, b) -> RuntimeError: where expected condition to be a boolean tensor, but got a tensor with dtype Float
        Exception e = assertThrows(RuntimeException.class,
                () -> Kiln.where(Kiln.tensor(1f, 0f), Kiln.tensor(1f, 2f), Kiln.tensor(3f, 4f)));
        assertEquals("where expected condition to be a boolean tensor, but got a tensor with dtype Float", e.getMessage());
    }

    // ---- views share storage with their base ------------------------------------------------------------------------

    @Test
    void inPlaceChangesToTheBaseShowThroughAView() {
        // b = torch.zeros(4); v = b.view(2, 2); b.add_(1); v -> [[1., 1.], [1., 1.]]
        Tensor b = Kiln.zeros(4);
        Tensor v = b.view(2, 2);
        b.add_(1);
        assertValues(new double[] {1, 1, 1, 1}, v);
    }

    @Test
    void inPlaceChangesThroughASelectShowInTheBase() {
        // b = torch.zeros(2, 2); b[0].fill_(1); b -> [[1., 1.], [0., 0.]]
        Tensor b = Kiln.zeros(2, 2);
        b.get(0).fill_(1);
        assertValues(new double[] {1, 1, 0, 0}, b);
    }
}
