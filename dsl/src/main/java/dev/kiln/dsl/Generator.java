package dev.kiln.dsl;

import java.util.SplittableRandom;

/**
 * A seeded source of random numbers for tensor creation and initialisation ({@code torch.Generator}). The same
 * seed gives the same tensors; the streams differ from PyTorch's Mersenne Twister.
 */
public final class Generator {
    private SplittableRandom random;
    private long seed;

    public Generator(long seed) { manualSeed(seed); }

    public Generator manualSeed(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
        return this;
    }

    public long initialSeed() { return seed; }

    /** Uniform in [0, 1). */
    public double nextUniform() { return random.nextDouble(); }

    /** Standard normal (Box–Muller, one value per call). */
    public double nextNormal() {
        double u1 = 1 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    public long nextLong() { return random.nextLong(); }

    /** Runs {@code body} with a throwaway stream, leaving this generator's own stream exactly where it was. */
    <T> T withoutAdvancing(java.util.function.Supplier<T> body) {
        SplittableRandom saved = random;
        random = new SplittableRandom(seed);
        try {
            return body.get();
        } finally {
            random = saved;
        }
    }

    /** A uniform integer in [low, high). */
    public long nextLong(long low, long high) { return random.nextLong(low, high); }
}
