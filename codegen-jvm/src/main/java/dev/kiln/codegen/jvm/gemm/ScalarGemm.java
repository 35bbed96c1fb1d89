package dev.kiln.codegen.jvm.gemm;

/**
 * Portable implementation: the blocked driver with a 4×4 register-blocked scalar micro-kernel
 * ({@link Math#fma}, so its results are bit-identical to the Vector API implementation's).
 */
final class ScalarGemm extends BlockedGemm {

    static final ScalarGemm INSTANCE = new ScalarGemm();

    static final int MR = 4, NR = 4;

    private ScalarGemm() {
        super(MR, NR, 128, 256, 1024);
    }

    @Override
    public String name() {
        return "scalar-4x4";
    }

    @Override
    void kernel(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        micro4x4(kc, ap, ao, bp, bo, c, co, ldc, load);
    }

    static void micro4x4(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        int c1 = co + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        if (load) {
            c00 = c[co]; c01 = c[co + 1]; c02 = c[co + 2]; c03 = c[co + 3];
            c10 = c[c1]; c11 = c[c1 + 1]; c12 = c[c1 + 2]; c13 = c[c1 + 3];
            c20 = c[c2]; c21 = c[c2 + 1]; c22 = c[c2 + 2]; c23 = c[c2 + 3];
            c30 = c[c3]; c31 = c[c3 + 1]; c32 = c[c3 + 2]; c33 = c[c3 + 3];
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + 4 * p, bi = bo + 4 * p;
            float b0 = bp[bi], b1 = bp[bi + 1], b2 = bp[bi + 2], b3 = bp[bi + 3];
            float a0 = ap[ai];
            c00 = Math.fma(a0, b0, c00); c01 = Math.fma(a0, b1, c01); c02 = Math.fma(a0, b2, c02); c03 = Math.fma(a0, b3, c03);
            float a1 = ap[ai + 1];
            c10 = Math.fma(a1, b0, c10); c11 = Math.fma(a1, b1, c11); c12 = Math.fma(a1, b2, c12); c13 = Math.fma(a1, b3, c13);
            float a2 = ap[ai + 2];
            c20 = Math.fma(a2, b0, c20); c21 = Math.fma(a2, b1, c21); c22 = Math.fma(a2, b2, c22); c23 = Math.fma(a2, b3, c23);
            float a3 = ap[ai + 3];
            c30 = Math.fma(a3, b0, c30); c31 = Math.fma(a3, b1, c31); c32 = Math.fma(a3, b2, c32); c33 = Math.fma(a3, b3, c33);
        }
        c[co] = c00; c[co + 1] = c01; c[co + 2] = c02; c[co + 3] = c03;
        c[c1] = c10; c[c1 + 1] = c11; c[c1 + 2] = c12; c[c1 + 3] = c13;
        c[c2] = c20; c[c2 + 1] = c21; c[c2 + 2] = c22; c[c2 + 3] = c23;
        c[c3] = c30; c[c3 + 1] = c31; c[c3 + 2] = c32; c[c3 + 3] = c33;
    }
}
