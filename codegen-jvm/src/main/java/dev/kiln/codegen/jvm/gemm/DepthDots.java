package dev.kiln.codegen.jvm.gemm;

/**
 * A product with few outputs and a long depth, {@code C[m][n] = Σ_p A[i][p]·B[p][j]} with both operands given by offset
 * tables ({@link Offsets}), computed as dot products along the depth: a convolution's weight gradient, where the depth
 * (images × output rows × output columns) runs along image rows in both the output gradient (A) and the input patches
 * (B). The GEMM core packs such patches by transposes (LeNet's conv1: m = 6, n = 25, k = 50176, 0.66 ms per step, most of
 * it packing); here each 2×4 block of outputs keeps 8 accumulators of 8 lanes and reads both operands in place, row
 * run by row run (about 0.25 ms).
 *
 * <p>Applies when the depth is made of runs of one length L ≥ 8 ({@code k} a multiple of L) along which both A's column
 * offsets and B's row offsets step by 1. Lane l of a block's accumulator sums, in run order, the products at depths
 * l, l + 8, … of each run; a run whose length isn't a multiple of 8 ends with a step over its last 8 depths in which
 * A's values at the depths already summed are multiplied by zero (the others by one). The lanes are then added
 * pairwise in a fixed order. The vector and the scalar implementation follow exactly this order (fused multiply-adds),
 * so they give the same bits, whatever the thread count. (The order is not the GEMM core's, so results differ from it
 * in the last bits.)
 */
public final class DepthDots {
    /** The most outputs (m·n) computed this way; larger products reuse their operands better in the GEMM core. */
    public static final int MAX_OUTPUTS = 512;

    /** The least depth worth it. */
    public static final int MIN_DEPTH = 2048;

    /** A block's outputs: rows × columns. */
    static final int ROWS = 2, COLS = 4, LANES = 8;

    private final int m, n;
    private final int[] aRows, bCols;
    /** Per 8-depth step, in order: where it starts in A's row and B's column, and which lanes of A count ({@link #weights}). */
    private final int[] aStep, bStep, weightAt;

    private DepthDots(int m, int n, int[] aRows, int[] bCols, int[] aStep, int[] bStep, int[] weightAt) {
        this.m = m;
        this.n = n;
        this.aRows = aRows;
        this.bCols = bCols;
        this.aStep = aStep;
        this.bStep = bStep;
        this.weightAt = weightAt;
    }

    /**
     * Rows of 8 lane weights: row 0 all ones (a full step), row t (1–7) zero in the first 8 − t lanes (a run's last step
     * over its last 8 depths, of which only t are new). A's values are multiplied by them.
     */
    static final float[] WEIGHTS = new float[8 * 8];

    static {
        java.util.Arrays.fill(WEIGHTS, 0, 8, 1f);
        for (int t = 1; t < 8; t++) for (int lane = 8 - t; lane < 8; lane++) WEIGHTS[t * 8 + lane] = 1f;
    }

    /** The plan for this product, or null when it doesn't apply (too many outputs, too shallow, no common runs). */
    public static DepthDots of(int m, int n, int k, Offsets aRows, Offsets aCols, Offsets bRows, Offsets bCols) {
        if ((long) m * n > MAX_OUTPUTS || k < MIN_DEPTH) return null;
        int[] ac = aCols.values(), br = bRows.values();
        int length = 1;
        while (length < k && ac[length] == ac[length - 1] + 1 && br[length] == br[length - 1] + 1) length++;
        if (length < LANES || k % length != 0) return null;
        int runs = k / length, tail = length % LANES, perRun = (length + LANES - 1) / LANES;
        int[] aStep = new int[runs * perRun], bStep = new int[runs * perRun], weightAt = new int[runs * perRun];
        for (int r = 0, s = 0; r < runs; r++) {
            int p0 = r * length;
            for (int p = p0 + 1; p < p0 + length; p++) {
                if (ac[p] != ac[p - 1] + 1 || br[p] != br[p - 1] + 1) return null;
            }
            for (int t = 0; t + LANES <= length; t += LANES, s++) {
                aStep[s] = ac[p0] + t;
                bStep[s] = br[p0] + t;
            }
            if (tail != 0) {
                aStep[s] = ac[p0] + length - LANES;
                bStep[s] = br[p0] + length - LANES;
                weightAt[s++] = tail * LANES;
            }
        }
        return new DepthDots(m, n, aRows.values(), bCols.values(), aStep, bStep, weightAt);
    }

