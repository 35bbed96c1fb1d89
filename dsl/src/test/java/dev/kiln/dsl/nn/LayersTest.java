package dev.kiln.dsl.nn;

import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ShapeException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.kiln.dsl.Autograd.noGrad;
import static dev.kiln.dsl.nn.ModuleTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Layers and losses against values computed once with PyTorch 1.13 (hard-coded, ~1e-5) or from their formulas. */
class LayersTest {
    private static final double TOL = 1e-5;

    private static Tensor t(double[] values, int... shape) { return Kiln.tensor(values, shape, DType.F32); }

    private static Tensor arange(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return t(v, n);
    }

    private static void assertShape(Tensor t, int... shape) { assertArrayEquals(shape, t.shape().toArray(), "shape"); }

    // ---- BatchNorm ------------------------------------------------------------------------------------------------

    private static final double[] BN_X = {1, 2, 3, 4, 5, 6.5, -1, 0, 2, 2, -3, 1};

    @Test
    void batchNorm1dTrainingMatchesPyTorchIncludingRunningStats() {
        BatchNorm1d bn = new BatchNorm1d(3);
        noGrad(() -> {
            bn.weight.copy_(Kiln.tensor(1f, 2f, 0.5f));
            bn.bias.copy_(Kiln.tensor(0f, 1f, -1f));
        });
        Tensor x = t(BN_X, 4, 3);

        Tensor y = bn.invoke(x);
        assertShape(y, 4, 3);
        assertClose(new double[] {-0.2773497, 1.6859939, -1.0301511, 1.3867484, 3.7439756, -0.1859204, -1.3867483, 0.3140061,
                -1.2713599, 0.2773497, -1.7439756, -1.5125687}, y.toDoubleArray(), TOL, "output, step 1");
        var state = bn.stateDict();
        assertClose(new double[] {0.15, 0.1, 0.3125}, state.get("running_mean").toDoubleArray(), TOL, "running_mean, step 1");
        assertClose(new double[] {1.3333334, 2.0333333, 1.4729166}, state.get("running_var").toDoubleArray(), TOL, "running_var, step 1");
        assertEquals(1.0, state.get("num_batches_tracked").item());

        Tensor y2 = bn.invoke(x.mul(2).add(1));
        assertClose(new double[] {-0.27735, 1.6859943, -1.0301511, 1.3867499, 3.7439771, -0.1859196, -1.3867499, 0.3140057,
                -1.2713602, 0.27735, -1.7439771, -1.5125691}, y2.toDoubleArray(), TOL, "output, step 2");
        state = bn.stateDict();
        assertClose(new double[] {0.535, 0.39, 1.00625}, state.get("running_mean").toDoubleArray(), TOL, "running_mean, step 2");
        assertClose(new double[] {2.9333334, 6.3633332, 3.6172917}, state.get("running_var").toDoubleArray(), TOL, "running_var, step 2");
        assertEquals(2.0, state.get("num_batches_tracked").item());
        assertEquals(DType.I64, state.get("num_batches_tracked").dtype());

        bn.eval();
        Tensor ye = bn.invoke(x);
        assertClose(new double[] {0.271501, 2.2764776, -0.4758587, 2.0231206, 4.6550074, 0.4442638, -0.8962454, 0.6907911,
                -0.7387509, 0.8553742, -1.6877385, -1.0016431}, ye.toDoubleArray(), TOL, "eval output (running stats)");
        state = bn.stateDict();
        assertEquals(2.0, state.get("num_batches_tracked").item(), "eval mode does not count batches");
        assertClose(new double[] {0.535, 0.39, 1.00625}, state.get("running_mean").toDoubleArray(), TOL, "eval leaves running_mean");
    }

