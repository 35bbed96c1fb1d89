package dev.kiln.codegen.jvm;

/**
 * The generated parts of a contraction; the matrix product itself is a hand-tuned core. Arrays are of the
 * contraction's element type (float[], double[] or long[]).
 */
public interface ContractionKernel {
    /**
     * {@code A(batch, m, k)} for all m, k into {@code a}: row-major ({@code a[m·K + k]}) when {@link #panelRows()} is 0,
     * column-major ({@code a[k·M + m]}) if {@link #aColumnMajor()} says so, else in the GEMM core's panel layout with
     * that many rows per panel ({@code a[((m / r)·K + k)·r + m % r]}).
     */
    void packA(Object[] buffers, int batch, Object a);

    /**
     * {@code B(batch, k, n)} for all k, n into {@code b}: row-major ({@code b[k·N + n]}) when {@link #panelCols()} is 0,
     * column-major ({@code b[n·K + k]}) if {@link #bColumnMajor()} says so, else in panel layout with that many columns
     * per panel ({@code b[((n / q)·K + k)·q + n % q]}).
     */
    void packB(Object[] buffers, int batch, Object b);

    /**
     * Whether {@link #packA} writes column-major (when not in panels): an operand that reads along m, a transposed view,
     * is then written as it is read, consecutively, in vectors. (Kernels saved before this existed: row-major.)
     */
    default boolean aColumnMajor() { return false; }

    /** Whether {@link #packB} writes column-major (when not in panels), as {@link #aColumnMajor} for A. */
    default boolean bColumnMajor() { return false; }

    /** Rows per panel that {@link #packA} writes (0: row-major); matches the GEMM core it was generated for. */
    int panelRows();

    /** Columns per panel that {@link #packB} writes (0: row-major). */
    int panelCols();

    /** For rows {@code m ∈ [lo, hi)} and all n: {@code out[outIndex] = epilogue} with acc = {@code c[cOffset + m·N + n]}. */
    void epilogue(Object[] buffers, int batch, Object c, int cOffset, int lo, int hi);
}
