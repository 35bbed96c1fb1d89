package dev.kiln.codegen.jvm;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float vector operations generated pointwise loops call (see {@link VectorLoop}); each is small enough for the
 * JIT to inline, after which the Vector API's intrinsics apply. Every operation rounds as its scalar counterpart in
 * {@link KernelEmitter} does, lane by lane. Only loaded when jdk.incubator.vector is present.
 */
public final class VectorOps {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final FloatVector ZERO = FloatVector.zero(S), ONE = FloatVector.broadcast(S, 1f);

    private VectorOps() {}

    /** Whether this hardware has 8-lane float vectors (else the Vector API would emulate them slowly). */
    static boolean usable() { return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= S.vectorBitSize(); }

    /** 8 float64 lanes, for sums that accumulate float32 values in float64 as the scalar code does. */
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_512;

    static boolean wide() { return DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= D.vectorBitSize(); }

    public static DoubleVector zeroDoubles() { return DoubleVector.zero(D); }

    /** {@code sum + (double) x}, lane by lane. */
    public static DoubleVector addDoubles(DoubleVector sum, FloatVector x) {
        return sum.add((DoubleVector) x.convertShape(VectorOperators.F2D, D, 0));
    }

    public static DoubleVector sumDoubles(DoubleVector a, DoubleVector b) { return a.add(b); }

    /** {@code x} added to lane 0 ({@code +0.0} to the others, which changes no lane: a sum from {@code +0.0} is never −0). */
    public static DoubleVector addToFirstLane(DoubleVector v, double x) { return v.add(DoubleVector.zero(D).withLane(0, x)); }

    public static double lane(DoubleVector v, int i) { return v.lane(i); }

    /** {@code (float) x}, lane by lane (round to nearest, as the scalar d2f). */
    public static FloatVector toFloats(DoubleVector x) { return (FloatVector) x.convertShape(VectorOperators.D2F, S, 0); }

    public static FloatVector load(float[] a, int i) { return FloatVector.fromArray(S, a, i); }

    private static final VectorShuffle<Float> TWICE = VectorShuffle.fromValues(S, 0, 0, 1, 1, 2, 2, 3, 3);
    private static final VectorShuffle<Float> FOUR_TIMES = VectorShuffle.fromValues(S, 0, 0, 0, 0, 1, 1, 1, 1);

    /** a[i], a[i], a[i+1], a[i+1], …, a[i+3], a[i+3]: a 4-lane load spread over 8 lanes (a permute, not a gather). */
    public static FloatVector loadRepeated2(float[] a, int i) {
        return FloatVector.fromArray(FloatVector.SPECIES_128, a, i).reinterpretShape(S, 0).reinterpretAsFloats().rearrange(TWICE);
    }

    /** a[i] in lanes 0–3, a[i+1] in lanes 4–7. */
    public static FloatVector loadRepeated4(float[] a, int i) {
        return FloatVector.fromArray(FloatVector.SPECIES_64, a, i).reinterpretShape(S, 0).reinterpretAsFloats().rearrange(FOUR_TIMES);
    }

    private static final VectorShuffle<Float> EVENS = VectorShuffle.fromValues(S, 0, 2, 4, 6, 9, 11, 13, 15);

    /** a[i], a[i+2], …, a[i+14]: two loads (a[i..i+7] and a[i+7..i+14], never past a[i+14]) and a two-vector permute. */
    public static FloatVector loadEvens(float[] a, int i) {
        return FloatVector.fromArray(S, a, i).rearrange(EVENS, FloatVector.fromArray(S, a, i + 7));
    }

    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_256;

    /** a[i .. i+7] with the lanes whose {@code bits[b + lane]} are 0 cleared to +0.0 (the others' bits are all ones). */
    public static FloatVector loadLanes(float[] a, int i, int[] bits, int b) {
        return FloatVector.fromArray(S, a, i).reinterpretAsInts().and(IntVector.fromArray(INTS, bits, b)).reinterpretAsFloats();
    }

    /** a[i] in every lane. */
    public static FloatVector loadRepeated8(float[] a, int i) { return FloatVector.broadcast(S, a[i]); }

    public static void store(FloatVector v, float[] a, int i) { v.intoArray(a, i); }

    /** Lanes 0 .. n−1 into a[i .. i+n−1] (a row shorter than a vector); the floats after them are left as they are. */
    public static void storeFirst(FloatVector v, float[] a, int i, int n) { v.intoArray(a, i, VectorMask.fromLong(S, (1L << n) - 1)); }

    public static FloatVector broadcast(float x) { return FloatVector.broadcast(S, x); }

    public static FloatVector add(FloatVector a, FloatVector b) { return a.add(b); }

    public static FloatVector sub(FloatVector a, FloatVector b) { return a.sub(b); }

    public static FloatVector mul(FloatVector a, FloatVector b) { return a.mul(b); }

    public static FloatVector div(FloatVector a, FloatVector b) { return a.div(b); }

    /** Math.max lane by lane (NaN wins, +0 above −0). */
    public static FloatVector max(FloatVector a, FloatVector b) { return a.max(b); }

    public static FloatVector min(FloatVector a, FloatVector b) { return a.min(b); }

    public static FloatVector neg(FloatVector a) { return a.neg(); }

    public static FloatVector abs(FloatVector a) { return a.abs(); }

    public static FloatVector sqrt(FloatVector a) { return a.sqrt(); }

    public static FloatVector relu(FloatVector a) { return a.max(ZERO); }

    public static FloatVector reciprocal(FloatVector a) { return ONE.div(a); }

    public static VectorMask<Float> lt(FloatVector a, FloatVector b) { return a.compare(VectorOperators.LT, b); }

    public static VectorMask<Float> eq(FloatVector a, FloatVector b) { return a.compare(VectorOperators.EQ, b); }

    /** {@code where(m, a, b)}. */
    public static FloatVector where(VectorMask<Float> m, FloatVector a, FloatVector b) { return b.blend(a, m); }

    /** A bool mask as float32 1 or 0. */
    public static FloatVector toFloat(VectorMask<Float> m) { return ZERO.blend(ONE, m); }
}
