package dev.kiln.codegen.jvm;

/**
 * The generated parts of a contraction; the matrix product itself is a hand-tuned core. Arrays are of the
 * contraction's element type (float[], double[] or long[]).
 */
public interface ContractionKernel {
    /**
     * {@code A(batch, m, k)} for all m, k into {@code a}: row-major ({@code a[m·K + k]}) when {@link #panelRows()} is 0,
     * else in the GEMM core's panel layout with that many rows per panel ({@code a[((m / r)·K + k)·r + m % r]}).
     */
    void packA(Object[] buffers, int batch, Object a);

    /**
     * {@code B(batch, k, n)} for all k, n into {@code b}: row-major ({@code b[k·N + n]}) when {@link #panelCols()} is 0,
     * else in panel layout with that many columns per panel ({@code b[((n / q)·K + k)·q + n % q]}).
     */
    void packB(Object[] buffers, int batch, Object b);

    /** Rows per panel that {@link #packA} writes (0: row-major); matches the GEMM core it was generated for. */
    int panelRows();

    /** Columns per panel that {@link #packB} writes (0: row-major). */
    int panelCols();

    /** For rows {@code m ∈ [lo, hi)} and all n: {@code out[outIndex] = epilogue} with acc = {@code c[cOffset + m·N + n]}. */
    void epilogue(Object[] buffers, int batch, Object c, int cOffset, int lo, int hi);
}
