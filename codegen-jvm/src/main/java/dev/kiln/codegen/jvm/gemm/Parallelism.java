package dev.kiln.codegen.jvm.gemm;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * How many threads a kernel may use, and where the helper threads come from.
 *
 * <p>The calling thread always takes part: with {@code threads == t} a kernel submits at most
 * {@code t - 1} helper tasks to {@code executor} and works itself. With {@code threads == 1} it runs
 * entirely on the calling thread, without touching the executor (which may then be null). Work is
 * claimed by whichever thread is free, so a busy or saturated executor only costs speed, never
 * correctness or liveness; results do not depend on the thread count.
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

    /** {@code threads} threads, helpers from the shared daemon pool ({@link #sharedPool()}). */
    public static Parallelism shared(int threads) {
        return threads <= 1 ? SINGLE : new Parallelism(threads, sharedPool());
    }

    /** One thread per available processor, helpers from the shared daemon pool. */
    public static Parallelism allCores() {
        return shared(Runtime.getRuntime().availableProcessors());
    }

    /**
     * The shared helper pool: a {@link ForkJoinPool} of daemon threads named {@code kiln-gemm-N},
     * parallelism = available processors, created on first use and never shut down (idle workers
     * retire on their own; daemon threads do not keep the JVM alive).
     */
    public static ForkJoinPool sharedPool() {
        return SharedPool.POOL;
    }

    private static final class SharedPool {
        static final ForkJoinPool POOL = new ForkJoinPool(
                Math.max(1, Runtime.getRuntime().availableProcessors()),
                pool -> {
                    ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                    t.setDaemon(true);
                    t.setName("kiln-gemm-" + t.getPoolIndex());
                    return t;
                },
                null, false);
    }
}
