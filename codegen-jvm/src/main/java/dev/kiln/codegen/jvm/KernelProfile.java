package dev.kiln.codegen.jvm;

import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.KernelTimes;

import java.util.Arrays;

/**
 * Wall time per kernel of one program ({@code -Dkiln.debug=profile}), printed when the JVM exits. It reports the steady
 * state: the counters start over after the first {@code -Dkiln.profile.warmup} runs (default 200), because the JIT's
 * early tiers would otherwise dominate a short benchmark. Contractions are split into packing, GEMM and epilogue. The
 * slowest {@code -Dkiln.profile.top} kernels are listed (default 20).
 */
final class KernelProfile {
    static final int PACK = 0, GEMM = 1, EPILOGUE = 2, WHOLE = 3;
    private static final int WARMUP = Integer.getInteger("kiln.profile.warmup", 200);
    private static final int TOP = Integer.getInteger("kiln.profile.top", 20);

    private final KernelGraph graph;
    private final long[][] nanos;       // [step][PACK, GEMM, EPILOGUE, WHOLE]
    private long runs;

    private KernelProfile(KernelGraph graph, int steps) {
        this.graph = graph;
        this.nanos = new long[steps][4];
    }

    /** A profile for the program, or null when profiling is off. */
    static KernelProfile forProgram(KernelGraph graph, int steps) {
        if (!dev.kiln.ir.DebugFlags.on("profile")) return null;
        KernelProfile p = new KernelProfile(graph, steps);
        Runtime.getRuntime().addShutdownHook(new Thread(p::print));
        return p;
    }

    void add(int step, int phase, long ns) { nanos[step][phase] += ns; }

    /** A contraction's three phases, timed at t0 ≤ t1 ≤ t2 ≤ t3: packing t0..t1, the product t1..t2, the epilogue t2..t3. */
    void addContraction(int step, long t0, long t1, long t2, long t3) {
        add(step, PACK, t1 - t0);
        add(step, GEMM, t2 - t1);
        add(step, EPILOGUE, t3 - t2);
    }

    void endRun() {
        if (++runs == WARMUP) for (long[] n : nanos) Arrays.fill(n, 0);
    }

    private void print() {
        long counted = runs - (runs >= WARMUP ? WARMUP : 0);
        long[] whole = Arrays.stream(nanos).mapToLong(n -> n[WHOLE]).toArray();
        String heading = "JVM wall time" + (runs > counted ? ", after " + WARMUP + " warm-up runs" : "");
        System.err.print(KernelTimes.report(graph, whole, counted, heading, k -> {
            long[] n = nanos[k];
            return n[GEMM] == 0 ? "" : String.format(" (pack %.0f, gemm %.0f, epilogue %.0f)",
                    n[PACK] / 1e3 / counted, n[GEMM] / 1e3 / counted, n[EPILOGUE] / 1e3 / counted);
        }, TOP));
    }
}
