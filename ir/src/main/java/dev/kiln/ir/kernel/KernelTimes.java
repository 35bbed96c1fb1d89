package dev.kiln.ir.kernel;

import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * The per-kernel time table that every backend's {@code -Dkiln.debug=profile} prints: the slowest kernels of one
 * program, each with its share, its time per run and its header line from {@link Kernels#format}.
 */
public final class KernelTimes {
    private KernelTimes() {}

    /**
     * The report for {@code graph}, {@code nanos[k]} being kernel k's time summed over {@code runs} runs.
     * {@code heading} follows "== kernel profile: " (what was timed, and how); {@code detail} adds text after a
     * kernel's header (empty for none); {@code top} limits the rows.
     */
    public static String report(KernelGraph graph, long[] nanos, long runs, String heading, IntFunction<String> detail, int top) {
        long total = Arrays.stream(nanos).sum();
        if (total == 0 || runs == 0) return "";
        StringBuilder s = new StringBuilder(String.format("== kernel profile: %s, %d kernels, %d runs, %.1f µs per run%n",
                heading, nanos.length, runs, total / 1e3 / runs));
        Integer[] order = new Integer[nanos.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Long.compare(nanos[b], nanos[a]));
        for (int i = 0; i < Math.min(top, order.length); i++) {
            int k = order[i];
            String header = Kernels.format(graph.kernels().get(k)).lines().findFirst().orElse("");
            s.append(String.format("%5.1f%% %8.1f µs  k%-3d %s%s%n", 100.0 * nanos[k] / total, nanos[k] / 1e3 / runs, k, header, detail.apply(k)));
        }
        return s.toString();
    }
}
