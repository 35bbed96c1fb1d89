package dev.kiln.codegen.jvm.gemm;

import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * How many threads a kernel may use, and where the helper threads come from.
 *
 * <p>The calling thread always takes part: with {@code threads == t} a kernel hands at most
 * {@code t - 1} helper tasks to {@code executor} and works itself. With {@code threads == 1} it runs
 * entirely on the calling thread, without touching the executor (which may then be null). Work is
 * claimed by whichever thread is free, so a busy, saturated, or even task-dropping executor only
 * costs speed, never correctness or liveness; results do not depend on the thread count.
 *
 * @param threads  maximum number of threads, ≥ 1 (calling thread included)
 * @param executor runs the helper tasks; required when {@code threads > 1}
 */
public record Parallelism(int threads, Executor executor) {

    /** Single-threaded: everything on the calling thread. */
    public static final Parallelism SINGLE = new Parallelism(1, null);

    public Parallelism {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1: " + threads);
        if (threads > 1) Objects.requireNonNull(executor, "executor (needed when threads > 1)");
    }

    public static Parallelism single() {
        return SINGLE;
    }

    /** {@code threads} threads (calling thread included), helpers from {@link #sharedPool()}. */
    public static Parallelism shared(int threads) {
        return threads <= 1 ? SINGLE : new Parallelism(threads, sharedPool());
    }

    /** One thread per available processor, helpers from {@link #sharedPool()}. */
    public static Parallelism allCores() {
        return shared(Runtime.getRuntime().availableProcessors());
    }

    /**
     * The shared helper pool: {@code availableProcessors - 1} (at least 1) daemon threads named
     * {@code kiln-gemm-N}, started on first use and never shut down (daemon threads do not keep the
     * JVM alive). After a task a worker polls for the next one for a short while before parking
     * (system property {@code kiln.gemm.spinMicros}, default 200 µs): waking a parked thread costs
     * tens to hundreds of microseconds, which would dominate small multiplies. Tasks run in
     * submission order; a task must not block waiting for another task of this pool (with one
     * worker that would never finish) — the kernels here never do: their callers claim any work
     * no helper has started.
     */
    public static Executor sharedPool() {
        return SharedPool.POOL;
    }

    private static final class SharedPool {
        static final SpinPool POOL = new SpinPool("kiln-gemm",
                Math.max(1, Runtime.getRuntime().availableProcessors() - 1),
                Math.max(0L, Long.getLong("kiln.gemm.spinMicros", 200L)) * 1000L);
    }
}
