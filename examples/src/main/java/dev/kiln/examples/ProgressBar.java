package dev.kiln.examples;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One epoch's progress: on a terminal a single line redrawn in place (bar, steps/s, running loss); otherwise a plain
 * line at every tenth of the epoch, so logs stay readable.
 */
final class ProgressBar {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final String label;
    private final int total;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private int lastTenth = 0;

    ProgressBar(PrintStream out, String label, int total) {
        this.out = out;
        this.label = label;
        this.total = total;
        this.terminal = System.console() != null && System.getenv("CI") == null;
    }

    void update(int done, double runningLoss) {
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = done / Math.max(seconds, 1e-9);
        if (terminal) {
            int filled = (int) ((long) WIDTH * done / total);
            out.printf(Locale.ROOT, "\r%s [%s%s] %d/%d  %.0f steps/s  loss %.4f", label, "#".repeat(filled), " ".repeat(WIDTH - filled),
                    done, total, rate, runningLoss);
            if (done == total) out.println();
            out.flush();
        } else {
            int tenth = (int) (10L * done / total);
            if (tenth > lastTenth) {
                lastTenth = tenth;
                out.printf(Locale.ROOT, "%s %3d%%  %d/%d  %.0f steps/s  loss %.4f%n", label, tenth * 10, done, total, rate, runningLoss);
            }
        }
    }
}