    @Test
    void batchNorm1dGradientsMatchPyTorch() {
        BatchNorm1d bn = new BatchNorm1d(3);
        Tensor x = t(BN_X, 4, 3).requiresGrad_();
        Tensor weights = t(arange(12).toDoubleArray(), 4, 3);
        bn.invoke(x).mul(weights).sum().backward();
        assertClose(new double[] {-2.5601506, -1.2408423, -2.2261379, -0.5120311, 0.6960805, 0.7683561, 0.5120311, 0.2118514,
                0.2262989, 2.5601506, 0.3329104, 1.2314827}, x.grad().toDoubleArray(), 1e-4, "grad x");
        assertClose(new double[] {-1.664098, -10.2899084, -7.5980768}, bn.weight.grad().toDoubleArray(), 1e-4, "grad weight");
        assertClose(new double[] {18, 22, 26}, bn.bias.grad().toDoubleArray(), 1e-5, "grad bias");
    }

    @Test
    void batchNorm1dOnThreeDimensionalInputNormalisesOverBatchAndLength() {
        double[] v = new double[24];
        for (int i = 0; i < 24; i++) v[i] = Math.pow(i, 1.5) / 10;
        BatchNorm1d bn = new BatchNorm1d(3);
        Tensor y = bn.invoke(t(v, 2, 3, 4));
        assertShape(y, 2, 3, 4);
        assertClose(new double[] {-1.0752611, -1.0338937, -0.9582566, -0.8603101, -1.1490654, -1.0452751, -0.9305109, -0.8057369,
                -1.1729915, -1.0508301, -0.9216789, -0.7858974, 0.6443474, 0.8637164, 1.0916933, 1.3279648, 0.6784938, 0.8773322,
                1.082108, 1.2926542, 0.6936964, 0.8834339, 1.0777444, 1.276523}, y.toDoubleArray(), 1e-4, "output");
        assertClose(new double[] {0.2599299, 0.4320962, 0.646129}, bn.stateDict().get("running_mean").toDoubleArray(), TOL, "running_mean");
        assertClose(new double[] {1.5678451, 1.9730616, 2.3641989}, bn.stateDict().get("running_var").toDoubleArray(), 1e-4, "running_var");
    }

    @Test
    void batchNorm2dTrainingAndEvalMatchPyTorch() {
        double[] v = new double[24];
        for (int i = 0; i < 24; i++) v[i] = (i - 5.0) * (i - 5.0) / 7;
        Tensor x = t(v, 2, 2, 2, 3);
        BatchNorm2d bn = new BatchNorm2d(2);
        Tensor y = bn.invoke(x);
        assertShape(y, 2, 2, 2, 3);
        assertClose(new double[] {-0.541724, -0.7280495, -0.8729693, -0.9764834, -1.0385919, -1.0592947, -1.06528, -1.0403448,
                -0.9987865, -0.9406047, -0.8657997, -0.7743712, -0.0448561, 0.2656864, 0.6176344, 1.0109881, 1.4457476, 1.9219126,
                0.3310817, 0.5554971, 0.7965356, 1.0541978, 1.3284829, 1.6193916}, y.toDoubleArray(), 1e-4, "train output");
        assertClose(new double[] {0.7309524, 1.8452381}, bn.stateDict().get("running_mean").toDoubleArray(), TOL, "running_mean");
        assertClose(new double[] {6.0943723, 33.1266556}, bn.stateDict().get("running_var").toDoubleArray(), TOL, "running_var");
        assertEquals(1.0, bn.stateDict().get("num_batches_tracked").item());

        bn.eval();
        assertClose(new double[] {1.1506051, 0.6297947, 0.22472, -0.0646191, -0.2382225, -0.2960904, -0.2957794, -0.2213174,
                -0.0972142, 0.0765303, 0.2999161, 0.5729433, 2.5394325, 3.40745, 4.3912024, 5.4906912, 6.7059159, 8.0368748,
                3.8740892, 4.5442467, 5.2640452, 6.0334859, 6.8525667, 7.7212896}, bn.invoke(x).toDoubleArray(), 1e-4, "eval output");
    }

