package dev.kiln.codegen.jvm;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The constants generated vector code reads ({@link VectorCode} emits the operations), and the checks of whether this
 * hardware runs them natively. Static final, so the JIT folds them and the Vector API's intrinsics see a known species.
 * Only loaded when jdk.incubator.vector is present.
 */
final class VectorOps {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    static final FloatVector ZERO = FloatVector.zero(S), ONE = FloatVector.broadcast(S, 1f);

    /** 8 float64 lanes, for sums that accumulate float32 values in float64 as the scalar code does. */
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_512;

    /** Lanes of the bit masks a row load ANDs in ({@code loadLanes}). */
    static final VectorSpecies<Integer> INTS = IntVector.SPECIES_256;

    /** 0, 0, 1, 1, 2, 2, 3, 3: a 4-lane load spread over 8 lanes ({@code loadRepeated2}). */
    static final VectorShuffle<Float> TWICE = VectorShuffle.fromValues(S, 0, 0, 1, 1, 2, 2, 3, 3);

    /** 0, 0, 0, 0, 1, 1, 1, 1 ({@code loadRepeated4}). */
    static final VectorShuffle<Float> FOUR_TIMES = VectorShuffle.fromValues(S, 0, 0, 0, 0, 1, 1, 1, 1);

    /** Every second lane of a[i..i+7] and a[i+7..i+14] (the second vector's lanes are 8–15): a[i], a[i+2], …, a[i+14]. */
    static final VectorShuffle<Float> EVENS = VectorShuffle.fromValues(S, 0, 2, 4, 6, 9, 11, 13, 15);

    private VectorOps() {}

    /** Whether this hardware has 8-lane float vectors (else the Vector API would emulate them slowly). */
    static boolean usable() { return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= S.vectorBitSize(); }

    /** Whether 8 float64 lanes are native. */
    static boolean wide() { return DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= D.vectorBitSize(); }
}
