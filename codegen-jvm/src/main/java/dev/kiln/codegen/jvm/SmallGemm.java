package dev.kiln.codegen.jvm;

/**
 * Matrix products for the element types the tuned float32 core doesn't cover (float64, int32, int64): plain
 * loops with the same strided operand layout, accumulating in order over k.
 */
final class SmallGemm {
    private SmallGemm() {}

    static void dgemm(int m, int n, int k, double[] a, int aOff, int ars, int acs, double[] b, int bOff, int brs, int bcs, double[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) acc += a[aOff + i * ars + p * acs] * b[bOff + p * brs + j * bcs];
                c[cOff + i * ldc + j] = acc;
            }
        }
    }

    static void lgemm(int m, int n, int k, long[] a, int aOff, int ars, int acs, long[] b, int bOff, int brs, int bcs, long[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long acc = 0;
                for (int p = 0; p < k; p++) acc += a[aOff + i * ars + p * acs] * b[bOff + p * brs + j * bcs];
                c[cOff + i * ldc + j] = acc;
            }
        }
    }

    static void igemm(int m, int n, int k, int[] a, int aOff, int ars, int acs, int[] b, int bOff, int brs, int bcs, int[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int acc = 0;
                for (int p = 0; p < k; p++) acc += a[aOff + i * ars + p * acs] * b[bOff + p * brs + j * bcs];
                c[cOff + i * ldc + j] = acc;
            }
        }
    }
}
