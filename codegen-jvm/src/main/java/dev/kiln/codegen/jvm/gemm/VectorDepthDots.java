package dev.kiln.codegen.jvm.gemm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DepthDots} blocks in 8-lane vectors: 8 accumulators in registers (a probe with 12 ran 20× slower, its vectors
 * boxed), the operands loaded straight from their arrays. Same fused multiply-adds as {@link DepthDots.Scalar}.
 */
final class VectorDepthDots implements DepthDots.Impl {
    static final VectorDepthDots INSTANCE = new VectorDepthDots();

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;

    @Override public void block(float[] a, int a0, int a1, float[] b, int b0, int b1, int b2, int b3, int[] aStep, int[] bStep,
                                int[] weightAt, float[] c, int cAt, int ldc, int rows, int cols) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        for (int s = 0; s < aStep.length; s++) {
            int pa = aStep[s], pb = bStep[s];
            FloatVector w = FloatVector.fromArray(S, DepthDots.WEIGHTS, weightAt[s]);
            FloatVector x0 = FloatVector.fromArray(S, a, a0 + pa).mul(w), x1 = FloatVector.fromArray(S, a, a1 + pa).mul(w);
            FloatVector y0 = FloatVector.fromArray(S, b, b0 + pb), y1 = FloatVector.fromArray(S, b, b1 + pb);
            FloatVector y2 = FloatVector.fromArray(S, b, b2 + pb), y3 = FloatVector.fromArray(S, b, b3 + pb);
            s00 = x0.fma(y0, s00); s01 = x0.fma(y1, s01); s02 = x0.fma(y2, s02); s03 = x0.fma(y3, s03);
            s10 = x1.fma(y0, s10); s11 = x1.fma(y1, s11); s12 = x1.fma(y2, s12); s13 = x1.fma(y3, s13);
        }
        // summed and stored here, not in a helper taking the vectors (a vector passed to a method the JIT doesn't inline
        // is boxed) or through an array (allocated per block)
        if (0 < cols) {
            c[cAt + 0] = DepthDots.laneSum(s00.lane(0), s00.lane(1), s00.lane(2), s00.lane(3),
                    s00.lane(4), s00.lane(5), s00.lane(6), s00.lane(7));
        }
        if (1 < cols) {
            c[cAt + 1] = DepthDots.laneSum(s01.lane(0), s01.lane(1), s01.lane(2), s01.lane(3),
                    s01.lane(4), s01.lane(5), s01.lane(6), s01.lane(7));
        }
        if (2 < cols) {
            c[cAt + 2] = DepthDots.laneSum(s02.lane(0), s02.lane(1), s02.lane(2), s02.lane(3),
                    s02.lane(4), s02.lane(5), s02.lane(6), s02.lane(7));
        }
        if (3 < cols) {
            c[cAt + 3] = DepthDots.laneSum(s03.lane(0), s03.lane(1), s03.lane(2), s03.lane(3),
                    s03.lane(4), s03.lane(5), s03.lane(6), s03.lane(7));
        }
        if (rows > 1 && 0 < cols) {
            c[cAt + ldc + 0] = DepthDots.laneSum(s10.lane(0), s10.lane(1), s10.lane(2), s10.lane(3),
                    s10.lane(4), s10.lane(5), s10.lane(6), s10.lane(7));
        }
        if (rows > 1 && 1 < cols) {
            c[cAt + ldc + 1] = DepthDots.laneSum(s11.lane(0), s11.lane(1), s11.lane(2), s11.lane(3),
                    s11.lane(4), s11.lane(5), s11.lane(6), s11.lane(7));
        }
        if (rows > 1 && 2 < cols) {
            c[cAt + ldc + 2] = DepthDots.laneSum(s12.lane(0), s12.lane(1), s12.lane(2), s12.lane(3),
                    s12.lane(4), s12.lane(5), s12.lane(6), s12.lane(7));
        }
        if (rows > 1 && 3 < cols) {
            c[cAt + ldc + 3] = DepthDots.laneSum(s13.lane(0), s13.lane(1), s13.lane(2), s13.lane(3),
                    s13.lane(4), s13.lane(5), s13.lane(6), s13.lane(7));
        }
    }
}
