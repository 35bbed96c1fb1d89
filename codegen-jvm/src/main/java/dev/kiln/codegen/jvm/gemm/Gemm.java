package dev.kiln.codegen.jvm.gemm;

/**
 * Single-precision matrix multiply: {@code C[m][n] (+)= Σ_k A[m][k]·B[k][n]}.
 *
 * <p>A and B are read through a row and a column stride each, so transposed (or otherwise strided)
 * views need no copy; C is row-major with leading dimension {@code ldc}:
 * <pre>
 *   A[i][p] = a[aOffset + i*aRowStride + p*aColStride]
 *   B[p][j] = b[bOffset + p*bRowStride + j*bColStride]
 *   C[i][j] = c[cOffset + i*ldc + j]
 * </pre>
 * With {@code accumulate} false C is overwritten (so {@code k == 0} zeroes it); with it true the
 * products are added to C's contents ({@code k == 0} leaves C unchanged).
 *
 * <p>Determinism: every C element is computed as the same fused-multiply-add chain
 * {@code c = fma(A[i][p], B[p][j], c)} for {@code p = 0 .. k-1}, starting from C's value (or 0);
 * the result does not depend on the thread count, on the tiling, or on earlier calls. The
 * implementations of {@link #best()} and {@link #scalar()} therefore give bit-identical results.
 * (The scalar one is slower, not different.)
 *
 * <p>Implementations are thread-safe: several threads may call {@code sgemm} concurrently (on
 * disjoint outputs).
 */
public interface Gemm {

    void sgemm(int m, int n, int k,
               float[] a, int aOffset, int aRowStride, int aColStride,
               float[] b, int bOffset, int bRowStride, int bColStride,
               float[] c, int cOffset, int ldc,
               boolean accumulate, Parallelism par);

    /** Row-major convenience: {@code C[m×n] (+)= A[m×k] · B[k×n]}, dense, offsets 0. */
    default void sgemm(int m, int n, int k, float[] a, float[] b, float[] c, boolean accumulate, Parallelism par) {
        sgemm(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0, n, accumulate, par);
    }

    /**
     * Problems of at most this many multiply-adds run on simple unblocked code (no packing, allocation-free from the
     * first call); giving them operands in panel layout only costs.
     */
    long SMALL_WORK = 2048;

    /** Rows per A panel of {@link #sgemmPanels} (the micro-kernel's row count). */
    int panelRows();

    /** Columns per B panel of {@link #sgemmPanels} (the micro-kernel's column count). */
    int panelCols();

    /**
     * {@link #sgemm} with operands that may already be in the micro-kernel's panel layout, so the core doesn't pack
     * them again (generated code can write its gathered operands that way directly). In panel layout, with
     * {@code r = panelRows()} and {@code q = panelCols()}:
     * <pre>
     *   A[i][p] = a[aOffset + ((i / r)·k + p)·r + i % r]      (the array holds roundUp(m, r)·k values)
     *   B[p][j] = b[bOffset + ((j / q)·k + p)·q + j % q]      (the array holds roundUp(n, q)·k values)
     * </pre>
     * Padding rows/columns are read but their products are discarded; a panel operand's strides are ignored. Same
     * fma chains, so the same bits as {@link #sgemm}.
     */
    void sgemmPanels(int m, int n, int k,
                     float[] a, int aOffset, int aRowStride, int aColStride, boolean aPanels,
                     float[] b, int bOffset, int bRowStride, int bColStride, boolean bPanels,
                     float[] c, int cOffset, int ldc, boolean accumulate, Parallelism par);

    /**
     * {@link #sgemm} with operands given by offset tables: {@code A[i][p] = a[aOffset + aRows.at(i) + aCols.at(p)]} and
     * {@code B[p][j] = b[bOffset + bRows.at(p) + bCols.at(j)]} (see {@link Offsets}). The core packs straight from the
     * tables, so a convolution's patches need no im2col buffer; every table entry must address inside its array. Same
     * fma chains, so the same bits as {@link #sgemm} on the gathered matrices.
     */
    void sgemmIndexed(int m, int n, int k, float[] a, int aOffset, Offsets aRows, Offsets aCols,
                      float[] b, int bOffset, Offsets bRows, Offsets bCols,
                      float[] c, int cOffset, int ldc, boolean accumulate, Parallelism par);

    /**
     * Whether {@link #sgemmIndexed} against {@code n} columns reads an indexed A in place, row by row, with a tile
     * narrower than a B panel (so a transposed convolution with n output channels needs no packing of its patches).
     */
    default boolean readsRowsNarrowly(int n) { return false; }

    /**
     * {@code out[offset + rows[i] + cols[j]] = t[j·m + i]} for {@code i < m}, {@code j < n}: a product computed
     * transposed ({@code t} is n × m, row-major) put back into place, e.g. into an NCHW image. Each (i, j) must address
     * its own element (a product's output does): the order in which values land is the implementation's.
     */
    default void untranspose(float[] t, int m, int n, float[] out, int offset, int[] rows, int[] cols) {
        untransposeScalar(t, m, 0, n, out, offset, rows, cols);
    }

    /** {@link #untranspose} for columns {@code from ≤ j < to}, one value at a time. */
    static void untransposeScalar(float[] t, int m, int from, int to, float[] out, int offset, int[] rows, int[] cols) {
        for (int j = from; j < to; j++) {
            int at = offset + cols[j];
            for (int i = 0; i < m; i++) out[at + rows[i]] = t[j * m + i];
        }
    }

    /** A short name of the implementation (for logs and benchmarks). */
    String name();

    /**
     * The Vector API implementation when module {@code jdk.incubator.vector} is in the boot layer
     * (JVM started with {@code --add-modules jdk.incubator.vector}), else {@link #scalar()}.
     */
    static Gemm best() {
        return GemmSelect.BEST;
    }

    /** The portable scalar implementation (no Vector API needed). */
    static Gemm scalar() {
        return ScalarGemm.INSTANCE;
    }

    /** Whether {@link #best()} is the Vector API implementation. */
    static boolean vectorized() {
        return GemmSelect.BEST != ScalarGemm.INSTANCE;
    }
}
