package dev.kiln.codegen.jvm.gemm;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Runs {@code chunks} independent pieces of work on up to {@code par.threads()} threads. The calling
 * thread works too; helpers claim chunks from a shared counter, so the caller never waits for a
 * chunk nobody has started (no deadlock when the executor is saturated or is the caller's own pool).
 */
final class Parallel {
    private Parallel() {}

    private static final long AWAIT_SPIN_NANOS = 100_000;

    static void forEach(Parallelism par, int chunks, IntConsumer body) {
        int t = Math.min(par.threads(), chunks);
        if (t <= 1) {
            for (int i = 0; i < chunks; i++) body.accept(i);
            return;
        }
        Job job = new Job(chunks, body, Thread.currentThread());
        for (int i = 1; i < t; i++) {
            try {
                par.executor().execute(job);
            } catch (RejectedExecutionException e) {
                break; // fewer helpers: the caller does the rest
            }
        }
        job.run();
        job.await();
    }

    private static final class Job implements Runnable {
        private final int chunks;
        private final IntConsumer body;
        private final Thread owner;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private volatile Throwable failure;

        Job(int chunks, IntConsumer body, Thread owner) {
            this.chunks = chunks;
            this.body = body;
            this.owner = owner;
        }

        @Override
        public void run() {
            int i;
            while ((i = next.getAndIncrement()) < chunks) {
                try {
                    body.accept(i);
                } catch (Throwable e) {
                    if (failure == null) failure = e;
                } finally {
                    if (done.incrementAndGet() == chunks) LockSupport.unpark(owner);
                }
            }
        }

        void await() {
            // The caller got here with no chunk left to claim: the rest are running on helpers
            // and usually finish about now. Spin briefly (a parked thread's wake-up is slow), then park.
            long spinUntil = System.nanoTime() + AWAIT_SPIN_NANOS;
            while (done.get() < chunks) {
                if (System.nanoTime() < spinUntil) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            Throwable f = failure;
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error er) throw er;
            if (f != null) throw new RuntimeException(f);
        }
    }
}
