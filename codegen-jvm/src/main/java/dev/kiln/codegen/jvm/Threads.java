package dev.kiln.codegen.jvm;

import dev.kiln.codegen.jvm.gemm.Parallelism;

import java.util.concurrent.CompletableFuture;

/**
 * How many threads kernels use ({@code -Dkiln.threads=N}, default: all cores), and splitting an index range
 * across them. Each index is computed the same way whichever thread runs it, so results never depend on the
 * thread count.
 */
final class Threads {
    /** Below this many elements of work a kernel runs on the calling thread: handing off costs more. */
    private static final long PARALLEL_THRESHOLD = 1 << 15;

    private static volatile Parallelism parallelism = Parallelism.shared(configured());

    private Threads() {}

    private static int configured() {
        String p = System.getProperty("kiln.threads");
        return p == null ? Runtime.getRuntime().availableProcessors() : Math.max(1, Integer.parseInt(p));
    }

    static Parallelism parallelism() { return parallelism; }

    static void setThreads(int threads) { parallelism = Parallelism.shared(Math.max(1, threads)); }

    interface RangeBody {
        void run(int lo, int hi);
    }

    /** Whether a range of this size and work runs on the calling thread alone. */
    static boolean serial(int extent, long work) { return parallelism.threads() <= 1 || extent <= 1 || work < PARALLEL_THRESHOLD; }

    /** Runs {@code body} over {@code [0, extent)}, in contiguous chunks on up to the configured threads. */
    static void forRange(int extent, long work, RangeBody body) {
        Parallelism par = parallelism;
        int chunks = (int) Math.min(par.threads(), extent);
        if (chunks <= 1 || work < PARALLEL_THRESHOLD) {
            body.run(0, extent);
            return;
        }
        CompletableFuture<?>[] helpers = new CompletableFuture<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int lo = (int) ((long) extent * c / chunks), hi = (int) ((long) extent * (c + 1) / chunks);
            helpers[c - 1] = CompletableFuture.runAsync(() -> body.run(lo, hi), par.executor());
        }
        body.run(0, (int) ((long) extent / chunks));
        CompletableFuture.allOf(helpers).join();
    }
}
