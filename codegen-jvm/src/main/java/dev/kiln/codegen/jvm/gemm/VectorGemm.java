package dev.kiln.codegen.jvm.gemm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API implementation (needs {@code --add-modules jdk.incubator.vector}; loaded only through
 * {@link Gemm#best()}, which checks that the module is present).
 */
final class VectorGemm extends BlockedGemm {

    static final VectorSpecies<Float> S512 = FloatVector.SPECIES_512;
    static final VectorSpecies<Float> S256 = FloatVector.SPECIES_256;

    static final int KERNEL = Integer.getInteger("kiln.gemm.kernel", 0);
    static final int MR = mrOf(KERNEL), NR = nrOf(KERNEL);
    static final int KC = Integer.getInteger("kiln.gemm.kc", 256);
    static final int MC = Integer.getInteger("kiln.gemm.mc", 96) / MR * MR;
    static final int NC = Integer.getInteger("kiln.gemm.nc", 2048) / NR * NR;

    static final VectorGemm INSTANCE = new VectorGemm();

    private VectorGemm() {
        super(MR, NR, MC, KC, NC);
    }

    @Override
    public String name() {
        return "vector-k" + KERNEL + "-" + MR + "x" + NR + " mc=" + MC + " kc=" + KC + " nc=" + NC;
    }

    static int mrOf(int kernel) {
        return switch (kernel) {
            case 0 -> 6;
            case 1 -> 8;
            case 2 -> 12;
            case 3 -> 14;
            case 4 -> 8;
            case 5 -> 6;
            case 6 -> 12;
            case 7 -> 8;
            case 8 -> 4;
            case 9 -> 16;
            default -> throw new IllegalArgumentException("kernel " + kernel);
        };
    }

    static int nrOf(int kernel) {
        return switch (kernel) {
            case 0 -> 32;
            case 1 -> 32;
            case 2 -> 32;
            case 3 -> 32;
            case 4 -> 48;
            case 5 -> 16;
            case 6 -> 16;
            case 7 -> 24;
            case 8 -> 64;
            case 9 -> 16;
            default -> throw new IllegalArgumentException("kernel " + kernel);
        };
    }

    @Override
    void kernel(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        switch (KERNEL) {
            case 0 -> k6x32_512(kc, ap, ao, bp, bo, c, co, ldc, load);
            case 1 -> k8x32_512(kc, ap, ao, bp, bo, c, co, ldc, load);
            case 2 -> k12x32_512(kc, ap, ao, bp, bo, c, co, ldc, load);
            case 3 -> k14x32_512(kc, ap, ao, bp, bo, c, co, ldc, load);
            case 4 -> k8x48_512(kc, ap, ao, bp, bo, c, co, ldc, load);
            case 5 -> k6x16_256(kc, ap, ao, bp, bo, c, co, ldc, load);
            case 6 -> k12x16_256(kc, ap, ao, bp, bo, c, co, ldc, load);
            case 7 -> k8x24_256(kc, ap, ao, bp, bo, c, co, ldc, load);
            case 8 -> k4x64_512(kc, ap, ao, bp, bo, c, co, ldc, load);
            case 9 -> k16x16_512(kc, ap, ao, bp, bo, c, co, ldc, load);
            default -> throw new IllegalStateException();
        }
    }

    /** 6×32 micro-kernel, 2 × 512-bit vectors per row, 12 accumulators. */
    static void k6x32_512(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1, c4_0, c4_1, c5_0, c5_1;
        if (load) {
            c0_0 = FloatVector.fromArray(S512, c, co + 0 * ldc + 0);
            c0_1 = FloatVector.fromArray(S512, c, co + 0 * ldc + 16);
            c1_0 = FloatVector.fromArray(S512, c, co + 1 * ldc + 0);
            c1_1 = FloatVector.fromArray(S512, c, co + 1 * ldc + 16);
            c2_0 = FloatVector.fromArray(S512, c, co + 2 * ldc + 0);
            c2_1 = FloatVector.fromArray(S512, c, co + 2 * ldc + 16);
            c3_0 = FloatVector.fromArray(S512, c, co + 3 * ldc + 0);
            c3_1 = FloatVector.fromArray(S512, c, co + 3 * ldc + 16);
            c4_0 = FloatVector.fromArray(S512, c, co + 4 * ldc + 0);
            c4_1 = FloatVector.fromArray(S512, c, co + 4 * ldc + 16);
            c5_0 = FloatVector.fromArray(S512, c, co + 5 * ldc + 0);
            c5_1 = FloatVector.fromArray(S512, c, co + 5 * ldc + 16);
        } else {
            FloatVector z = FloatVector.zero(S512);
            c0_0 = z; c0_1 = z; c1_0 = z; c1_1 = z; c2_0 = z; c2_1 = z; c3_0 = z; c3_1 = z; c4_0 = z; c4_1 = z; c5_0 = z; c5_1 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 6, bi = bo + p * 32;
            FloatVector b0 = FloatVector.fromArray(S512, bp, bi + 0);
            FloatVector b1 = FloatVector.fromArray(S512, bp, bi + 16);
            FloatVector a0 = FloatVector.broadcast(S512, ap[ai + 0]);
            c0_0 = b0.fma(a0, c0_0); c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(S512, ap[ai + 1]);
            c1_0 = b0.fma(a1, c1_0); c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S512, ap[ai + 2]);
            c2_0 = b0.fma(a2, c2_0); c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(S512, ap[ai + 3]);
            c3_0 = b0.fma(a3, c3_0); c3_1 = b1.fma(a3, c3_1);
            FloatVector a4 = FloatVector.broadcast(S512, ap[ai + 4]);
            c4_0 = b0.fma(a4, c4_0); c4_1 = b1.fma(a4, c4_1);
            FloatVector a5 = FloatVector.broadcast(S512, ap[ai + 5]);
            c5_0 = b0.fma(a5, c5_0); c5_1 = b1.fma(a5, c5_1);
        }
        c0_0.intoArray(c, co + 0 * ldc + 0);
        c0_1.intoArray(c, co + 0 * ldc + 16);
        c1_0.intoArray(c, co + 1 * ldc + 0);
        c1_1.intoArray(c, co + 1 * ldc + 16);
        c2_0.intoArray(c, co + 2 * ldc + 0);
        c2_1.intoArray(c, co + 2 * ldc + 16);
        c3_0.intoArray(c, co + 3 * ldc + 0);
        c3_1.intoArray(c, co + 3 * ldc + 16);
        c4_0.intoArray(c, co + 4 * ldc + 0);
        c4_1.intoArray(c, co + 4 * ldc + 16);
        c5_0.intoArray(c, co + 5 * ldc + 0);
        c5_1.intoArray(c, co + 5 * ldc + 16);
    }

    /** 8×32 micro-kernel, 2 × 512-bit vectors per row, 16 accumulators. */
    static void k8x32_512(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1, c4_0, c4_1, c5_0, c5_1, c6_0, c6_1, c7_0, c7_1;
        if (load) {
            c0_0 = FloatVector.fromArray(S512, c, co + 0 * ldc + 0);
            c0_1 = FloatVector.fromArray(S512, c, co + 0 * ldc + 16);
            c1_0 = FloatVector.fromArray(S512, c, co + 1 * ldc + 0);
            c1_1 = FloatVector.fromArray(S512, c, co + 1 * ldc + 16);
            c2_0 = FloatVector.fromArray(S512, c, co + 2 * ldc + 0);
            c2_1 = FloatVector.fromArray(S512, c, co + 2 * ldc + 16);
            c3_0 = FloatVector.fromArray(S512, c, co + 3 * ldc + 0);
            c3_1 = FloatVector.fromArray(S512, c, co + 3 * ldc + 16);
            c4_0 = FloatVector.fromArray(S512, c, co + 4 * ldc + 0);
            c4_1 = FloatVector.fromArray(S512, c, co + 4 * ldc + 16);
            c5_0 = FloatVector.fromArray(S512, c, co + 5 * ldc + 0);
            c5_1 = FloatVector.fromArray(S512, c, co + 5 * ldc + 16);
            c6_0 = FloatVector.fromArray(S512, c, co + 6 * ldc + 0);
            c6_1 = FloatVector.fromArray(S512, c, co + 6 * ldc + 16);
            c7_0 = FloatVector.fromArray(S512, c, co + 7 * ldc + 0);
            c7_1 = FloatVector.fromArray(S512, c, co + 7 * ldc + 16);
        } else {
            FloatVector z = FloatVector.zero(S512);
            c0_0 = z; c0_1 = z; c1_0 = z; c1_1 = z; c2_0 = z; c2_1 = z; c3_0 = z; c3_1 = z; c4_0 = z; c4_1 = z; c5_0 = z; c5_1 = z; c6_0 = z; c6_1 = z; c7_0 = z; c7_1 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 8, bi = bo + p * 32;
            FloatVector b0 = FloatVector.fromArray(S512, bp, bi + 0);
            FloatVector b1 = FloatVector.fromArray(S512, bp, bi + 16);
            FloatVector a0 = FloatVector.broadcast(S512, ap[ai + 0]);
            c0_0 = b0.fma(a0, c0_0); c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(S512, ap[ai + 1]);
            c1_0 = b0.fma(a1, c1_0); c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S512, ap[ai + 2]);
            c2_0 = b0.fma(a2, c2_0); c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(S512, ap[ai + 3]);
            c3_0 = b0.fma(a3, c3_0); c3_1 = b1.fma(a3, c3_1);
            FloatVector a4 = FloatVector.broadcast(S512, ap[ai + 4]);
            c4_0 = b0.fma(a4, c4_0); c4_1 = b1.fma(a4, c4_1);
            FloatVector a5 = FloatVector.broadcast(S512, ap[ai + 5]);
            c5_0 = b0.fma(a5, c5_0); c5_1 = b1.fma(a5, c5_1);
            FloatVector a6 = FloatVector.broadcast(S512, ap[ai + 6]);
            c6_0 = b0.fma(a6, c6_0); c6_1 = b1.fma(a6, c6_1);
            FloatVector a7 = FloatVector.broadcast(S512, ap[ai + 7]);
            c7_0 = b0.fma(a7, c7_0); c7_1 = b1.fma(a7, c7_1);
        }
        c0_0.intoArray(c, co + 0 * ldc + 0);
        c0_1.intoArray(c, co + 0 * ldc + 16);
        c1_0.intoArray(c, co + 1 * ldc + 0);
        c1_1.intoArray(c, co + 1 * ldc + 16);
        c2_0.intoArray(c, co + 2 * ldc + 0);
        c2_1.intoArray(c, co + 2 * ldc + 16);
        c3_0.intoArray(c, co + 3 * ldc + 0);
        c3_1.intoArray(c, co + 3 * ldc + 16);
        c4_0.intoArray(c, co + 4 * ldc + 0);
        c4_1.intoArray(c, co + 4 * ldc + 16);
        c5_0.intoArray(c, co + 5 * ldc + 0);
        c5_1.intoArray(c, co + 5 * ldc + 16);
        c6_0.intoArray(c, co + 6 * ldc + 0);
        c6_1.intoArray(c, co + 6 * ldc + 16);
        c7_0.intoArray(c, co + 7 * ldc + 0);
        c7_1.intoArray(c, co + 7 * ldc + 16);
    }

    /** 12×32 micro-kernel, 2 × 512-bit vectors per row, 24 accumulators. */
    static void k12x32_512(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1, c4_0, c4_1, c5_0, c5_1, c6_0, c6_1, c7_0, c7_1, c8_0, c8_1, c9_0, c9_1, c10_0, c10_1, c11_0, c11_1;
        if (load) {
            c0_0 = FloatVector.fromArray(S512, c, co + 0 * ldc + 0);
            c0_1 = FloatVector.fromArray(S512, c, co + 0 * ldc + 16);
            c1_0 = FloatVector.fromArray(S512, c, co + 1 * ldc + 0);
            c1_1 = FloatVector.fromArray(S512, c, co + 1 * ldc + 16);
            c2_0 = FloatVector.fromArray(S512, c, co + 2 * ldc + 0);
            c2_1 = FloatVector.fromArray(S512, c, co + 2 * ldc + 16);
            c3_0 = FloatVector.fromArray(S512, c, co + 3 * ldc + 0);
            c3_1 = FloatVector.fromArray(S512, c, co + 3 * ldc + 16);
            c4_0 = FloatVector.fromArray(S512, c, co + 4 * ldc + 0);
            c4_1 = FloatVector.fromArray(S512, c, co + 4 * ldc + 16);
            c5_0 = FloatVector.fromArray(S512, c, co + 5 * ldc + 0);
            c5_1 = FloatVector.fromArray(S512, c, co + 5 * ldc + 16);
            c6_0 = FloatVector.fromArray(S512, c, co + 6 * ldc + 0);
            c6_1 = FloatVector.fromArray(S512, c, co + 6 * ldc + 16);
            c7_0 = FloatVector.fromArray(S512, c, co + 7 * ldc + 0);
            c7_1 = FloatVector.fromArray(S512, c, co + 7 * ldc + 16);
            c8_0 = FloatVector.fromArray(S512, c, co + 8 * ldc + 0);
            c8_1 = FloatVector.fromArray(S512, c, co + 8 * ldc + 16);
            c9_0 = FloatVector.fromArray(S512, c, co + 9 * ldc + 0);
            c9_1 = FloatVector.fromArray(S512, c, co + 9 * ldc + 16);
            c10_0 = FloatVector.fromArray(S512, c, co + 10 * ldc + 0);
            c10_1 = FloatVector.fromArray(S512, c, co + 10 * ldc + 16);
            c11_0 = FloatVector.fromArray(S512, c, co + 11 * ldc + 0);
            c11_1 = FloatVector.fromArray(S512, c, co + 11 * ldc + 16);
        } else {
            FloatVector z = FloatVector.zero(S512);
            c0_0 = z; c0_1 = z; c1_0 = z; c1_1 = z; c2_0 = z; c2_1 = z; c3_0 = z; c3_1 = z; c4_0 = z; c4_1 = z; c5_0 = z; c5_1 = z; c6_0 = z; c6_1 = z; c7_0 = z; c7_1 = z; c8_0 = z; c8_1 = z; c9_0 = z; c9_1 = z; c10_0 = z; c10_1 = z; c11_0 = z; c11_1 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 12, bi = bo + p * 32;
            FloatVector b0 = FloatVector.fromArray(S512, bp, bi + 0);
            FloatVector b1 = FloatVector.fromArray(S512, bp, bi + 16);
            FloatVector a0 = FloatVector.broadcast(S512, ap[ai + 0]);
            c0_0 = b0.fma(a0, c0_0); c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(S512, ap[ai + 1]);
            c1_0 = b0.fma(a1, c1_0); c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S512, ap[ai + 2]);
            c2_0 = b0.fma(a2, c2_0); c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(S512, ap[ai + 3]);
            c3_0 = b0.fma(a3, c3_0); c3_1 = b1.fma(a3, c3_1);
            FloatVector a4 = FloatVector.broadcast(S512, ap[ai + 4]);
            c4_0 = b0.fma(a4, c4_0); c4_1 = b1.fma(a4, c4_1);
            FloatVector a5 = FloatVector.broadcast(S512, ap[ai + 5]);
            c5_0 = b0.fma(a5, c5_0); c5_1 = b1.fma(a5, c5_1);
            FloatVector a6 = FloatVector.broadcast(S512, ap[ai + 6]);
            c6_0 = b0.fma(a6, c6_0); c6_1 = b1.fma(a6, c6_1);
            FloatVector a7 = FloatVector.broadcast(S512, ap[ai + 7]);
            c7_0 = b0.fma(a7, c7_0); c7_1 = b1.fma(a7, c7_1);
            FloatVector a8 = FloatVector.broadcast(S512, ap[ai + 8]);
            c8_0 = b0.fma(a8, c8_0); c8_1 = b1.fma(a8, c8_1);
            FloatVector a9 = FloatVector.broadcast(S512, ap[ai + 9]);
            c9_0 = b0.fma(a9, c9_0); c9_1 = b1.fma(a9, c9_1);
            FloatVector a10 = FloatVector.broadcast(S512, ap[ai + 10]);
            c10_0 = b0.fma(a10, c10_0); c10_1 = b1.fma(a10, c10_1);
            FloatVector a11 = FloatVector.broadcast(S512, ap[ai + 11]);
            c11_0 = b0.fma(a11, c11_0); c11_1 = b1.fma(a11, c11_1);
        }
        c0_0.intoArray(c, co + 0 * ldc + 0);
        c0_1.intoArray(c, co + 0 * ldc + 16);
        c1_0.intoArray(c, co + 1 * ldc + 0);
        c1_1.intoArray(c, co + 1 * ldc + 16);
        c2_0.intoArray(c, co + 2 * ldc + 0);
        c2_1.intoArray(c, co + 2 * ldc + 16);
        c3_0.intoArray(c, co + 3 * ldc + 0);
        c3_1.intoArray(c, co + 3 * ldc + 16);
        c4_0.intoArray(c, co + 4 * ldc + 0);
        c4_1.intoArray(c, co + 4 * ldc + 16);
        c5_0.intoArray(c, co + 5 * ldc + 0);
        c5_1.intoArray(c, co + 5 * ldc + 16);
        c6_0.intoArray(c, co + 6 * ldc + 0);
        c6_1.intoArray(c, co + 6 * ldc + 16);
        c7_0.intoArray(c, co + 7 * ldc + 0);
        c7_1.intoArray(c, co + 7 * ldc + 16);
        c8_0.intoArray(c, co + 8 * ldc + 0);
        c8_1.intoArray(c, co + 8 * ldc + 16);
        c9_0.intoArray(c, co + 9 * ldc + 0);
        c9_1.intoArray(c, co + 9 * ldc + 16);
        c10_0.intoArray(c, co + 10 * ldc + 0);
        c10_1.intoArray(c, co + 10 * ldc + 16);
        c11_0.intoArray(c, co + 11 * ldc + 0);
        c11_1.intoArray(c, co + 11 * ldc + 16);
    }

    /** 14×32 micro-kernel, 2 × 512-bit vectors per row, 28 accumulators. */
    static void k14x32_512(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1, c4_0, c4_1, c5_0, c5_1, c6_0, c6_1, c7_0, c7_1, c8_0, c8_1, c9_0, c9_1, c10_0, c10_1, c11_0, c11_1, c12_0, c12_1, c13_0, c13_1;
        if (load) {
            c0_0 = FloatVector.fromArray(S512, c, co + 0 * ldc + 0);
            c0_1 = FloatVector.fromArray(S512, c, co + 0 * ldc + 16);
            c1_0 = FloatVector.fromArray(S512, c, co + 1 * ldc + 0);
            c1_1 = FloatVector.fromArray(S512, c, co + 1 * ldc + 16);
            c2_0 = FloatVector.fromArray(S512, c, co + 2 * ldc + 0);
            c2_1 = FloatVector.fromArray(S512, c, co + 2 * ldc + 16);
            c3_0 = FloatVector.fromArray(S512, c, co + 3 * ldc + 0);
            c3_1 = FloatVector.fromArray(S512, c, co + 3 * ldc + 16);
            c4_0 = FloatVector.fromArray(S512, c, co + 4 * ldc + 0);
            c4_1 = FloatVector.fromArray(S512, c, co + 4 * ldc + 16);
            c5_0 = FloatVector.fromArray(S512, c, co + 5 * ldc + 0);
            c5_1 = FloatVector.fromArray(S512, c, co + 5 * ldc + 16);
            c6_0 = FloatVector.fromArray(S512, c, co + 6 * ldc + 0);
            c6_1 = FloatVector.fromArray(S512, c, co + 6 * ldc + 16);
            c7_0 = FloatVector.fromArray(S512, c, co + 7 * ldc + 0);
            c7_1 = FloatVector.fromArray(S512, c, co + 7 * ldc + 16);
            c8_0 = FloatVector.fromArray(S512, c, co + 8 * ldc + 0);
            c8_1 = FloatVector.fromArray(S512, c, co + 8 * ldc + 16);
            c9_0 = FloatVector.fromArray(S512, c, co + 9 * ldc + 0);
            c9_1 = FloatVector.fromArray(S512, c, co + 9 * ldc + 16);
            c10_0 = FloatVector.fromArray(S512, c, co + 10 * ldc + 0);
            c10_1 = FloatVector.fromArray(S512, c, co + 10 * ldc + 16);
            c11_0 = FloatVector.fromArray(S512, c, co + 11 * ldc + 0);
            c11_1 = FloatVector.fromArray(S512, c, co + 11 * ldc + 16);
            c12_0 = FloatVector.fromArray(S512, c, co + 12 * ldc + 0);
            c12_1 = FloatVector.fromArray(S512, c, co + 12 * ldc + 16);
            c13_0 = FloatVector.fromArray(S512, c, co + 13 * ldc + 0);
            c13_1 = FloatVector.fromArray(S512, c, co + 13 * ldc + 16);
        } else {
            FloatVector z = FloatVector.zero(S512);
            c0_0 = z; c0_1 = z; c1_0 = z; c1_1 = z; c2_0 = z; c2_1 = z; c3_0 = z; c3_1 = z; c4_0 = z; c4_1 = z; c5_0 = z; c5_1 = z; c6_0 = z; c6_1 = z; c7_0 = z; c7_1 = z; c8_0 = z; c8_1 = z; c9_0 = z; c9_1 = z; c10_0 = z; c10_1 = z; c11_0 = z; c11_1 = z; c12_0 = z; c12_1 = z; c13_0 = z; c13_1 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 14, bi = bo + p * 32;
            FloatVector b0 = FloatVector.fromArray(S512, bp, bi + 0);
            FloatVector b1 = FloatVector.fromArray(S512, bp, bi + 16);
            FloatVector a0 = FloatVector.broadcast(S512, ap[ai + 0]);
            c0_0 = b0.fma(a0, c0_0); c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(S512, ap[ai + 1]);
            c1_0 = b0.fma(a1, c1_0); c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S512, ap[ai + 2]);
            c2_0 = b0.fma(a2, c2_0); c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(S512, ap[ai + 3]);
            c3_0 = b0.fma(a3, c3_0); c3_1 = b1.fma(a3, c3_1);
            FloatVector a4 = FloatVector.broadcast(S512, ap[ai + 4]);
            c4_0 = b0.fma(a4, c4_0); c4_1 = b1.fma(a4, c4_1);
            FloatVector a5 = FloatVector.broadcast(S512, ap[ai + 5]);
            c5_0 = b0.fma(a5, c5_0); c5_1 = b1.fma(a5, c5_1);
            FloatVector a6 = FloatVector.broadcast(S512, ap[ai + 6]);
            c6_0 = b0.fma(a6, c6_0); c6_1 = b1.fma(a6, c6_1);
            FloatVector a7 = FloatVector.broadcast(S512, ap[ai + 7]);
            c7_0 = b0.fma(a7, c7_0); c7_1 = b1.fma(a7, c7_1);
            FloatVector a8 = FloatVector.broadcast(S512, ap[ai + 8]);
            c8_0 = b0.fma(a8, c8_0); c8_1 = b1.fma(a8, c8_1);
            FloatVector a9 = FloatVector.broadcast(S512, ap[ai + 9]);
            c9_0 = b0.fma(a9, c9_0); c9_1 = b1.fma(a9, c9_1);
            FloatVector a10 = FloatVector.broadcast(S512, ap[ai + 10]);
            c10_0 = b0.fma(a10, c10_0); c10_1 = b1.fma(a10, c10_1);
            FloatVector a11 = FloatVector.broadcast(S512, ap[ai + 11]);
            c11_0 = b0.fma(a11, c11_0); c11_1 = b1.fma(a11, c11_1);
            FloatVector a12 = FloatVector.broadcast(S512, ap[ai + 12]);
            c12_0 = b0.fma(a12, c12_0); c12_1 = b1.fma(a12, c12_1);
            FloatVector a13 = FloatVector.broadcast(S512, ap[ai + 13]);
            c13_0 = b0.fma(a13, c13_0); c13_1 = b1.fma(a13, c13_1);
        }
        c0_0.intoArray(c, co + 0 * ldc + 0);
        c0_1.intoArray(c, co + 0 * ldc + 16);
        c1_0.intoArray(c, co + 1 * ldc + 0);
        c1_1.intoArray(c, co + 1 * ldc + 16);
        c2_0.intoArray(c, co + 2 * ldc + 0);
        c2_1.intoArray(c, co + 2 * ldc + 16);
        c3_0.intoArray(c, co + 3 * ldc + 0);
        c3_1.intoArray(c, co + 3 * ldc + 16);
        c4_0.intoArray(c, co + 4 * ldc + 0);
        c4_1.intoArray(c, co + 4 * ldc + 16);
        c5_0.intoArray(c, co + 5 * ldc + 0);
        c5_1.intoArray(c, co + 5 * ldc + 16);
        c6_0.intoArray(c, co + 6 * ldc + 0);
        c6_1.intoArray(c, co + 6 * ldc + 16);
        c7_0.intoArray(c, co + 7 * ldc + 0);
        c7_1.intoArray(c, co + 7 * ldc + 16);
        c8_0.intoArray(c, co + 8 * ldc + 0);
        c8_1.intoArray(c, co + 8 * ldc + 16);
        c9_0.intoArray(c, co + 9 * ldc + 0);
        c9_1.intoArray(c, co + 9 * ldc + 16);
        c10_0.intoArray(c, co + 10 * ldc + 0);
        c10_1.intoArray(c, co + 10 * ldc + 16);
        c11_0.intoArray(c, co + 11 * ldc + 0);
        c11_1.intoArray(c, co + 11 * ldc + 16);
        c12_0.intoArray(c, co + 12 * ldc + 0);
        c12_1.intoArray(c, co + 12 * ldc + 16);
        c13_0.intoArray(c, co + 13 * ldc + 0);
        c13_1.intoArray(c, co + 13 * ldc + 16);
    }

    /** 8×48 micro-kernel, 3 × 512-bit vectors per row, 24 accumulators. */
    static void k8x48_512(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c0_0, c0_1, c0_2, c1_0, c1_1, c1_2, c2_0, c2_1, c2_2, c3_0, c3_1, c3_2, c4_0, c4_1, c4_2, c5_0, c5_1, c5_2, c6_0, c6_1, c6_2, c7_0, c7_1, c7_2;
        if (load) {
            c0_0 = FloatVector.fromArray(S512, c, co + 0 * ldc + 0);
            c0_1 = FloatVector.fromArray(S512, c, co + 0 * ldc + 16);
            c0_2 = FloatVector.fromArray(S512, c, co + 0 * ldc + 32);
            c1_0 = FloatVector.fromArray(S512, c, co + 1 * ldc + 0);
            c1_1 = FloatVector.fromArray(S512, c, co + 1 * ldc + 16);
            c1_2 = FloatVector.fromArray(S512, c, co + 1 * ldc + 32);
            c2_0 = FloatVector.fromArray(S512, c, co + 2 * ldc + 0);
            c2_1 = FloatVector.fromArray(S512, c, co + 2 * ldc + 16);
            c2_2 = FloatVector.fromArray(S512, c, co + 2 * ldc + 32);
            c3_0 = FloatVector.fromArray(S512, c, co + 3 * ldc + 0);
            c3_1 = FloatVector.fromArray(S512, c, co + 3 * ldc + 16);
            c3_2 = FloatVector.fromArray(S512, c, co + 3 * ldc + 32);
            c4_0 = FloatVector.fromArray(S512, c, co + 4 * ldc + 0);
            c4_1 = FloatVector.fromArray(S512, c, co + 4 * ldc + 16);
            c4_2 = FloatVector.fromArray(S512, c, co + 4 * ldc + 32);
            c5_0 = FloatVector.fromArray(S512, c, co + 5 * ldc + 0);
            c5_1 = FloatVector.fromArray(S512, c, co + 5 * ldc + 16);
            c5_2 = FloatVector.fromArray(S512, c, co + 5 * ldc + 32);
            c6_0 = FloatVector.fromArray(S512, c, co + 6 * ldc + 0);
            c6_1 = FloatVector.fromArray(S512, c, co + 6 * ldc + 16);
            c6_2 = FloatVector.fromArray(S512, c, co + 6 * ldc + 32);
            c7_0 = FloatVector.fromArray(S512, c, co + 7 * ldc + 0);
            c7_1 = FloatVector.fromArray(S512, c, co + 7 * ldc + 16);
            c7_2 = FloatVector.fromArray(S512, c, co + 7 * ldc + 32);
        } else {
            FloatVector z = FloatVector.zero(S512);
            c0_0 = z; c0_1 = z; c0_2 = z; c1_0 = z; c1_1 = z; c1_2 = z; c2_0 = z; c2_1 = z; c2_2 = z; c3_0 = z; c3_1 = z; c3_2 = z; c4_0 = z; c4_1 = z; c4_2 = z; c5_0 = z; c5_1 = z; c5_2 = z; c6_0 = z; c6_1 = z; c6_2 = z; c7_0 = z; c7_1 = z; c7_2 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 8, bi = bo + p * 48;
            FloatVector b0 = FloatVector.fromArray(S512, bp, bi + 0);
            FloatVector b1 = FloatVector.fromArray(S512, bp, bi + 16);
            FloatVector b2 = FloatVector.fromArray(S512, bp, bi + 32);
            FloatVector a0 = FloatVector.broadcast(S512, ap[ai + 0]);
            c0_0 = b0.fma(a0, c0_0); c0_1 = b1.fma(a0, c0_1); c0_2 = b2.fma(a0, c0_2);
            FloatVector a1 = FloatVector.broadcast(S512, ap[ai + 1]);
            c1_0 = b0.fma(a1, c1_0); c1_1 = b1.fma(a1, c1_1); c1_2 = b2.fma(a1, c1_2);
            FloatVector a2 = FloatVector.broadcast(S512, ap[ai + 2]);
            c2_0 = b0.fma(a2, c2_0); c2_1 = b1.fma(a2, c2_1); c2_2 = b2.fma(a2, c2_2);
            FloatVector a3 = FloatVector.broadcast(S512, ap[ai + 3]);
            c3_0 = b0.fma(a3, c3_0); c3_1 = b1.fma(a3, c3_1); c3_2 = b2.fma(a3, c3_2);
            FloatVector a4 = FloatVector.broadcast(S512, ap[ai + 4]);
            c4_0 = b0.fma(a4, c4_0); c4_1 = b1.fma(a4, c4_1); c4_2 = b2.fma(a4, c4_2);
            FloatVector a5 = FloatVector.broadcast(S512, ap[ai + 5]);
            c5_0 = b0.fma(a5, c5_0); c5_1 = b1.fma(a5, c5_1); c5_2 = b2.fma(a5, c5_2);
            FloatVector a6 = FloatVector.broadcast(S512, ap[ai + 6]);
            c6_0 = b0.fma(a6, c6_0); c6_1 = b1.fma(a6, c6_1); c6_2 = b2.fma(a6, c6_2);
            FloatVector a7 = FloatVector.broadcast(S512, ap[ai + 7]);
            c7_0 = b0.fma(a7, c7_0); c7_1 = b1.fma(a7, c7_1); c7_2 = b2.fma(a7, c7_2);
        }
        c0_0.intoArray(c, co + 0 * ldc + 0);
        c0_1.intoArray(c, co + 0 * ldc + 16);
        c0_2.intoArray(c, co + 0 * ldc + 32);
        c1_0.intoArray(c, co + 1 * ldc + 0);
        c1_1.intoArray(c, co + 1 * ldc + 16);
        c1_2.intoArray(c, co + 1 * ldc + 32);
        c2_0.intoArray(c, co + 2 * ldc + 0);
        c2_1.intoArray(c, co + 2 * ldc + 16);
        c2_2.intoArray(c, co + 2 * ldc + 32);
        c3_0.intoArray(c, co + 3 * ldc + 0);
        c3_1.intoArray(c, co + 3 * ldc + 16);
        c3_2.intoArray(c, co + 3 * ldc + 32);
        c4_0.intoArray(c, co + 4 * ldc + 0);
        c4_1.intoArray(c, co + 4 * ldc + 16);
        c4_2.intoArray(c, co + 4 * ldc + 32);
        c5_0.intoArray(c, co + 5 * ldc + 0);
        c5_1.intoArray(c, co + 5 * ldc + 16);
        c5_2.intoArray(c, co + 5 * ldc + 32);
        c6_0.intoArray(c, co + 6 * ldc + 0);
        c6_1.intoArray(c, co + 6 * ldc + 16);
        c6_2.intoArray(c, co + 6 * ldc + 32);
        c7_0.intoArray(c, co + 7 * ldc + 0);
        c7_1.intoArray(c, co + 7 * ldc + 16);
        c7_2.intoArray(c, co + 7 * ldc + 32);
    }

    /** 6×16 micro-kernel, 2 × 256-bit vectors per row, 12 accumulators. */
    static void k6x16_256(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1, c4_0, c4_1, c5_0, c5_1;
        if (load) {
            c0_0 = FloatVector.fromArray(S256, c, co + 0 * ldc + 0);
            c0_1 = FloatVector.fromArray(S256, c, co + 0 * ldc + 8);
            c1_0 = FloatVector.fromArray(S256, c, co + 1 * ldc + 0);
            c1_1 = FloatVector.fromArray(S256, c, co + 1 * ldc + 8);
            c2_0 = FloatVector.fromArray(S256, c, co + 2 * ldc + 0);
            c2_1 = FloatVector.fromArray(S256, c, co + 2 * ldc + 8);
            c3_0 = FloatVector.fromArray(S256, c, co + 3 * ldc + 0);
            c3_1 = FloatVector.fromArray(S256, c, co + 3 * ldc + 8);
            c4_0 = FloatVector.fromArray(S256, c, co + 4 * ldc + 0);
            c4_1 = FloatVector.fromArray(S256, c, co + 4 * ldc + 8);
            c5_0 = FloatVector.fromArray(S256, c, co + 5 * ldc + 0);
            c5_1 = FloatVector.fromArray(S256, c, co + 5 * ldc + 8);
        } else {
            FloatVector z = FloatVector.zero(S256);
            c0_0 = z; c0_1 = z; c1_0 = z; c1_1 = z; c2_0 = z; c2_1 = z; c3_0 = z; c3_1 = z; c4_0 = z; c4_1 = z; c5_0 = z; c5_1 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 6, bi = bo + p * 16;
            FloatVector b0 = FloatVector.fromArray(S256, bp, bi + 0);
            FloatVector b1 = FloatVector.fromArray(S256, bp, bi + 8);
            FloatVector a0 = FloatVector.broadcast(S256, ap[ai + 0]);
            c0_0 = b0.fma(a0, c0_0); c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(S256, ap[ai + 1]);
            c1_0 = b0.fma(a1, c1_0); c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S256, ap[ai + 2]);
            c2_0 = b0.fma(a2, c2_0); c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(S256, ap[ai + 3]);
            c3_0 = b0.fma(a3, c3_0); c3_1 = b1.fma(a3, c3_1);
            FloatVector a4 = FloatVector.broadcast(S256, ap[ai + 4]);
            c4_0 = b0.fma(a4, c4_0); c4_1 = b1.fma(a4, c4_1);
            FloatVector a5 = FloatVector.broadcast(S256, ap[ai + 5]);
            c5_0 = b0.fma(a5, c5_0); c5_1 = b1.fma(a5, c5_1);
        }
        c0_0.intoArray(c, co + 0 * ldc + 0);
        c0_1.intoArray(c, co + 0 * ldc + 8);
        c1_0.intoArray(c, co + 1 * ldc + 0);
        c1_1.intoArray(c, co + 1 * ldc + 8);
        c2_0.intoArray(c, co + 2 * ldc + 0);
        c2_1.intoArray(c, co + 2 * ldc + 8);
        c3_0.intoArray(c, co + 3 * ldc + 0);
        c3_1.intoArray(c, co + 3 * ldc + 8);
        c4_0.intoArray(c, co + 4 * ldc + 0);
        c4_1.intoArray(c, co + 4 * ldc + 8);
        c5_0.intoArray(c, co + 5 * ldc + 0);
        c5_1.intoArray(c, co + 5 * ldc + 8);
    }

    /** 12×16 micro-kernel, 2 × 256-bit vectors per row, 24 accumulators. */
    static void k12x16_256(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1, c4_0, c4_1, c5_0, c5_1, c6_0, c6_1, c7_0, c7_1, c8_0, c8_1, c9_0, c9_1, c10_0, c10_1, c11_0, c11_1;
        if (load) {
            c0_0 = FloatVector.fromArray(S256, c, co + 0 * ldc + 0);
            c0_1 = FloatVector.fromArray(S256, c, co + 0 * ldc + 8);
            c1_0 = FloatVector.fromArray(S256, c, co + 1 * ldc + 0);
            c1_1 = FloatVector.fromArray(S256, c, co + 1 * ldc + 8);
            c2_0 = FloatVector.fromArray(S256, c, co + 2 * ldc + 0);
            c2_1 = FloatVector.fromArray(S256, c, co + 2 * ldc + 8);
            c3_0 = FloatVector.fromArray(S256, c, co + 3 * ldc + 0);
            c3_1 = FloatVector.fromArray(S256, c, co + 3 * ldc + 8);
            c4_0 = FloatVector.fromArray(S256, c, co + 4 * ldc + 0);
            c4_1 = FloatVector.fromArray(S256, c, co + 4 * ldc + 8);
            c5_0 = FloatVector.fromArray(S256, c, co + 5 * ldc + 0);
            c5_1 = FloatVector.fromArray(S256, c, co + 5 * ldc + 8);
            c6_0 = FloatVector.fromArray(S256, c, co + 6 * ldc + 0);
            c6_1 = FloatVector.fromArray(S256, c, co + 6 * ldc + 8);
            c7_0 = FloatVector.fromArray(S256, c, co + 7 * ldc + 0);
            c7_1 = FloatVector.fromArray(S256, c, co + 7 * ldc + 8);
            c8_0 = FloatVector.fromArray(S256, c, co + 8 * ldc + 0);
            c8_1 = FloatVector.fromArray(S256, c, co + 8 * ldc + 8);
            c9_0 = FloatVector.fromArray(S256, c, co + 9 * ldc + 0);
            c9_1 = FloatVector.fromArray(S256, c, co + 9 * ldc + 8);
            c10_0 = FloatVector.fromArray(S256, c, co + 10 * ldc + 0);
            c10_1 = FloatVector.fromArray(S256, c, co + 10 * ldc + 8);
            c11_0 = FloatVector.fromArray(S256, c, co + 11 * ldc + 0);
            c11_1 = FloatVector.fromArray(S256, c, co + 11 * ldc + 8);
        } else {
            FloatVector z = FloatVector.zero(S256);
            c0_0 = z; c0_1 = z; c1_0 = z; c1_1 = z; c2_0 = z; c2_1 = z; c3_0 = z; c3_1 = z; c4_0 = z; c4_1 = z; c5_0 = z; c5_1 = z; c6_0 = z; c6_1 = z; c7_0 = z; c7_1 = z; c8_0 = z; c8_1 = z; c9_0 = z; c9_1 = z; c10_0 = z; c10_1 = z; c11_0 = z; c11_1 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 12, bi = bo + p * 16;
            FloatVector b0 = FloatVector.fromArray(S256, bp, bi + 0);
            FloatVector b1 = FloatVector.fromArray(S256, bp, bi + 8);
            FloatVector a0 = FloatVector.broadcast(S256, ap[ai + 0]);
            c0_0 = b0.fma(a0, c0_0); c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(S256, ap[ai + 1]);
            c1_0 = b0.fma(a1, c1_0); c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S256, ap[ai + 2]);
            c2_0 = b0.fma(a2, c2_0); c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(S256, ap[ai + 3]);
            c3_0 = b0.fma(a3, c3_0); c3_1 = b1.fma(a3, c3_1);
            FloatVector a4 = FloatVector.broadcast(S256, ap[ai + 4]);
            c4_0 = b0.fma(a4, c4_0); c4_1 = b1.fma(a4, c4_1);
            FloatVector a5 = FloatVector.broadcast(S256, ap[ai + 5]);
            c5_0 = b0.fma(a5, c5_0); c5_1 = b1.fma(a5, c5_1);
            FloatVector a6 = FloatVector.broadcast(S256, ap[ai + 6]);
            c6_0 = b0.fma(a6, c6_0); c6_1 = b1.fma(a6, c6_1);
            FloatVector a7 = FloatVector.broadcast(S256, ap[ai + 7]);
            c7_0 = b0.fma(a7, c7_0); c7_1 = b1.fma(a7, c7_1);
            FloatVector a8 = FloatVector.broadcast(S256, ap[ai + 8]);
            c8_0 = b0.fma(a8, c8_0); c8_1 = b1.fma(a8, c8_1);
            FloatVector a9 = FloatVector.broadcast(S256, ap[ai + 9]);
            c9_0 = b0.fma(a9, c9_0); c9_1 = b1.fma(a9, c9_1);
            FloatVector a10 = FloatVector.broadcast(S256, ap[ai + 10]);
            c10_0 = b0.fma(a10, c10_0); c10_1 = b1.fma(a10, c10_1);
            FloatVector a11 = FloatVector.broadcast(S256, ap[ai + 11]);
            c11_0 = b0.fma(a11, c11_0); c11_1 = b1.fma(a11, c11_1);
        }
        c0_0.intoArray(c, co + 0 * ldc + 0);
        c0_1.intoArray(c, co + 0 * ldc + 8);
        c1_0.intoArray(c, co + 1 * ldc + 0);
        c1_1.intoArray(c, co + 1 * ldc + 8);
        c2_0.intoArray(c, co + 2 * ldc + 0);
        c2_1.intoArray(c, co + 2 * ldc + 8);
        c3_0.intoArray(c, co + 3 * ldc + 0);
        c3_1.intoArray(c, co + 3 * ldc + 8);
        c4_0.intoArray(c, co + 4 * ldc + 0);
        c4_1.intoArray(c, co + 4 * ldc + 8);
        c5_0.intoArray(c, co + 5 * ldc + 0);
        c5_1.intoArray(c, co + 5 * ldc + 8);
        c6_0.intoArray(c, co + 6 * ldc + 0);
        c6_1.intoArray(c, co + 6 * ldc + 8);
        c7_0.intoArray(c, co + 7 * ldc + 0);
        c7_1.intoArray(c, co + 7 * ldc + 8);
        c8_0.intoArray(c, co + 8 * ldc + 0);
        c8_1.intoArray(c, co + 8 * ldc + 8);
        c9_0.intoArray(c, co + 9 * ldc + 0);
        c9_1.intoArray(c, co + 9 * ldc + 8);
        c10_0.intoArray(c, co + 10 * ldc + 0);
        c10_1.intoArray(c, co + 10 * ldc + 8);
        c11_0.intoArray(c, co + 11 * ldc + 0);
        c11_1.intoArray(c, co + 11 * ldc + 8);
    }

    /** 8×24 micro-kernel, 3 × 256-bit vectors per row, 24 accumulators. */
    static void k8x24_256(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c0_0, c0_1, c0_2, c1_0, c1_1, c1_2, c2_0, c2_1, c2_2, c3_0, c3_1, c3_2, c4_0, c4_1, c4_2, c5_0, c5_1, c5_2, c6_0, c6_1, c6_2, c7_0, c7_1, c7_2;
        if (load) {
            c0_0 = FloatVector.fromArray(S256, c, co + 0 * ldc + 0);
            c0_1 = FloatVector.fromArray(S256, c, co + 0 * ldc + 8);
            c0_2 = FloatVector.fromArray(S256, c, co + 0 * ldc + 16);
            c1_0 = FloatVector.fromArray(S256, c, co + 1 * ldc + 0);
            c1_1 = FloatVector.fromArray(S256, c, co + 1 * ldc + 8);
            c1_2 = FloatVector.fromArray(S256, c, co + 1 * ldc + 16);
            c2_0 = FloatVector.fromArray(S256, c, co + 2 * ldc + 0);
            c2_1 = FloatVector.fromArray(S256, c, co + 2 * ldc + 8);
            c2_2 = FloatVector.fromArray(S256, c, co + 2 * ldc + 16);
            c3_0 = FloatVector.fromArray(S256, c, co + 3 * ldc + 0);
            c3_1 = FloatVector.fromArray(S256, c, co + 3 * ldc + 8);
            c3_2 = FloatVector.fromArray(S256, c, co + 3 * ldc + 16);
            c4_0 = FloatVector.fromArray(S256, c, co + 4 * ldc + 0);
            c4_1 = FloatVector.fromArray(S256, c, co + 4 * ldc + 8);
            c4_2 = FloatVector.fromArray(S256, c, co + 4 * ldc + 16);
            c5_0 = FloatVector.fromArray(S256, c, co + 5 * ldc + 0);
            c5_1 = FloatVector.fromArray(S256, c, co + 5 * ldc + 8);
            c5_2 = FloatVector.fromArray(S256, c, co + 5 * ldc + 16);
            c6_0 = FloatVector.fromArray(S256, c, co + 6 * ldc + 0);
            c6_1 = FloatVector.fromArray(S256, c, co + 6 * ldc + 8);
            c6_2 = FloatVector.fromArray(S256, c, co + 6 * ldc + 16);
            c7_0 = FloatVector.fromArray(S256, c, co + 7 * ldc + 0);
            c7_1 = FloatVector.fromArray(S256, c, co + 7 * ldc + 8);
            c7_2 = FloatVector.fromArray(S256, c, co + 7 * ldc + 16);
        } else {
            FloatVector z = FloatVector.zero(S256);
            c0_0 = z; c0_1 = z; c0_2 = z; c1_0 = z; c1_1 = z; c1_2 = z; c2_0 = z; c2_1 = z; c2_2 = z; c3_0 = z; c3_1 = z; c3_2 = z; c4_0 = z; c4_1 = z; c4_2 = z; c5_0 = z; c5_1 = z; c5_2 = z; c6_0 = z; c6_1 = z; c6_2 = z; c7_0 = z; c7_1 = z; c7_2 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 8, bi = bo + p * 24;
            FloatVector b0 = FloatVector.fromArray(S256, bp, bi + 0);
            FloatVector b1 = FloatVector.fromArray(S256, bp, bi + 8);
            FloatVector b2 = FloatVector.fromArray(S256, bp, bi + 16);
            FloatVector a0 = FloatVector.broadcast(S256, ap[ai + 0]);
            c0_0 = b0.fma(a0, c0_0); c0_1 = b1.fma(a0, c0_1); c0_2 = b2.fma(a0, c0_2);
            FloatVector a1 = FloatVector.broadcast(S256, ap[ai + 1]);
            c1_0 = b0.fma(a1, c1_0); c1_1 = b1.fma(a1, c1_1); c1_2 = b2.fma(a1, c1_2);
            FloatVector a2 = FloatVector.broadcast(S256, ap[ai + 2]);
            c2_0 = b0.fma(a2, c2_0); c2_1 = b1.fma(a2, c2_1); c2_2 = b2.fma(a2, c2_2);
            FloatVector a3 = FloatVector.broadcast(S256, ap[ai + 3]);
            c3_0 = b0.fma(a3, c3_0); c3_1 = b1.fma(a3, c3_1); c3_2 = b2.fma(a3, c3_2);
            FloatVector a4 = FloatVector.broadcast(S256, ap[ai + 4]);
            c4_0 = b0.fma(a4, c4_0); c4_1 = b1.fma(a4, c4_1); c4_2 = b2.fma(a4, c4_2);
            FloatVector a5 = FloatVector.broadcast(S256, ap[ai + 5]);
            c5_0 = b0.fma(a5, c5_0); c5_1 = b1.fma(a5, c5_1); c5_2 = b2.fma(a5, c5_2);
            FloatVector a6 = FloatVector.broadcast(S256, ap[ai + 6]);
            c6_0 = b0.fma(a6, c6_0); c6_1 = b1.fma(a6, c6_1); c6_2 = b2.fma(a6, c6_2);
            FloatVector a7 = FloatVector.broadcast(S256, ap[ai + 7]);
            c7_0 = b0.fma(a7, c7_0); c7_1 = b1.fma(a7, c7_1); c7_2 = b2.fma(a7, c7_2);
        }
        c0_0.intoArray(c, co + 0 * ldc + 0);
        c0_1.intoArray(c, co + 0 * ldc + 8);
        c0_2.intoArray(c, co + 0 * ldc + 16);
        c1_0.intoArray(c, co + 1 * ldc + 0);
        c1_1.intoArray(c, co + 1 * ldc + 8);
        c1_2.intoArray(c, co + 1 * ldc + 16);
        c2_0.intoArray(c, co + 2 * ldc + 0);
        c2_1.intoArray(c, co + 2 * ldc + 8);
        c2_2.intoArray(c, co + 2 * ldc + 16);
        c3_0.intoArray(c, co + 3 * ldc + 0);
        c3_1.intoArray(c, co + 3 * ldc + 8);
        c3_2.intoArray(c, co + 3 * ldc + 16);
        c4_0.intoArray(c, co + 4 * ldc + 0);
        c4_1.intoArray(c, co + 4 * ldc + 8);
        c4_2.intoArray(c, co + 4 * ldc + 16);
        c5_0.intoArray(c, co + 5 * ldc + 0);
        c5_1.intoArray(c, co + 5 * ldc + 8);
        c5_2.intoArray(c, co + 5 * ldc + 16);
        c6_0.intoArray(c, co + 6 * ldc + 0);
        c6_1.intoArray(c, co + 6 * ldc + 8);
        c6_2.intoArray(c, co + 6 * ldc + 16);
        c7_0.intoArray(c, co + 7 * ldc + 0);
        c7_1.intoArray(c, co + 7 * ldc + 8);
        c7_2.intoArray(c, co + 7 * ldc + 16);
    }

    /** 4×64 micro-kernel, 4 × 512-bit vectors per row, 16 accumulators. */
    static void k4x64_512(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c0_0, c0_1, c0_2, c0_3, c1_0, c1_1, c1_2, c1_3, c2_0, c2_1, c2_2, c2_3, c3_0, c3_1, c3_2, c3_3;
        if (load) {
            c0_0 = FloatVector.fromArray(S512, c, co + 0 * ldc + 0);
            c0_1 = FloatVector.fromArray(S512, c, co + 0 * ldc + 16);
            c0_2 = FloatVector.fromArray(S512, c, co + 0 * ldc + 32);
            c0_3 = FloatVector.fromArray(S512, c, co + 0 * ldc + 48);
            c1_0 = FloatVector.fromArray(S512, c, co + 1 * ldc + 0);
            c1_1 = FloatVector.fromArray(S512, c, co + 1 * ldc + 16);
            c1_2 = FloatVector.fromArray(S512, c, co + 1 * ldc + 32);
            c1_3 = FloatVector.fromArray(S512, c, co + 1 * ldc + 48);
            c2_0 = FloatVector.fromArray(S512, c, co + 2 * ldc + 0);
            c2_1 = FloatVector.fromArray(S512, c, co + 2 * ldc + 16);
            c2_2 = FloatVector.fromArray(S512, c, co + 2 * ldc + 32);
            c2_3 = FloatVector.fromArray(S512, c, co + 2 * ldc + 48);
            c3_0 = FloatVector.fromArray(S512, c, co + 3 * ldc + 0);
            c3_1 = FloatVector.fromArray(S512, c, co + 3 * ldc + 16);
            c3_2 = FloatVector.fromArray(S512, c, co + 3 * ldc + 32);
            c3_3 = FloatVector.fromArray(S512, c, co + 3 * ldc + 48);
        } else {
            FloatVector z = FloatVector.zero(S512);
            c0_0 = z; c0_1 = z; c0_2 = z; c0_3 = z; c1_0 = z; c1_1 = z; c1_2 = z; c1_3 = z; c2_0 = z; c2_1 = z; c2_2 = z; c2_3 = z; c3_0 = z; c3_1 = z; c3_2 = z; c3_3 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 4, bi = bo + p * 64;
            FloatVector b0 = FloatVector.fromArray(S512, bp, bi + 0);
            FloatVector b1 = FloatVector.fromArray(S512, bp, bi + 16);
            FloatVector b2 = FloatVector.fromArray(S512, bp, bi + 32);
            FloatVector b3 = FloatVector.fromArray(S512, bp, bi + 48);
            FloatVector a0 = FloatVector.broadcast(S512, ap[ai + 0]);
            c0_0 = b0.fma(a0, c0_0); c0_1 = b1.fma(a0, c0_1); c0_2 = b2.fma(a0, c0_2); c0_3 = b3.fma(a0, c0_3);
            FloatVector a1 = FloatVector.broadcast(S512, ap[ai + 1]);
            c1_0 = b0.fma(a1, c1_0); c1_1 = b1.fma(a1, c1_1); c1_2 = b2.fma(a1, c1_2); c1_3 = b3.fma(a1, c1_3);
            FloatVector a2 = FloatVector.broadcast(S512, ap[ai + 2]);
            c2_0 = b0.fma(a2, c2_0); c2_1 = b1.fma(a2, c2_1); c2_2 = b2.fma(a2, c2_2); c2_3 = b3.fma(a2, c2_3);
            FloatVector a3 = FloatVector.broadcast(S512, ap[ai + 3]);
            c3_0 = b0.fma(a3, c3_0); c3_1 = b1.fma(a3, c3_1); c3_2 = b2.fma(a3, c3_2); c3_3 = b3.fma(a3, c3_3);
        }
        c0_0.intoArray(c, co + 0 * ldc + 0);
        c0_1.intoArray(c, co + 0 * ldc + 16);
        c0_2.intoArray(c, co + 0 * ldc + 32);
        c0_3.intoArray(c, co + 0 * ldc + 48);
        c1_0.intoArray(c, co + 1 * ldc + 0);
        c1_1.intoArray(c, co + 1 * ldc + 16);
        c1_2.intoArray(c, co + 1 * ldc + 32);
        c1_3.intoArray(c, co + 1 * ldc + 48);
        c2_0.intoArray(c, co + 2 * ldc + 0);
        c2_1.intoArray(c, co + 2 * ldc + 16);
        c2_2.intoArray(c, co + 2 * ldc + 32);
        c2_3.intoArray(c, co + 2 * ldc + 48);
        c3_0.intoArray(c, co + 3 * ldc + 0);
        c3_1.intoArray(c, co + 3 * ldc + 16);
        c3_2.intoArray(c, co + 3 * ldc + 32);
        c3_3.intoArray(c, co + 3 * ldc + 48);
    }

    /** 16×16 micro-kernel, 1 × 512-bit vectors per row, 16 accumulators. */
    static void k16x16_512(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c0_0, c1_0, c2_0, c3_0, c4_0, c5_0, c6_0, c7_0, c8_0, c9_0, c10_0, c11_0, c12_0, c13_0, c14_0, c15_0;
        if (load) {
            c0_0 = FloatVector.fromArray(S512, c, co + 0 * ldc + 0);
            c1_0 = FloatVector.fromArray(S512, c, co + 1 * ldc + 0);
            c2_0 = FloatVector.fromArray(S512, c, co + 2 * ldc + 0);
            c3_0 = FloatVector.fromArray(S512, c, co + 3 * ldc + 0);
            c4_0 = FloatVector.fromArray(S512, c, co + 4 * ldc + 0);
            c5_0 = FloatVector.fromArray(S512, c, co + 5 * ldc + 0);
            c6_0 = FloatVector.fromArray(S512, c, co + 6 * ldc + 0);
            c7_0 = FloatVector.fromArray(S512, c, co + 7 * ldc + 0);
            c8_0 = FloatVector.fromArray(S512, c, co + 8 * ldc + 0);
            c9_0 = FloatVector.fromArray(S512, c, co + 9 * ldc + 0);
            c10_0 = FloatVector.fromArray(S512, c, co + 10 * ldc + 0);
            c11_0 = FloatVector.fromArray(S512, c, co + 11 * ldc + 0);
            c12_0 = FloatVector.fromArray(S512, c, co + 12 * ldc + 0);
            c13_0 = FloatVector.fromArray(S512, c, co + 13 * ldc + 0);
            c14_0 = FloatVector.fromArray(S512, c, co + 14 * ldc + 0);
            c15_0 = FloatVector.fromArray(S512, c, co + 15 * ldc + 0);
        } else {
            FloatVector z = FloatVector.zero(S512);
            c0_0 = z; c1_0 = z; c2_0 = z; c3_0 = z; c4_0 = z; c5_0 = z; c6_0 = z; c7_0 = z; c8_0 = z; c9_0 = z; c10_0 = z; c11_0 = z; c12_0 = z; c13_0 = z; c14_0 = z; c15_0 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 16, bi = bo + p * 16;
            FloatVector b0 = FloatVector.fromArray(S512, bp, bi + 0);
            FloatVector a0 = FloatVector.broadcast(S512, ap[ai + 0]);
            c0_0 = b0.fma(a0, c0_0);
            FloatVector a1 = FloatVector.broadcast(S512, ap[ai + 1]);
            c1_0 = b0.fma(a1, c1_0);
            FloatVector a2 = FloatVector.broadcast(S512, ap[ai + 2]);
            c2_0 = b0.fma(a2, c2_0);
            FloatVector a3 = FloatVector.broadcast(S512, ap[ai + 3]);
            c3_0 = b0.fma(a3, c3_0);
            FloatVector a4 = FloatVector.broadcast(S512, ap[ai + 4]);
            c4_0 = b0.fma(a4, c4_0);
            FloatVector a5 = FloatVector.broadcast(S512, ap[ai + 5]);
            c5_0 = b0.fma(a5, c5_0);
            FloatVector a6 = FloatVector.broadcast(S512, ap[ai + 6]);
            c6_0 = b0.fma(a6, c6_0);
            FloatVector a7 = FloatVector.broadcast(S512, ap[ai + 7]);
            c7_0 = b0.fma(a7, c7_0);
            FloatVector a8 = FloatVector.broadcast(S512, ap[ai + 8]);
            c8_0 = b0.fma(a8, c8_0);
            FloatVector a9 = FloatVector.broadcast(S512, ap[ai + 9]);
            c9_0 = b0.fma(a9, c9_0);
            FloatVector a10 = FloatVector.broadcast(S512, ap[ai + 10]);
            c10_0 = b0.fma(a10, c10_0);
            FloatVector a11 = FloatVector.broadcast(S512, ap[ai + 11]);
            c11_0 = b0.fma(a11, c11_0);
            FloatVector a12 = FloatVector.broadcast(S512, ap[ai + 12]);
            c12_0 = b0.fma(a12, c12_0);
            FloatVector a13 = FloatVector.broadcast(S512, ap[ai + 13]);
            c13_0 = b0.fma(a13, c13_0);
            FloatVector a14 = FloatVector.broadcast(S512, ap[ai + 14]);
            c14_0 = b0.fma(a14, c14_0);
            FloatVector a15 = FloatVector.broadcast(S512, ap[ai + 15]);
            c15_0 = b0.fma(a15, c15_0);
        }
        c0_0.intoArray(c, co + 0 * ldc + 0);
        c1_0.intoArray(c, co + 1 * ldc + 0);
        c2_0.intoArray(c, co + 2 * ldc + 0);
        c3_0.intoArray(c, co + 3 * ldc + 0);
        c4_0.intoArray(c, co + 4 * ldc + 0);
        c5_0.intoArray(c, co + 5 * ldc + 0);
        c6_0.intoArray(c, co + 6 * ldc + 0);
        c7_0.intoArray(c, co + 7 * ldc + 0);
        c8_0.intoArray(c, co + 8 * ldc + 0);
        c9_0.intoArray(c, co + 9 * ldc + 0);
        c10_0.intoArray(c, co + 10 * ldc + 0);
        c11_0.intoArray(c, co + 11 * ldc + 0);
        c12_0.intoArray(c, co + 12 * ldc + 0);
        c13_0.intoArray(c, co + 13 * ldc + 0);
        c14_0.intoArray(c, co + 14 * ldc + 0);
        c15_0.intoArray(c, co + 15 * ldc + 0);
    }
}
