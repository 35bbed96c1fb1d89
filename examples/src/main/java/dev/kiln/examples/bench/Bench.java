package dev.kiln.examples.bench;

import dev.kiln.dsl.Device;
import dev.kiln.dsl.Kiln;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code kiln bench [--json] [--device cpu|cuda] [--threads N] [--min-time SECONDS] [--warmup SECONDS] [WORKLOAD ...]}:
 * times the workloads of {@code torch_ref.py} (see {@link Workloads}) and prints a table, or with {@code --json} one
 * JSON object per line in the reference's format, so the two can be compared (bench/compare.sh). On {@code cuda} every
 * iteration includes the copies to and from the GPU that each program run makes, as a PyTorch run that synchronizes
 * includes its kernels' completion.
 */
public final class Bench {
    /** Exit code for a command-line mistake, as elsewhere in the CLI. */
    static final int USAGE = 2;
    static final String USAGE_LINE = "usage: kiln bench [--json] [--device cpu|cuda] [--threads N] [--min-time SECONDS] [--warmup SECONDS] [WORKLOAD ...]";

    private Bench() {}

    /** One measured workload. */
    record Row(String workload, String impl, int threads, Measure.Result result, double flops) {
        /** GFLOP/s at the median, or NaN when the workload has no operation count. */
        double gflops() { return flops > 0 ? flops / result.medianUs() / 1e3 : Double.NaN; }
    }

    public static int run(String[] args) throws Exception {
        PrintStream out = System.out, err = System.err;
        boolean json = false;
        Device device = Device.CPU;
        int threads = 1;
        double minTime = 1.0;
        double warmup = Measure.DEFAULT_WARMUP_SECONDS;
        List<String> names = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            try {
                switch (a) {
                    case "--json" -> json = true;
                    case "--device" -> device = device(value(args, ++i, a));
                    case "--threads" -> threads = Integer.parseInt(value(args, ++i, a));
                    case "--min-time" -> minTime = Double.parseDouble(value(args, ++i, a));
                    case "--warmup" -> warmup = Double.parseDouble(value(args, ++i, a));
                    case "-h", "--help" -> {
                        out.println(USAGE_LINE);
                        out.println("workloads: " + String.join(", ", Workloads.names()));
                        return 0;
                    }
                    default -> {
                        if (a.startsWith("-")) throw new IllegalArgumentException("unknown option '" + a + "'");
                        names.add(a);
                    }
                }
            } catch (IllegalArgumentException e) {   // NumberFormatException included
                err.println("kiln bench: " + e.getMessage());
                err.println(USAGE_LINE);
                return USAGE;
            }
        }
        if (threads < 1 || !(minTime >= 0) || Double.isInfinite(minTime) || !(warmup >= 0) || Double.isInfinite(warmup)) {
            err.println("kiln bench: --threads must be ≥ 1, --min-time and --warmup non-negative numbers of seconds");
            err.println(USAGE_LINE);
            return USAGE;
        }
        List<String> unknown = names.stream().filter(n -> !Workloads.ALL.containsKey(n)).toList();
        if (!unknown.isEmpty()) {
            err.println("kiln bench: unknown workload" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                    + "; known workloads: " + String.join(", ", Workloads.names()));
            return USAGE;
        }
        if (names.isEmpty()) names = Workloads.defaults();
        if (device.isCuda() && !Kiln.cudaIsAvailable()) {
            err.println("kiln bench: --device cuda: CUDA is not available: " + Kiln.cudaUnavailableReason() + "; use --device cpu");
            return USAGE;
        }
        String impl = device.isCuda() ? "kiln-cuda" : "kiln-jvm";

        setThreads(threads);
        if (!json) {
            out.printf(Locale.ROOT, "kiln bench: %s, %d thread%s, min-time %.2f s, warm-up ≥ %d iterations and ≥ %.1f s%n%n",
                    impl, threads, threads == 1 ? "" : "s", minTime, Measure.WARMUP_ITERATIONS, warmup);
            out.printf(Locale.ROOT, "%-22s %12s %12s %12s %6s %9s%n", "workload", "median µs", "p10 µs", "p90 µs", "reps", "GFLOP/s");
        }
        for (String name : names) {
            Workloads.Case c = Workloads.ALL.get(name).setup().apply(device);
            System.gc();                                    // garbage of the setup (and earlier workloads) not timed here
            Measure.Result r = Measure.measure(c.step(), minTime, warmup);
            Row row = new Row(name, impl, threads, r, c.flops());
            out.println(json ? json(row) : text(row));
            out.flush();
        }
        return 0;
    }

    private static Device device(String name) {
        return switch (name) {
            case "cpu" -> Device.CPU;
            case "cuda" -> Device.cuda(0);
            default -> throw new IllegalArgumentException("unknown device '" + name + "'; use cpu or cuda");
        };
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }

    /** Kernel threads for the run, set through the runtime so no backend class is named here. */
    static void setThreads(int threads) { dev.kiln.runtime.Executor.setThreads(threads); }


    /** The reference's JSON line: same keys, order and separators as Python's json.dumps. */
    static String json(Row row) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workload", row.workload());
        m.put("impl", row.impl());
        m.put("threads", new JsonNumber(Integer.toString(row.threads())));
        m.put("median_us", new JsonNumber(round2(row.result().medianUs())));
        m.put("p10_us", new JsonNumber(round2(row.result().p10Us())));
        m.put("p90_us", new JsonNumber(round2(row.result().p90Us())));
        if (row.flops() > 0) m.put("gflops", new JsonNumber(round2(row.gflops())));
        StringBuilder s = new StringBuilder("{");
        m.forEach((k, v) -> {
            if (s.length() > 1) s.append(", ");
            s.append('"').append(k).append("\": ");
            s.append(v instanceof JsonNumber num ? num.text() : "\"" + v + "\"");
        });
        return s.append('}').toString();
    }

    /** A number already formatted for JSON. */
    private record JsonNumber(String text) {}

    /** Like Python's repr(round(x, 2)): at most two decimals, at least one. */
    static String round2(double x) {
        String s = BigDecimal.valueOf(x).setScale(2, RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString();
        return s.contains(".") ? s : s + ".0";
    }

    static String text(Row row) {
        Measure.Result r = row.result();
        String gflops = row.flops() > 0 ? String.format(Locale.ROOT, "%.2f", row.gflops()) : "";
        return String.format(Locale.ROOT, "%-22s %12.1f %12.1f %12.1f %6d %9s",
                row.workload(), r.medianUs(), r.p10Us(), r.p90Us(), r.reps(), gflops);
    }
}
