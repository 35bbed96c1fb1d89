package dev.kiln.codegen.jvm.gemm;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link DepthDots}: weight-gradient-shaped products as dot products along the depth. */
class DepthDotsTest {
    /**
     * A convolution's weight gradient: A = output gradient [images][m][oh][ow] read as m × (images·oh·ow), B = input
     * patches [images][h][w] read as (images·oh·ow) × (kh·kw); the depth runs along output rows (ow).
     */
    private record WeightGradient(int m, int images, int oh, int ow, int kh, int kw) {
        int k() { return images * oh * ow; }
        int n() { return kh * kw; }
        int h() { return oh + kh - 1; }
        int w() { return ow + kw - 1; }
        Offsets aRows() { int[] v = new int[m]; for (int i = 0; i < m; i++) v[i] = i * oh * ow; return Offsets.of(v); }
        Offsets bCols() { int[] v = new int[n()]; for (int j = 0; j < n(); j++) v[j] = j / kw * w() + j % kw; return Offsets.of(v); }
        Offsets aCols() {
            int[] v = new int[k()];
            for (int im = 0, p = 0; im < images; im++) {
                for (int y = 0; y < oh; y++) for (int x = 0; x < ow; x++) v[p++] = im * m * oh * ow + y * ow + x;
            }
            return Offsets.of(v);
        }
        Offsets bRows() {
            int[] v = new int[k()];
            for (int im = 0, p = 0; im < images; im++) {
                for (int y = 0; y < oh; y++) for (int x = 0; x < ow; x++) v[p++] = im * h() * w() + y * w() + x;
            }
            return Offsets.of(v);
        }
        DepthDots plan() { return DepthDots.of(m, n(), k(), aRows(), aCols(), bRows(), bCols()); }
    }

    private static float[] gaussian(int size, Random r) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    @Test
    void weightGradientsMatchADoublePrecisionSum() {
        // LeNet's conv1 (rows of 28: three full steps and a tail), rows of 16 (no tail), odd m and n, rows of 9
        for (WeightGradient wg : new WeightGradient[] {new WeightGradient(6, 3, 28, 28, 5, 5), new WeightGradient(5, 9, 16, 16, 3, 3),
                new WeightGradient(3, 40, 7, 9, 2, 3)}) {
            DepthDots plan = wg.plan();
            assertNotNull(plan, wg + " should run as dot products");
            Random r = new Random(wg.hashCode());
            float[] a = gaussian(wg.images() * wg.m() * wg.oh() * wg.ow(), r), b = gaussian(wg.images() * wg.h() * wg.w(), r);
            float[] c = new float[wg.m() * wg.n() + 3];
            plan.run(a, 0, b, 0, c, 1, wg.n(), 0, plan.blocks());
            int[] ar = wg.aRows().values(), ac = wg.aCols().values(), br = wg.bRows().values(), bc = wg.bCols().values();
            for (int i = 0; i < wg.m(); i++) {
                for (int j = 0; j < wg.n(); j++) {
                    double sum = 0, magnitude = 0;
                    for (int p = 0; p < wg.k(); p++) {
                        double term = (double) a[ar[i] + ac[p]] * b[br[p] + bc[j]];
                        sum += term;
                        magnitude += Math.abs(term);
                    }
                    float got = c[1 + i * wg.n() + j];
                    assertTrue(Math.abs(got - sum) <= 1e-5 * magnitude, wg + " C[" + i + "][" + j + "] = " + got + ", expected " + sum);
                }
            }
            assertEquals(0f, c[0]);
            assertEquals(0f, c[c.length - 1], "nothing stored past the product");
        }
    }

    @Test
    void vectorsAndTheScalarTwinGiveTheSameBitsInAnyBlockOrder() {
        assumeTrue(Gemm.vectorized(), "the Vector API implementation needs jdk.incubator.vector");
        WeightGradient wg = new WeightGradient(6, 3, 28, 28, 5, 5);
        DepthDots plan = wg.plan();
        Random r = new Random(3);
        float[] a = gaussian(wg.images() * wg.m() * wg.oh() * wg.ow(), r), b = gaussian(wg.images() * wg.h() * wg.w(), r);
        float[] vector = new float[wg.m() * wg.n()], scalar = new float[vector.length];
        int blocks = plan.blocks();
        plan.run(a, 0, b, 0, vector, 0, wg.n(), blocks / 2, blocks);          // as two threads would
        plan.run(a, 0, b, 0, vector, 0, wg.n(), 0, blocks / 2);
        plan.run(a, 0, b, 0, scalar, 0, wg.n(), 0, blocks, DepthDots.Scalar.INSTANCE);
        for (int i = 0; i < vector.length; i++) assertEquals(Float.floatToIntBits(scalar[i]), Float.floatToIntBits(vector[i]), "C[" + i + "]");
    }

    @Test
    void largeOrShallowProductsAndShortOrUnevenRunsAreLeftToTheGemmCore() {
        assertNull(new WeightGradient(32, 3, 28, 28, 5, 5).plan(), "800 outputs");
        assertNull(new WeightGradient(6, 2, 28, 28, 5, 5).plan(), "1568 deep");
        assertNull(new WeightGradient(6, 64, 6, 6, 3, 3).plan(), "runs of 6");
        int[] ragged = new WeightGradient(6, 3, 28, 28, 5, 5).aCols().values().clone();
        ragged[40] += 1;                                                            // one run breaks in the middle
        WeightGradient wg = new WeightGradient(6, 3, 28, 28, 5, 5);
        assertNull(DepthDots.of(6, 25, wg.k(), wg.aRows(), Offsets.of(ragged), wg.bRows(), wg.bCols()));
    }
}
