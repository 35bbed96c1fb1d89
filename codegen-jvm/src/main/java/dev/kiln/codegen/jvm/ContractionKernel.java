package dev.kiln.codegen.jvm;

/**
 * The generated parts of a contraction; the matrix product itself is a hand-tuned core. Arrays are of the
 * contraction's element type (float[], double[] or long[]).
 */
public interface ContractionKernel {
    /** {@code a[m·K + k] = A(batch, m, k)} for all m, k. */
    void packA(Object[] buffers, int batch, Object a);

    /** {@code b[k·N + n] = B(batch, k, n)} for all k, n. */
    void packB(Object[] buffers, int batch, Object b);

    /** For rows {@code m ∈ [lo, hi)} and all n: {@code out[outIndex] = epilogue} with acc = {@code c[cOffset + m·N + n]}. */
    void epilogue(Object[] buffers, int batch, Object c, int cOffset, int lo, int hi);
}
