package dev.kiln.examples.bench;

import java.util.Arrays;

/**
 * Times a workload the way {@code torch_ref.py}'s {@code measure()} does: warm-up, then repetitions until both a
 * minimum time and a minimum count are reached; reports the median, p10 and p90 of the per-iteration times.
 * The warm-up also lasts a minimum time (default {@link #DEFAULT_WARMUP_SECONDS}): Kiln's eager path (graph building,
 * autodiff, scheduling, the generated kernels) takes the JIT a few seconds to settle, far longer than ten iterations.
 */
public final class Measure {
    /** Warm-up iterations at least (as in the reference). */
    public static final int WARMUP_ITERATIONS = 10;
    /** Default minimum warm-up time, so C2 has compiled the generated kernels and the runtime's own code. */
    public static final double DEFAULT_WARMUP_SECONDS = 2.0;
    /** Timed repetitions at least (as in the reference). */
    public static final int MIN_REPS = 10;

    private Measure() {}

    /** Per-iteration times in microseconds, sorted, and the statistics the reference reports. */
    public record Result(double[] sortedUs, double medianUs, double p10Us, double p90Us) {
        public int reps() { return sortedUs.length; }
    }

    /** Warm-up for at least {@code warmupSeconds} and 10 iterations, then time ≥ 10 iterations over ≥ {@code minTimeSeconds}. */
    public static Result measure(Runnable fn, double minTimeSeconds, double warmupSeconds) {
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < WARMUP_ITERATIONS || System.nanoTime() < warmEnd; i++) fn.run();
        double[] ts = new double[64];
        int n = 0;
        long minNanos = (long) (minTimeSeconds * 1e9);
        long start = System.nanoTime();
        while (System.nanoTime() - start < minNanos || n < MIN_REPS) {
            long t = System.nanoTime();
            fn.run();
            long dt = System.nanoTime() - t;
            if (n == ts.length) ts = Arrays.copyOf(ts, n * 2);
            ts[n++] = dt / 1e3;
        }
        return summarize(Arrays.copyOf(ts, n));
    }

    /** Median (mean of the middle two for an even count, as Python's statistics.median), ts[n/10], ts[9n/10]. */
    static Result summarize(double[] times) {
        double[] ts = times.clone();
        Arrays.sort(ts);
        int n = ts.length;
        double median = n % 2 == 1 ? ts[n / 2] : (ts[n / 2 - 1] + ts[n / 2]) / 2;
        return new Result(ts, median, ts[n / 10], ts[(n * 9) / 10]);
    }
}
