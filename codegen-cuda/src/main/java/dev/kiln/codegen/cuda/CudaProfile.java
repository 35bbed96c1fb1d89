package dev.kiln.codegen.cuda;

import dev.kiln.ir.DebugFlags;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.KernelTimes;
import jcuda.driver.CUevent;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * GPU time per kernel of one program ({@code -Dkiln.debug=profile}), printed when the JVM exits, as the JVM backend's
 * profile is. A profiled program launches kernel by kernel with a CUDA event between launches instead of replaying its
 * CUDA graph, so the times are the kernels' own; the host copies at the program's edges are timed on the host and
 * reported beside them. The first {@code -Dkiln.profile.warmup} runs (default 20) are not counted.
 */
final class CudaProfile {
    private static final int WARMUP = Integer.getInteger("kiln.profile.warmup", 20);
    private static final int TOP = Integer.getInteger("kiln.profile.top", 20);

    private final KernelGraph graph;
    private final long[] nanos;
    private long copyInNanos, copyOutNanos, runs;
    private CUevent[] events;          // one before the first launch and one after each

    private CudaProfile(KernelGraph graph) {
        this.graph = graph;
        this.nanos = new long[graph.kernels().size()];
    }

    /** A profile for the program, or null when profiling is off. */
    static CudaProfile forProgram(KernelGraph graph) {
        if (!DebugFlags.on("profile")) return null;
        CudaProfile p = new CudaProfile(graph);
        Runtime.getRuntime().addShutdownHook(new Thread(p::print));
        return p;
    }

    /** Runs {@code launch} for each of {@code launches} on {@code stream}, timing each (a kernel's time is its launches'); waits. */
    void launchTimed(CUstream stream, List<Launch> launches, IntConsumer launch) {
        int n = launches.size();
        if (events == null) {
            events = new CUevent[n + 1];
            for (int i = 0; i < events.length; i++) {
                events[i] = new CUevent();
                JCudaDriver.cuEventCreate(events[i], 0);
            }
        }
        JCudaDriver.cuEventRecord(events[0], stream);
        for (int i = 0; i < n; i++) {
            launch.accept(i);
            JCudaDriver.cuEventRecord(events[i + 1], stream);
        }
        JCudaDriver.cuEventSynchronize(events[n]);
        if (runs < WARMUP) return;
        float[] ms = new float[1];
        for (int i = 0; i < n; i++) {
            JCudaDriver.cuEventElapsedTime(ms, events[i], events[i + 1]);
            nanos[launches.get(i).kernel()] += Math.round(ms[0] * 1e6);
        }
    }

    void copiedIn(long ns) { if (runs >= WARMUP) copyInNanos += ns; }

    void copiedOut(long ns) {
        if (runs >= WARMUP) copyOutNanos += ns;
        runs++;
    }

    private void print() {
        long counted = runs - Math.min(runs, WARMUP);
        if (counted == 0) return;
        String heading = String.format("CUDA events, after %d warm-up runs; host copies per run: in %.1f µs, out %.1f µs", WARMUP,
                copyInNanos / 1e3 / counted, copyOutNanos / 1e3 / counted);
        System.err.print(KernelTimes.report(graph, nanos, counted, heading, k -> "", TOP));
    }
}