    @Test
    void freshBatchNormInEvalModeUsesInitialRunningStats() {
        BatchNorm2d bn = new BatchNorm2d(3);
        bn.eval();
        Tensor x = Kiln.randn(2, 3, 4, 4).mul(5).add(3);
        double[] in = x.toDoubleArray(), out = bn.invoke(x).toDoubleArray();
        double scale = 1 / Math.sqrt(1 + 1e-5);          // (x - 0) / sqrt(1 + eps) * 1 + 0
        for (int i = 0; i < in.length; i++) assertEquals(in[i] * scale, out[i], 1e-5 * Math.max(1, Math.abs(in[i])));
        assertEquals(0.0, bn.stateDict().get("num_batches_tracked").item());
    }

    @Test
    void batchNormWithoutAffineOrRunningStatsHasNoStateAndAlwaysUsesBatchStats() {
        BatchNorm1d bn = new BatchNorm1d(2, 1e-5, 0.1, false, false);
        assertTrue(bn.stateDict().isEmpty());
        assertTrue(bn.parameters().isEmpty());
        bn.eval();
        Tensor y = bn.invoke(Kiln.tensor(new float[][] {{1, 10}, {3, 30}}));
        assertClose(new double[] {-1, -1, 1, 1}, y.toDoubleArray(), 1e-4, "batch statistics even in eval mode");
    }

