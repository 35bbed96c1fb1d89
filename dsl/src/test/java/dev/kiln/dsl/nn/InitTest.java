package dev.kiln.dsl.nn;

import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.kiln.dsl.Autograd.noGrad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** torch.nn.init and the layers' default initialisation: bounds, fills and statistics. */
class InitTest {

    private static double mean(double[] v) { return Arrays.stream(v).average().orElseThrow(); }

    private static double std(double[] v) {
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / (v.length - 1));
    }

    private static double maxAbs(double[] v) { return Arrays.stream(v).map(Math::abs).max().orElseThrow(); }

    /** All within ±bound (float rounding allowed), spread over most of the range, not constant. */
    private static void assertUniformWithin(double[] v, double bound, String what) {
        double tol = 1e-6 * bound;
        for (double x : v) assertTrue(Math.abs(x) <= bound + tol, what + ": " + x + " outside ±" + bound);
        assertTrue(maxAbs(v) > 0.8 * bound, what + ": values use too little of ±" + bound + " (max |x| " + maxAbs(v) + ")");
        assertTrue(Arrays.stream(v).anyMatch(x -> x > 0) && Arrays.stream(v).anyMatch(x -> x < 0), what + ": both signs expected");
        assertTrue(Arrays.stream(v).distinct().count() > v.length / 2, what + ": values should differ");
    }

    @Test
    void linearDefaultInitIsUniformWithinOneOverSqrtFanIn() {
        Kiln.manualSeed(2024);
        Linear l = new Linear(400, 120);
        double bound = 1 / Math.sqrt(400);
        assertUniformWithin(l.weight.toDoubleArray(), bound, "Linear(400, 120).weight");
        assertUniformWithin(l.bias.toDoubleArray(), bound, "Linear(400, 120).bias");
        // uniform(−b, b) has standard deviation b/√3
        assertEquals(bound / Math.sqrt(3), std(l.weight.toDoubleArray()), 0.05 * bound);
    }

    @Test
    void conv2dDefaultInitIsUniformWithinOneOverSqrtFanIn() {
        Kiln.manualSeed(2024);
        Conv2d c = new Conv2d(6, 16, 5);
        double bound = 1 / Math.sqrt(6 * 5 * 5);
        assertUniformWithin(c.weight.toDoubleArray(), bound, "Conv2d(6, 16, 5).weight");
        assertUniformWithin(c.bias.toDoubleArray(), bound, "Conv2d(6, 16, 5).bias");
    }

    @Test
    void smallLayersAreInitialisedToo() {
        Linear l = new Linear(2, 3);
        double bound = 1 / Math.sqrt(2);
        for (double w : l.weight.toDoubleArray()) assertTrue(Math.abs(w) <= bound + 1e-7);
        for (double b : l.bias.toDoubleArray()) assertTrue(Math.abs(b) <= bound + 1e-7);
        assertTrue(maxAbs(l.weight.toDoubleArray()) > 0, "not all zero");
        assertTrue(maxAbs(l.bias.toDoubleArray()) > 0, "not all zero");
    }

    @Test
    void fillsAreInPlaceAndReturnTheTensor() {
        Parameter p = new Parameter(Kiln.zeros(3, 4));
        assertSame(p, Init.ones_(p));
        for (double v : p.toDoubleArray()) assertEquals(1.0, v);
        assertSame(p, Init.zeros_(p));
        for (double v : p.toDoubleArray()) assertEquals(0.0, v);
        assertSame(p, Init.constant_(p, 42));
        for (double v : p.toDoubleArray()) assertEquals(42.0, v);
        Init.constant_(p, 0.3);
        for (double v : p.toDoubleArray()) assertEquals((float) 0.3, v, 0.0, "stored as float32");
        // init does not record autograd history: still a trainable leaf
        assertTrue(p.requiresGrad());
        assertTrue(p.isLeaf());
        assertNull(p.gradFn());
    }

    @Test
    void normalHasTheRequestedMeanAndStd() {
        Kiln.manualSeed(2024);
        Tensor t = Kiln.zeros(200, 200);
        Init.normal_(t, 2, 0.5);
        double[] v = t.toDoubleArray();
        assertEquals(2.0, mean(v), 0.01);
        assertEquals(0.5, std(v), 0.01);
        Init.normal_(t, 0, 0.01);
        assertEquals(0.0, mean(t.toDoubleArray()), 0.001);
        assertEquals(0.01, std(t.toDoubleArray()), 0.0005);
    }

    @Test
    void uniformStaysInItsRangeAndCoversIt() {
        Kiln.manualSeed(2024);
        Tensor t = Kiln.zeros(100, 100);
        Init.uniform_(t, -3, 5);
        double[] v = t.toDoubleArray();
        for (double x : v) assertTrue(x >= -3 && x <= 5, x + " outside [-3, 5]");
        assertEquals(1.0, mean(v), 0.1);
        assertEquals(8 / Math.sqrt(12), std(v), 0.05);
        assertTrue(Arrays.stream(v).min().orElseThrow() < -2.9);
        assertTrue(Arrays.stream(v).max().orElseThrow() > 4.9);
    }

    @Test
    void xavierUniformBoundIsSqrtSixOverFanInPlusFanOut() {
        Kiln.manualSeed(2024);
        Tensor w = Kiln.zeros(200, 300);                   // fan_in 300, fan_out 200
        Init.xavierUniform_(w);
        double bound = Math.sqrt(6.0 / (300 + 200));
        assertUniformWithin(w.toDoubleArray(), bound, "xavier_uniform_");
        assertEquals(bound / Math.sqrt(3), std(w.toDoubleArray()), 0.03 * bound);

        Tensor conv = Kiln.zeros(16, 6, 5, 5);             // fan_in 6·25, fan_out 16·25
        Init.xavierUniform_(conv, 2);
        assertUniformWithin(conv.toDoubleArray(), 2 * Math.sqrt(6.0 / (150 + 400)), "xavier_uniform_(gain=2) on a conv weight");
    }

    @Test
    void xavierNormalStd() {
        Kiln.manualSeed(2024);
        Tensor w = Kiln.zeros(200, 300);
        Init.xavierNormal_(w);
        assertEquals(Math.sqrt(2.0 / 500), std(w.toDoubleArray()), 0.03 * Math.sqrt(2.0 / 500));
        assertEquals(0, mean(w.toDoubleArray()), 0.002);
    }

    @Test
    void kaimingUniformStatistics() {
        Kiln.manualSeed(2024);
        Tensor w = Kiln.zeros(256, 1000);                  // fan_in 1000
        Init.kaimingUniform_(w);                           // a=0, fan_in, leaky_relu: gain √2
        double std = Math.sqrt(2.0 / 1000);
        double[] v = w.toDoubleArray();
        assertEquals(0, mean(v), 0.05 * std);
        assertEquals(std, std(v), 0.05 * std);
        assertUniformWithin(v, Math.sqrt(3) * std, "kaiming_uniform_");

        Tensor conv = Kiln.zeros(64, 32, 3, 3);            // fan_out 64·9
        Init.kaimingUniform_(conv, 0, "fan_out", "relu");
        assertEquals(Math.sqrt(2.0 / (64 * 9)), std(conv.toDoubleArray()), 0.05 * Math.sqrt(2.0 / (64 * 9)));
    }

    @Test
    void kaimingNormalStatistics() {
        Kiln.manualSeed(2024);
        Tensor w = Kiln.zeros(256, 1000);
        Init.kaimingNormal_(w);
        double std = Math.sqrt(2.0 / 1000);
        double[] v = w.toDoubleArray();
        assertEquals(0, mean(v), 0.05 * std);
        assertEquals(std, std(v), 0.05 * std);
        Init.kaimingNormal_(w, 0, "fan_out", "linear");    // fan_out 256, gain 1
        assertEquals(1 / Math.sqrt(256), std(w.toDoubleArray()), 0.05 / Math.sqrt(256));
        assertThrows(IllegalArgumentException.class, () -> Init.kaimingNormal_(w, 0, "fan_avg", "relu"));
    }

    @Test
    void calculateGainMatchesPyTorch() {
        assertEquals(1.0, Init.calculateGain("linear", 0), 1e-12);
        assertEquals(1.0, Init.calculateGain("conv2d", 0), 1e-12);
        assertEquals(1.0, Init.calculateGain("sigmoid", 0), 1e-12);
        assertEquals(5.0 / 3, Init.calculateGain("tanh", 0), 1e-12);
        assertEquals(Math.sqrt(2), Init.calculateGain("relu", 0), 1e-12);
        assertEquals(Math.sqrt(2 / (1 + 0.2 * 0.2)), Init.calculateGain("leaky_relu", 0.2), 1e-12);
        assertEquals(0.75, Init.calculateGain("selu", 0), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Init.calculateGain("swish", 0));
    }

    @Test
    void fansNeedAtLeastTwoDimensions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Init.xavierUniform_(Kiln.zeros(5)));
        assertTrue(e.getMessage().contains("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Init.kaimingUniform_(Kiln.zeros(5)));
    }

    @Test
    void builtInInitThroughApply() {
        Sequential net = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 1));
        net.apply(m -> {
            if (m instanceof Linear l) {
                Init.constant_(l.weight, 1);
                Init.zeros_(l.bias);
            }
        });
        for (Parameter p : net.parameters()) {
            double expected = p.dim() == 2 ? 1 : 0;
            for (double v : p.toDoubleArray()) assertEquals(expected, v);
        }
        // y = 8 · relu(sum(x)) with all-one weights
        assertEquals(8 * 10.0, net.invoke(Kiln.tensor(new float[][] {{1, 2, 3, 4}})).item(), 1e-4);
    }

    /** The tutorial's custom init: uniform(−10, 10), then {@code m.weight.data *= m.weight.data.abs() >= 5}. */
    @Test
    void customInitKeepsOnlyLargeWeights() {
        Kiln.manualSeed(2024);
        Sequential net = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 1));
        net.apply(m -> {
            if (m instanceof Linear l) {
                Init.uniform_(l.weight, -10, 10);
                noGrad(() -> l.weight.mul_(l.weight.abs().ge(5)));
            }
        });
        Linear first = (Linear) net.get(0);
        double[] w = first.weight.toDoubleArray();
        int zeros = 0;
        for (double v : w) {
            assertTrue(v == 0 || Math.abs(v) >= 5, "every entry is 0 or has |w| >= 5, got " + v);
            if (v == 0) zeros++;
        }
        assertTrue(zeros > 0 && zeros < w.length, "about half are zeroed: " + zeros + " of " + w.length);
        assertTrue(first.weight.requiresGrad() && first.weight.isLeaf(), "still a trainable leaf");
        assertNull(first.weight.gradFn());
    }

    @Test
    void initialisationIsReproducibleWithManualSeed() {
        Kiln.manualSeed(7);
        Linear a = new Linear(5, 3);
        Tensor na = Init.normal_(Kiln.zeros(4, 4), 0, 1);
        Kiln.manualSeed(7);
        Linear b = new Linear(5, 3);
        Tensor nb = Init.normal_(Kiln.zeros(4, 4), 0, 1);
        assertArrayEquals(a.weight.toDoubleArray(), b.weight.toDoubleArray());
        assertArrayEquals(a.bias.toDoubleArray(), b.bias.toDoubleArray());
        assertArrayEquals(na.toDoubleArray(), nb.toDoubleArray());

        Kiln.manualSeed(8);
        Linear c = new Linear(5, 3);
        assertFalse(Arrays.equals(a.weight.toDoubleArray(), c.weight.toDoubleArray()), "another seed, other weights");

        Kiln.manualSeed(7);
        LeNet l1 = new LeNet();
        Kiln.manualSeed(7);
        LeNet l2 = new LeNet();
        l1.stateDict().forEach((k, v) -> assertArrayEquals(v.toDoubleArray(), l2.stateDict().get(k).toDoubleArray(), k));
    }
}
