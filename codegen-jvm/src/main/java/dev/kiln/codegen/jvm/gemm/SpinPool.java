package dev.kiln.codegen.jvm.gemm;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A small executor for compute kernels: daemon worker threads that, after running a task, keep
 * polling for the next one for a short while ({@code spinNanos}) before parking, so back-to-back
 * kernel calls do not pay a thread wake-up (tens to hundreds of microseconds on a VM) each time.
 * Workers are started lazily, on the first task; idle ones park and cost nothing.
 */
final class SpinPool implements Executor {

    private static final int RUNNING = 0, PARKED = 1;

    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final Worker[] workers;
    private final long spinNanos;
    private final String name;
    private final AtomicInteger started = new AtomicInteger();

    SpinPool(String name, int threads, long spinNanos) {
        if (threads < 1) throw new IllegalArgumentException("threads < 1");
        this.name = name;
        this.workers = new Worker[threads];
        this.spinNanos = spinNanos;
        for (int i = 0; i < threads; i++) workers[i] = new Worker(i);
    }

    int threads() {
        return workers.length;
    }

    @Override
    public void execute(Runnable task) {
        if (task == null) throw new NullPointerException();
        queue.offer(task);
        if (started.get() < workers.length) startAll();
        for (Worker w : workers) {
            if (w.state.get() == PARKED && w.state.compareAndSet(PARKED, RUNNING)) {
                LockSupport.unpark(w.thread);
                return;
            }
        }
        // every worker is running or spinning: one of them will poll the task
    }

    private synchronized void startAll() {
        for (Worker w : workers) {
            if (w.thread == null) {
                Thread t = new Thread(w, name + "-" + w.index);
                t.setDaemon(true);
                w.thread = t;
                t.start();
                started.incrementAndGet();
            }
        }
    }

    private final class Worker implements Runnable {
        final int index;
        final AtomicInteger state = new AtomicInteger(RUNNING);
        volatile Thread thread;

        Worker(int index) {
            this.index = index;
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            while (true) {
                Runnable task = queue.poll();
                if (task != null) {
                    try {
                        task.run();
                    } catch (Throwable e) {
                        Thread t = Thread.currentThread();
                        t.getUncaughtExceptionHandler().uncaughtException(t, e);
                    }
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < spinNanos) {
                    Thread.onSpinWait();
                } else {
                    state.set(PARKED);
                    if (queue.isEmpty()) {
                        while (state.get() == PARKED) LockSupport.park(this);
                    } else {
                        state.set(RUNNING);
                    }
                    idleSince = System.nanoTime();
                }
            }
        }
    }
}
