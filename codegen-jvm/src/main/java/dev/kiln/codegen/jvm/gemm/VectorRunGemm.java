package dev.kiln.codegen.jvm.gemm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RunGemm}'s blocks in 8-lane vectors: 3 rows × 5 vectors, fifteen accumulators in registers; per depth step five
 * loads of B, three broadcasts of A, fifteen fused multiply-adds. Or 6 rows × 4 vectors ({@link RunGemm#sixRows}).
 */
final class VectorRunGemm implements RunGemm.Impl {
    static final VectorRunGemm INSTANCE = new VectorRunGemm();

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;

    /** Per thread: a block's 3 × 5 vectors, on their way to C. */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[RunGemm.ROWS * RunGemm.VECTORS * ColumnRuns.LANES]);

    @Override
    public void blocks(int m, int k, float[] a, int aOffset, int[] aRows, int[] aCols, float[] b, int bOffset, int[] bRows,
                       ColumnRuns runs, float[] c, int cOffset, int[] cRows, int lo, int hi) {
        if (RunGemm.sixRows(m, runs)) sixRows(m, k, a, aOffset, aRows, aCols, b, bOffset, bRows, runs, c, cOffset, cRows, lo, hi);
        else if (runs.whole()) whole(m, k, a, aOffset, aRows, aCols, b, bOffset, bRows, runs, c, cOffset, cRows, lo, hi);
        else tiled(m, k, a, aOffset, aRows, aCols, b, bOffset, bRows, runs, c, cOffset, cRows, lo, hi);
    }

    /*
     * Copies of the block loop, one per way of storing (and per block shape), rather than one with a branch per vector:
     * a vector that is live where the JIT places an uncommon trap (a branch not taken so far) is boxed, and with it every
     * vector of the block (a product 15-20x slower, seen). Each copy stores the same way every time.
     */

    /** Every vector's lanes are C's (runs of 8 or more): the accumulators go straight into C. */
    private static void whole(int m, int k, float[] a, int aOffset, int[] aRows, int[] aCols, float[] b, int bOffset, int[] bRows,
                       ColumnRuns runs, float[] c, int cOffset, int[] cRows, int lo, int hi) {
        int[] cAt = runs.cAt;
        int rowBlocks = (m + RunGemm.ROWS - 1) / RunGemm.ROWS, last = runs.vectors() - 1;
        int[] bAt = runs.bAt;
        for (int block = lo; block < hi; block++) {
            int v0 = block / rowBlocks * RunGemm.VECTORS, i0 = block % rowBlocks * RunGemm.ROWS;
            int i1 = Math.min(i0 + 1, m - 1), i2 = Math.min(i0 + 2, m - 1);
            int v1 = Math.min(v0 + 1, last), v2 = Math.min(v0 + 2, last), v3 = Math.min(v0 + 3, last), v4 = Math.min(v0 + 4, last);
            int b0 = bOffset + bAt[v0], b1 = bOffset + bAt[v1], b2 = bOffset + bAt[v2], b3 = bOffset + bAt[v3], b4 = bOffset + bAt[v4];
            int a0 = aOffset + aRows[i0], a1 = aOffset + aRows[i1], a2 = aOffset + aRows[i2];
            FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c04 = c00;
            FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00, c14 = c00;
            FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c24 = c00;
            for (int p = 0; p < k; p++) {
                int row = bRows[p], depth = aCols[p];
                FloatVector x0 = FloatVector.broadcast(S, a[a0 + depth]), x1 = FloatVector.broadcast(S, a[a1 + depth]);
                FloatVector x2 = FloatVector.broadcast(S, a[a2 + depth]);
                FloatVector y = FloatVector.fromArray(S, b, b0 + row);
                c00 = x0.fma(y, c00);
                c10 = x1.fma(y, c10);
                c20 = x2.fma(y, c20);
                y = FloatVector.fromArray(S, b, b1 + row);
                c01 = x0.fma(y, c01);
                c11 = x1.fma(y, c11);
                c21 = x2.fma(y, c21);
                y = FloatVector.fromArray(S, b, b2 + row);
                c02 = x0.fma(y, c02);
                c12 = x1.fma(y, c12);
                c22 = x2.fma(y, c22);
                y = FloatVector.fromArray(S, b, b3 + row);
                c03 = x0.fma(y, c03);
                c13 = x1.fma(y, c13);
                c23 = x2.fma(y, c23);
                y = FloatVector.fromArray(S, b, b4 + row);
                c04 = x0.fma(y, c04);
                c14 = x1.fma(y, c14);
                c24 = x2.fma(y, c24);
            }
            int r0 = cOffset + cRows[i0], r1 = cOffset + cRows[i1], r2 = cOffset + cRows[i2];
            c00.intoArray(c, r0 + cAt[v0]);
            c01.intoArray(c, r0 + cAt[v1]);
            c02.intoArray(c, r0 + cAt[v2]);
            c03.intoArray(c, r0 + cAt[v3]);
            c04.intoArray(c, r0 + cAt[v4]);
            c10.intoArray(c, r1 + cAt[v0]);
            c11.intoArray(c, r1 + cAt[v1]);
            c12.intoArray(c, r1 + cAt[v2]);
            c13.intoArray(c, r1 + cAt[v3]);
            c14.intoArray(c, r1 + cAt[v4]);
            c20.intoArray(c, r2 + cAt[v0]);
            c21.intoArray(c, r2 + cAt[v1]);
            c22.intoArray(c, r2 + cAt[v2]);
            c23.intoArray(c, r2 + cAt[v3]);
            c24.intoArray(c, r2 + cAt[v4]);
        }
    }

    /** {@link #whole} in blocks of 6 rows × 4 vectors ({@link RunGemm#sixRows}). */
    private static void sixRows(int m, int k, float[] a, int aOffset, int[] aRows, int[] aCols, float[] b, int bOffset, int[] bRows,
                                ColumnRuns runs, float[] c, int cOffset, int[] cRows, int lo, int hi) {
        int[] cAt = runs.cAt, bAt = runs.bAt;
        int rowBlocks = m / RunGemm.SIX_ROWS, last = runs.vectors() - 1;
        for (int block = lo; block < hi; block++) {
            int v0 = block / rowBlocks * RunGemm.SIX_ROWS_VECTORS, i0 = block % rowBlocks * RunGemm.SIX_ROWS;
            int v1 = Math.min(v0 + 1, last), v2 = Math.min(v0 + 2, last), v3 = Math.min(v0 + 3, last);
            int b0 = bOffset + bAt[v0], b1 = bOffset + bAt[v1], b2 = bOffset + bAt[v2], b3 = bOffset + bAt[v3];
            int a0 = aOffset + aRows[i0], a1 = aOffset + aRows[i0 + 1], a2 = aOffset + aRows[i0 + 2];
            int a3 = aOffset + aRows[i0 + 3], a4 = aOffset + aRows[i0 + 4], a5 = aOffset + aRows[i0 + 5];
            FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
            FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00, c50 = c00, c51 = c00, c52 = c00, c53 = c00;
            for (int p = 0; p < k; p++) {
                int row = bRows[p], depth = aCols[p];
                FloatVector y0 = FloatVector.fromArray(S, b, b0 + row), y1 = FloatVector.fromArray(S, b, b1 + row);
                FloatVector y2 = FloatVector.fromArray(S, b, b2 + row), y3 = FloatVector.fromArray(S, b, b3 + row);
                FloatVector x = FloatVector.broadcast(S, a[a0 + depth]);
                c00 = x.fma(y0, c00); c01 = x.fma(y1, c01); c02 = x.fma(y2, c02); c03 = x.fma(y3, c03);
                x = FloatVector.broadcast(S, a[a1 + depth]);
                c10 = x.fma(y0, c10); c11 = x.fma(y1, c11); c12 = x.fma(y2, c12); c13 = x.fma(y3, c13);
                x = FloatVector.broadcast(S, a[a2 + depth]);
                c20 = x.fma(y0, c20); c21 = x.fma(y1, c21); c22 = x.fma(y2, c22); c23 = x.fma(y3, c23);
                x = FloatVector.broadcast(S, a[a3 + depth]);
                c30 = x.fma(y0, c30); c31 = x.fma(y1, c31); c32 = x.fma(y2, c32); c33 = x.fma(y3, c33);
                x = FloatVector.broadcast(S, a[a4 + depth]);
                c40 = x.fma(y0, c40); c41 = x.fma(y1, c41); c42 = x.fma(y2, c42); c43 = x.fma(y3, c43);
                x = FloatVector.broadcast(S, a[a5 + depth]);
                c50 = x.fma(y0, c50); c51 = x.fma(y1, c51); c52 = x.fma(y2, c52); c53 = x.fma(y3, c53);
            }
            int r0 = cOffset + cRows[i0], r1 = cOffset + cRows[i0 + 1], r2 = cOffset + cRows[i0 + 2];
            int r3 = cOffset + cRows[i0 + 3], r4 = cOffset + cRows[i0 + 4], r5 = cOffset + cRows[i0 + 5];
            int o0 = cAt[v0], o1 = cAt[v1], o2 = cAt[v2], o3 = cAt[v3];
            c00.intoArray(c, r0 + o0); c01.intoArray(c, r0 + o1); c02.intoArray(c, r0 + o2); c03.intoArray(c, r0 + o3);
            c10.intoArray(c, r1 + o0); c11.intoArray(c, r1 + o1); c12.intoArray(c, r1 + o2); c13.intoArray(c, r1 + o3);
            c20.intoArray(c, r2 + o0); c21.intoArray(c, r2 + o1); c22.intoArray(c, r2 + o2); c23.intoArray(c, r2 + o3);
            c30.intoArray(c, r3 + o0); c31.intoArray(c, r3 + o1); c32.intoArray(c, r3 + o2); c33.intoArray(c, r3 + o3);
            c40.intoArray(c, r4 + o0); c41.intoArray(c, r4 + o1); c42.intoArray(c, r4 + o2); c43.intoArray(c, r4 + o3);
            c50.intoArray(c, r5 + o0); c51.intoArray(c, r5 + o1); c52.intoArray(c, r5 + o2); c53.intoArray(c, r5 + o3);
        }
    }

    /** Some vectors keep only some lanes: the accumulators go through a scratch tile, then each vector's kept lanes. */
    private static void tiled(int m, int k, float[] a, int aOffset, int[] aRows, int[] aCols, float[] b, int bOffset, int[] bRows,
                       ColumnRuns runs, float[] c, int cOffset, int[] cRows, int lo, int hi) {
        int rowBlocks = (m + RunGemm.ROWS - 1) / RunGemm.ROWS, last = runs.vectors() - 1;
        int[] bAt = runs.bAt;
        for (int block = lo; block < hi; block++) {
            int v0 = block / rowBlocks * RunGemm.VECTORS, i0 = block % rowBlocks * RunGemm.ROWS;
            int i1 = Math.min(i0 + 1, m - 1), i2 = Math.min(i0 + 2, m - 1);
            int v1 = Math.min(v0 + 1, last), v2 = Math.min(v0 + 2, last), v3 = Math.min(v0 + 3, last), v4 = Math.min(v0 + 4, last);
            int b0 = bOffset + bAt[v0], b1 = bOffset + bAt[v1], b2 = bOffset + bAt[v2], b3 = bOffset + bAt[v3], b4 = bOffset + bAt[v4];
            int a0 = aOffset + aRows[i0], a1 = aOffset + aRows[i1], a2 = aOffset + aRows[i2];
            FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c04 = c00;
            FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00, c14 = c00;
            FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c24 = c00;
            for (int p = 0; p < k; p++) {
                int row = bRows[p], depth = aCols[p];
                FloatVector x0 = FloatVector.broadcast(S, a[a0 + depth]), x1 = FloatVector.broadcast(S, a[a1 + depth]);
                FloatVector x2 = FloatVector.broadcast(S, a[a2 + depth]);
                FloatVector y = FloatVector.fromArray(S, b, b0 + row);
                c00 = x0.fma(y, c00);
                c10 = x1.fma(y, c10);
                c20 = x2.fma(y, c20);
                y = FloatVector.fromArray(S, b, b1 + row);
                c01 = x0.fma(y, c01);
                c11 = x1.fma(y, c11);
                c21 = x2.fma(y, c21);
                y = FloatVector.fromArray(S, b, b2 + row);
                c02 = x0.fma(y, c02);
                c12 = x1.fma(y, c12);
                c22 = x2.fma(y, c22);
                y = FloatVector.fromArray(S, b, b3 + row);
                c03 = x0.fma(y, c03);
                c13 = x1.fma(y, c13);
                c23 = x2.fma(y, c23);
                y = FloatVector.fromArray(S, b, b4 + row);
                c04 = x0.fma(y, c04);
                c14 = x1.fma(y, c14);
                c24 = x2.fma(y, c24);
            }
            // through a scratch tile by the intrinsic stores alone: a vector handed to a helper method that the JIT
            // doesn't inline is boxed, and then every vector of the loop above is (a 10x slower step, seen once)
            float[] tile = TILE.get();
            c00.intoArray(tile, 0);
            c01.intoArray(tile, 8);
            c02.intoArray(tile, 16);
            c03.intoArray(tile, 24);
            c04.intoArray(tile, 32);
            c10.intoArray(tile, 40);
            c11.intoArray(tile, 48);
            c12.intoArray(tile, 56);
            c13.intoArray(tile, 64);
            c14.intoArray(tile, 72);
            c20.intoArray(tile, 80);
            c21.intoArray(tile, 88);
            c22.intoArray(tile, 96);
            c23.intoArray(tile, 104);
            c24.intoArray(tile, 112);
            for (int r = 0; r < RunGemm.ROWS; r++) {
                int rowAt = cOffset + cRows[r == 0 ? i0 : r == 1 ? i1 : i2], from = r * RunGemm.VECTORS * ColumnRuns.LANES;
                keep(tile, from, c, rowAt, runs, v0);
                keep(tile, from + 8, c, rowAt, runs, v1);
                keep(tile, from + 16, c, rowAt, runs, v2);
                keep(tile, from + 24, c, rowAt, runs, v3);
                keep(tile, from + 32, c, rowAt, runs, v4);
            }
        }
    }

    /** Vector v's kept lanes, at {@code tile[from ..]}, into C's row at {@code rowAt}. */
    private static void keep(float[] tile, int from, float[] c, int rowAt, ColumnRuns runs, int v) {
        System.arraycopy(tile, from + runs.first[v], c, rowAt + runs.cAt[v], runs.count[v]);
    }
}
