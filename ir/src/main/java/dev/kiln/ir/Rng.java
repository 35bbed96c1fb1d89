package dev.kiln.ir;

/**
 * The counter-based generator behind {@link Op.RandomUniform}: a value is a hash of (seed, salt, index), so any
 * backend, in any order and on any number of threads, draws the same numbers.
 */
public final class Rng {
    private Rng() {}

    /** A float32-exact uniform value in [0, 1) for element {@code index}. */
    public static float uniform(long seed, long salt, long index) {
        long h = mix(seed ^ mix(salt ^ mix(index)));
        return (h >>> 40) * 0x1.0p-24f;
    }

    /** SplitMix64's finaliser: a bijective mix of 64 bits. */
    public static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
