package dev.kiln.codegen.jvm.gemm;

/**
 * Products {@code C[i][j] = Σ_p A[i][p]·B[p][j]} with few rows whose B columns run consecutively in memory, such as a
 * convolution's patches (columns: output positions along image rows; or, for a weight gradient, filter taps along a
 * filter row): vectorized along those runs, B read in place, so nothing is packed. The GEMM core would copy all of B into
 * panels first, which costs more than the multiply-adds when few rows of A share the copy (LeNet's conv1 weight
 * gradient: 6 output channels).
 *
 * <p>Operands are given by offset tables ({@code A[i][p] = a[aOffset + aRows[i] + aCols[p]]}, {@code B[p][j] =
 * b[bOffset + bRows[p] + bCols[j]]}), the columns of B and of C by {@link ColumnRuns}, and C's element (i, j) is at
 * {@code c[cOffset + cRows[i] + cCols[j]]}, so an NCHW output is written where it belongs.
 *
 * <p>Work is cut into blocks of {@link #ROWS} rows × {@link #VECTORS} vectors (or {@link #SIX_ROWS} × {@link
 * #SIX_ROWS_VECTORS}); a block at the edge repeats its last row or vector instead of having a narrower shape (the repeat
 * is computed and stored the same way). Every C element is the
 * fma chain {@code c = fma(A[i][p], B[p][j], c)}, p ascending from 0, as in {@link Gemm}: the same bits as the core,
 * whatever the blocking or the thread count.
 */
public final class RunGemm {
    private RunGemm() {}

    public static final int ROWS = 3, VECTORS = 5;

    /**
     * The block of products whose row count is a multiple of 6 and whose vectors are all stored whole: 6 rows × 4
     * vectors, 24 accumulators, so every loaded vector of B serves all 6 rows (LeNet's conv1 forward: 6 channels, 25
     * depth steps per block; as two 3-row blocks each vector was loaded twice and each block's setup and stores were
     * paid over half the work).
     */
    public static final int SIX_ROWS = 6, SIX_ROWS_VECTORS = 4;

    /** Whether the product runs in {@link #SIX_ROWS}-row blocks. */
    static boolean sixRows(int m, ColumnRuns runs) { return m % SIX_ROWS == 0 && runs.whole(); }

    interface Impl {
        void blocks(int m, int k, float[] a, int aOffset, int[] aRows, int[] aCols, float[] b, int bOffset, int[] bRows,
                    ColumnRuns runs, float[] c, int cOffset, int[] cRows, int lo, int hi);
    }

    private static final Impl IMPL = load();

    private static Impl load() {
        if (!Gemm.vectorized()) return null;
        try {
            // reflectively, as GemmSelect loads VectorGemm: this class must load without jdk.incubator.vector
            var field = Class.forName("dev.kiln.codegen.jvm.gemm.VectorRunGemm", true, RunGemm.class.getClassLoader()).getDeclaredField("INSTANCE");
            field.setAccessible(true);
            return (Impl) field.get(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("the Vector API is present but VectorRunGemm did not load", e);
        }
    }

    /** Whether the Vector API is there (else products go to {@link Gemm#best()}, scalar then). */
    public static boolean available() { return IMPL != null; }

    /** The number of blocks of an m-row product: run blocks [lo, hi) on one thread each to split it. */
    public static int blocks(int m, ColumnRuns runs) {
        if (sixRows(m, runs)) return m / SIX_ROWS * ceil(runs.vectors(), SIX_ROWS_VECTORS);
        return ceil(m, ROWS) * ceil(runs.vectors(), VECTORS);
    }

    /** Blocks [lo, hi) of the product (see the class comment for the operands). */
    public static void multiply(int m, int k, float[] a, int aOffset, int[] aRows, int[] aCols, float[] b, int bOffset, int[] bRows,
                                ColumnRuns runs, float[] c, int cOffset, int[] cRows, int lo, int hi) {
        if (IMPL == null) throw new IllegalStateException("RunGemm needs the Vector API (--add-modules jdk.incubator.vector)");
        IMPL.blocks(m, k, a, aOffset, aRows, aCols, b, bOffset, bRows, runs, c, cOffset, cRows, lo, hi);
    }

    private static int ceil(int x, int d) { return (x + d - 1) / d; }
}