    /** Blocks of outputs (each is computed by one thread). */
    public int blocks() { return ceil(m, ROWS) * ceil(n, COLS); }

    /** Outputs of blocks [lo, hi) into {@code c[cOffset + i·ldc + j]}. Allocates nothing. */
    public void run(float[] a, int aOffset, float[] b, int bOffset, float[] c, int cOffset, int ldc, int lo, int hi) {
        run(a, aOffset, b, bOffset, c, cOffset, ldc, lo, hi, Select.IMPL);
    }

    /** As above, with this implementation (tests compare the two). */
    void run(float[] a, int aOffset, float[] b, int bOffset, float[] c, int cOffset, int ldc, int lo, int hi, Impl impl) {
        int colBlocks = ceil(n, COLS);
        for (int blk = lo; blk < hi; blk++) {
            int i0 = blk / colBlocks * ROWS, j0 = blk % colBlocks * COLS;
            // rows and columns past the edge repeat the last one; their sums are not stored
            impl.block(a, aOffset + aRows[i0], aOffset + aRows[Math.min(i0 + 1, m - 1)],
                    b, bOffset + bCols[j0], bOffset + bCols[Math.min(j0 + 1, n - 1)], bOffset + bCols[Math.min(j0 + 2, n - 1)],
                    bOffset + bCols[Math.min(j0 + 3, n - 1)], aStep, bStep, weightAt,
                    c, cOffset + i0 * ldc + j0, ldc, Math.min(ROWS, m - i0), Math.min(COLS, n - j0));
        }
    }

    private static int ceil(int a, int b) { return (a + b - 1) / b; }

    /**
     * One block: the dot products of A rows at {@code a0}, {@code a1} with B columns at {@code b0} … {@code b3}, stored
     * at {@code c[cAt + r·ldc + q]} for the first {@code rows} × {@code cols}.
     */
    interface Impl {
        void block(float[] a, int a0, int a1, float[] b, int b0, int b1, int b2, int b3, int[] aStep, int[] bStep, int[] weightAt,
                   float[] c, int cAt, int ldc, int rows, int cols);
    }

    /** The lanes of one accumulator added pairwise: ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)). */
    static float laneSum(float l0, float l1, float l2, float l3, float l4, float l5, float l6, float l7) {
        return ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7));
    }

    /** The scalar twin: 8 lanes per accumulator in arrays, the same fused multiply-adds in the same order. */
    static final class Scalar implements Impl {
        static final Scalar INSTANCE = new Scalar();

        @Override public void block(float[] a, int a0, int a1, float[] b, int b0, int b1, int b2, int b3, int[] aStep, int[] bStep,
                                    int[] weightAt, float[] c, int cAt, int ldc, int rows, int cols) {
            int[] aAt = {a0, a1}, bAt = {b0, b1, b2, b3};
            float[][] acc = new float[ROWS * COLS][LANES];
            for (int s = 0; s < aStep.length; s++) {
                for (int r = 0; r < ROWS; r++) {
                    for (int q = 0; q < COLS; q++) {
                        float[] l = acc[r * COLS + q];
                        for (int lane = 0; lane < LANES; lane++) {
                            float x = a[aAt[r] + aStep[s] + lane] * WEIGHTS[weightAt[s] + lane];
                            l[lane] = Math.fma(x, b[bAt[q] + bStep[s] + lane], l[lane]);
                        }
                    }
                }
            }
            for (int r = 0; r < rows; r++) {
                for (int q = 0; q < cols; q++) {
                    float[] l = acc[r * COLS + q];
                    c[cAt + r * ldc + q] = laneSum(l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7]);
                }
            }
        }
    }

    /** Picks the Vector API implementation when its module is present (loaded reflectively, as {@link GemmSelect}). */
    private static final class Select {
        static final Impl IMPL = select();

        private static Impl select() {
            if (!Gemm.vectorized()) return Scalar.INSTANCE;
            try {
                Class<?> cls = Class.forName("dev.kiln.codegen.jvm.gemm.VectorDepthDots", true, DepthDots.class.getClassLoader());
                var field = cls.getDeclaredField("INSTANCE");
                field.setAccessible(true);
                return (Impl) field.get(null);
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                return Scalar.INSTANCE;
            }
        }
    }
}