    @Test
    void batchNormRejectsWrongInputsWithClearErrors() {
        ShapeException e = assertThrows(ShapeException.class, () -> new BatchNorm1d(3).invoke(Kiln.zeros(2, 3, 4, 5)));
        assertTrue(e.getMessage().contains("expected 2D or 3D input (got 4D input"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> new BatchNorm2d(3).invoke(Kiln.zeros(2, 3)));
        assertTrue(e.getMessage().contains("expected 4D input (got 2D input"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> new BatchNorm1d(3).invoke(Kiln.zeros(1)));
        assertTrue(e.getMessage().contains("expected 2D or 3D input (got 1D input"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> new BatchNorm1d(4).invoke(Kiln.zeros(2, 3)));
        assertTrue(e.getMessage().contains("4") && e.getMessage().contains("torch.Size([2, 3])"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> new BatchNorm1d(3).invoke(Kiln.zeros(1, 3)));
        assertTrue(e.getMessage().contains("Expected more than 1 value per channel when training, got input size torch.Size([1, 3])"), e.getMessage());
        // inside a model, the path is named
        Sequential net = new Sequential(new Linear(4, 3), new BatchNorm2d(3));
        e = assertThrows(ShapeException.class, () -> net.invoke(Kiln.zeros(2, 4)));
        assertTrue(e.getMessage().contains("(in 1 (BatchNorm2d))"), e.getMessage());
    }

    // ---- Dropout --------------------------------------------------------------------------------------------------

    @Test
    void dropoutInTrainingZeroesAboutPAndScalesTheRest() {
        for (double p : new double[] {0.5, 0.2, 0.8}) {
            Dropout d = new Dropout(p);
            assertTrue(d.isTraining());
            double[] y = d.invoke(Kiln.ones(100, 100)).toDoubleArray();
            int zeros = 0;
            for (double v : y) {
                if (v == 0) zeros++;
                else assertEquals(1 / (1 - p), v, 1e-6, "kept elements are scaled by 1/(1-p)");
            }
            double fraction = zeros / (double) y.length;
            assertEquals(p, fraction, 0.03, "fraction dropped for p=" + p);
        }
    }

    @Test
    void dropoutMasksDifferBetweenCallsAndGradientsFollowTheMask() {
        Dropout d = new Dropout(0.5);
        Tensor x = Kiln.ones(20, 20).requiresGrad_();
        Tensor y = d.invoke(x);
        double[] a = y.toDoubleArray(), b = d.invoke(x).toDoubleArray();
        assertFalse(Arrays.equals(a, b), "each call draws a new mask");
        y.sum().backward();
        assertArrayEquals(a, x.grad().toDoubleArray(), "d(sum(dropout(x)))/dx is the scaled mask");
    }

    @Test
    void dropoutMasksAreReproducibleWithManualSeed() {
        Dropout d = new Dropout(0.5);
        Tensor x = Kiln.ones(10, 10);
        Kiln.manualSeed(123);
        double[] first = d.invoke(x).toDoubleArray();
        Kiln.manualSeed(123);
        double[] second = d.invoke(x).toDoubleArray();
        assertArrayEquals(first, second, "torch.manual_seed(s); dropout(x) gives the same mask each time");
    }

    @Test
    void dropoutInEvalModeIsTheIdentity() {
        Dropout d = new Dropout(0.5);
        d.eval();
        Tensor x = Kiln.randn(10, 10);
        assertArrayEquals(x.toDoubleArray(), d.invoke(x).toDoubleArray());
        Sequential net = new Sequential(new Linear(10, 10), new Dropout(0.9));
        net.eval();
        assertArrayEquals(net.invoke(x).toDoubleArray(), net.invoke(x).toDoubleArray(), "eval mode is deterministic");
    }

    @Test
    void dropoutEdgeProbabilities() {
        Tensor x = Kiln.randn(5, 5);
        assertArrayEquals(x.toDoubleArray(), new Dropout(0).invoke(x).toDoubleArray(), "p=0 keeps everything");
        for (double v : new Dropout(1).invoke(x).toDoubleArray()) assertTrue(v == 0, "p=1 drops everything (±0 as in PyTorch), got " + v);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Dropout(1.5));
        assertEquals("dropout probability has to be between 0 and 1, but got 1.5", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Dropout(-0.1));
    }

    // ---- pooling ---------------------------------------------------------------------------------------------------

    private static final double[] POOL_X = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3};

    @Test
    void maxPool2dMatchesPyTorch() {
        Tensor x = t(POOL_X, 1, 1, 5, 5);
        Tensor y = new MaxPool2d(2).invoke(x);
        assertShape(y, 1, 1, 2, 2);
        assertClose(new double[] {9, 6, 8, 9}, y.toDoubleArray(), 0, "kernel 2");
        y = new MaxPool2d(3, 2).invoke(x);
        assertShape(y, 1, 1, 2, 2);
        assertClose(new double[] {9, 9, 9, 9}, y.toDoubleArray(), 0, "kernel 3 stride 2");
        y = new MaxPool2d(2, 1, 1).invoke(x);
        assertShape(y, 1, 1, 6, 6);
        assertClose(new double[] {3, 3, 4, 4, 5, 5, 9, 9, 6, 6, 5, 5, 9, 9, 9, 9, 9, 9, 5, 8, 9, 9, 9, 9, 6, 6, 6, 8, 8, 4, 6, 6, 6, 6, 4, 3},
                y.toDoubleArray(), 0, "kernel 2 stride 1 padding 1 (pads with -inf)");
    }

    @Test
    void avgPool2dMatchesPyTorch() {
        Tensor x = t(POOL_X, 1, 1, 5, 5);
        Tensor y = new AvgPool2d(2).invoke(x);
        assertShape(y, 1, 1, 2, 2);
        assertClose(new double[] {3.75, 4, 4.5, 6.75}, y.toDoubleArray(), TOL, "kernel 2");
        y = new AvgPool2d(3, 1, 1).invoke(x);
        assertShape(y, 1, 1, 5, 5);
        assertClose(new double[] {1.6666666, 2.7777777, 2.1111112, 2.6666667, 1.5555556, 3.1111112, 5.2222223, 4.7777777, 5.4444447,
                3.3333333, 3.2222223, 5.2222223, 5.5555553, 6.0, 4.0, 2.8888888, 4.8888888, 5.4444447, 5.8888888, 3.8888888, 1.4444444,
                2.4444444, 2.7777777, 3.1111112, 2.1111112}, y.toDoubleArray(), TOL, "kernel 3 stride 1 padding 1 (count_include_pad)");
    }

    @Test
    void poolingKeepsBatchAndChannels() {
        assertShape(new MaxPool2d(2).invoke(Kiln.randn(3, 4, 8, 6)), 3, 4, 4, 3);
        assertShape(new AvgPool2d(2).invoke(Kiln.randn(3, 4, 9, 7)), 3, 4, 4, 3);
    }

    // ---- Conv2d ----------------------------------------------------------------------------------------------------

    private static Tensor convWeight() {
        double[] w = new double[18];
        for (int i = 0; i < 18; i++) w[i] = (i - 8) / 10.0;
        return t(w, 2, 1, 3, 3);
    }

    @Test
    void conv2dWithStridePaddingAndNoBiasMatchesPyTorch() {
        Conv2d conv = new Conv2d(1, 2, 3, 2, 1, false);
        assertEquals(1, conv.parameters().size());
        noGrad(() -> conv.weight.copy_(convWeight()));
        Tensor y = conv.invoke(arange(25).reshape(1, 1, 5, 5));
        assertShape(y, 1, 2, 3, 3);
        assertClose(new double[] {-0.8, -4.1, -5.6, -15.9, -33.6, -30.3, -34.4, -61.7, -48.8, 10.0, 20.2, 16.0, 40.8, 63.6, 42.6, 30.4,
                43.6, 26.8}, y.toDoubleArray(), TOL, "stride 2, padding 1, no bias");
    }

    @Test
    void conv2dWithPaddingAndBiasMatchesPyTorch() {
        Conv2d conv = new Conv2d(1, 2, 3, 1, 1);
        noGrad(() -> {
            conv.weight.copy_(convWeight());
            conv.bias.copy_(Kiln.tensor(0.5f, -1f));
        });
        Tensor y = conv.invoke(arange(25).reshape(1, 1, 5, 5));
        assertShape(y, 1, 2, 5, 5);
        assertClose(new double[] {-0.3, -2.1, -3.6, -5.1, -5.1, -4.9, -11.5, -15.1, -18.7, -16.3, -15.4, -29.5, -33.1, -36.7, -29.8,
                -25.9, -47.5, -51.1, -54.7, -43.3, -33.9, -57.9, -61.2, -64.5, -48.3, 9.0, 15.3, 19.2, 23.1, 15.0, 23.3, 35.6, 40.1,
                44.6, 28.1, 39.8, 58.1, 62.6, 67.1, 41.6, 56.3, 80.6, 85.1, 89.6, 55.1, 29.4, 40.5, 42.6, 44.7, 25.8},
                y.toDoubleArray(), TOL, "padding 1 with bias");
    }

    @Test
    void conv2dShapesAndBadArguments() {
        assertShape(new Conv2d(3, 8, 3).invoke(Kiln.randn(2, 3, 10, 10)), 2, 8, 8, 8);
        assertShape(new Conv2d(3, 8, 3, 2, 1).invoke(Kiln.randn(2, 3, 10, 10)), 2, 8, 5, 5);
        assertShape(new Conv2d(3, 8, 5, 1, 2).invoke(Kiln.randn(3, 7, 7)), 8, 7, 7);       // unbatched
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 8, 0));
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 8, 3, 0, 0));
    }

    // ---- Flatten, Softmax, activations ----------------------------------------------------------------------------

    @Test
    void flattenKeepsTheBatchDimensionByDefault() {
        Tensor x = Kiln.randn(2, 3, 4, 5);
        Tensor y = new Flatten().invoke(x);
        assertShape(y, 2, 60);
        assertArrayEquals(x.toDoubleArray(), y.toDoubleArray());
        assertShape(new Flatten(1, 2).invoke(x), 2, 12, 5);
        assertShape(new Flatten(0, -1).invoke(x), 120);
        assertShape(new Flatten(2, 3).invoke(x), 2, 3, 20);
    }

    @Test
    void softmaxMatchesPyTorch() {
        Tensor x = Kiln.tensor(new float[][] {{1, 2, 3}, {1, 1, 1}, {-1, 0, 5}});
        assertClose(new double[] {0.0900306, 0.2447285, 0.6652409, 0.3333333, 0.3333333, 0.3333333, 0.0024561, 0.0066764, 0.9908675},
                new Softmax(1).invoke(x).toDoubleArray(), TOL, "dim=1");
        assertClose(new double[] {0.4683105, 0.6652409, 0.1173104, 0.4683105, 0.2447285, 0.0158762, 0.0633789, 0.0900306, 0.8668134},
                new Softmax(0).invoke(x).toDoubleArray(), TOL, "dim=0");
        Tensor big = Kiln.tensor(new float[][] {{1000, 1001}});        // stable: no overflow
        assertClose(new double[] {0.2689414, 0.7310586}, new Softmax(1).invoke(big).toDoubleArray(), TOL, "large logits");
    }

    @Test
    void activationsAreElementwise() {
        Tensor x = Kiln.tensor(-2f, 0f, 0.5f, 3f);
        assertClose(new double[] {0, 0, 0.5, 3}, new ReLU().invoke(x).toDoubleArray(), 0, "relu");
        double[] s = new Sigmoid().invoke(x).toDoubleArray(), th = new Tanh().invoke(x).toDoubleArray();
        double[] in = x.toDoubleArray();
        for (int i = 0; i < in.length; i++) {
            assertEquals(1 / (1 + Math.exp(-in[i])), s[i], 1e-6);
            assertEquals(Math.tanh(in[i]), th[i], 1e-6);
        }
    }

    // ---- losses ----------------------------------------------------------------------------------------------------

    @Test
    void mseLossReductionsMatchPyTorch() {
        Tensor a = Kiln.tensor(new float[][] {{0.5f, 1.5f}, {2, -1}});
        Tensor b = Kiln.tensor(new float[][] {{1, 1}, {0, 0}});
        assertEquals(1.375, new MSELoss().invoke(a, b).item(), TOL);
        assertEquals(0, new MSELoss().invoke(a, b).dim(), "mean is a 0-d tensor");
        assertEquals(5.5, new MSELoss("sum").invoke(a, b).item(), TOL);
        Tensor none = new MSELoss("none").invoke(a, b);
        assertShape(none, 2, 2);
        assertClose(new double[] {0.25, 0.25, 4, 1}, none.toDoubleArray(), TOL, "none");
        assertThrows(IllegalArgumentException.class, () -> new MSELoss("avg"));
    }

    @Test
    void crossEntropyLossMatchesPyTorchIncludingGradient() {
        Tensor logits = Kiln.tensor(new float[][] {{2, 1, 0.1f}, {0.5f, 2.5f, 0.3f}, {1, 1, 1}, {-1, 3, 0}}).requiresGrad_();
        Tensor target = Kiln.tensor(0L, 1L, 2L, 0L);
        Tensor loss = new CrossEntropyLoss().invoke(logits, target);
        assertEquals(1.4503939151763916, loss.item(), TOL);
        loss.backward();
        assertClose(new double[] {-0.0852497, 0.0606082, 0.0246415, 0.0271509, -0.0493802, 0.0222293, 0.0833333, 0.0833333, -0.1666667,
                -0.245713, 0.2340599, 0.0116532}, logits.grad().toDoubleArray(), TOL, "grad of logits");
        assertEquals(5.801575660705566, new CrossEntropyLoss("sum").invoke(logits, target).item(), 1e-5);
        assertClose(new double[] {0.4170299, 0.2200495, 1.0986123, 4.0658841},
                new CrossEntropyLoss("none").invoke(logits, target).toDoubleArray(), TOL, "none");
    }

    @Test
    void lossesAreModulesWithTwoInputs() {
        Module mse = new MSELoss();
        assertThrows(UnsupportedOperationException.class, () -> mse.invoke(Kiln.zeros(2)));
        assertTrue(mse.parameters().isEmpty());
        assertTrue(new CrossEntropyLoss().stateDict().isEmpty());
    }
}
