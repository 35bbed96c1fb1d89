package dev.kiln.examples;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code kiln bench}: the JSON lines have the reference's fields and sane values; bad names are a usage error. No timing thresholds. */
class BenchCommandTest {

    record Result(int code, String out, String err) {}

    /** bench sets the backend's thread count for the whole JVM; give the other tests their default back. */
    @AfterAll
    static void restoreThreads() throws Exception {
        int threads = Integer.getInteger("kiln.threads", Runtime.getRuntime().availableProcessors());
        Class.forName("dev.kiln.codegen.jvm.JvmBackend").getMethod("setThreads", int.class).invoke(null, threads);
    }

    static Result bench(String... args) throws Exception {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        int code;
        try {
            String[] full = new String[args.length + 1];
            full[0] = "bench";
            System.arraycopy(args, 0, full, 1, args.length);
            code = Main.dispatch(full);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    private static final Pattern FIELD = Pattern.compile("\"(\\w+)\": (\"[^\"]*\"|-?[0-9.]+)");

    /** Parses one flat JSON object line of strings (kept quoted) and bare numbers, checking that it is exactly that. */
    static Map<String, String> parse(String line) {
        assertTrue(line.startsWith("{") && line.endsWith("}"), line);
        Map<String, String> fields = new LinkedHashMap<>();
        Matcher m = FIELD.matcher(line);
        StringBuilder rebuilt = new StringBuilder("{");
        while (m.find()) {
            if (!fields.isEmpty()) rebuilt.append(", ");
            rebuilt.append(m.group());
            fields.put(m.group(1), m.group(2));
        }
        assertEquals(line, rebuilt.append('}').toString(), "not a flat JSON object in the reference's format");
        return fields;
    }

    @Test
    void jsonLinesHaveTheReferenceFields() throws Exception {
        Result r = bench("--json", "--min-time", "0.01", "--warmup", "0.2", "--threads", "1", "tiny_rmsprop_b32_step", "sgemm_256");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(2, lines.size(), r.out());

        Map<String, String> tiny = parse(lines.get(0)), gemm = parse(lines.get(1));
        assertEquals(List.of("workload", "impl", "threads", "median_us", "p10_us", "p90_us"), List.copyOf(tiny.keySet()));
        assertEquals(List.of("workload", "impl", "threads", "median_us", "p10_us", "p90_us", "gflops"), List.copyOf(gemm.keySet()));
        assertEquals("\"tiny_rmsprop_b32_step\"", tiny.get("workload"));
        assertEquals("\"sgemm_256\"", gemm.get("workload"));
        for (Map<String, String> row : List.of(tiny, gemm)) {
            assertEquals("\"kiln-jvm\"", row.get("impl"));
            assertEquals("1", row.get("threads"));
            double p10 = Double.parseDouble(row.get("p10_us")), median = Double.parseDouble(row.get("median_us")),
                    p90 = Double.parseDouble(row.get("p90_us"));
            assertTrue(p10 > 0 && p10 <= median && median <= p90, row.toString());
        }
        assertTrue(Double.parseDouble(gemm.get("gflops")) > 0, gemm.toString());
    }

    @Test
    void tableIsTheDefault() throws Exception {
        Result r = bench("--min-time", "0", "--warmup", "0", "tiny_rmsprop_b32_step");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("median µs"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("tiny_rmsprop_b32_step ")), r.out());
        assertFalse(r.out().contains("{"), r.out());
    }

    @Test
    void unknownWorkloadIsAUsageError() throws Exception {
        Result r = bench("--json", "sgemm_256", "no_such_workload");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no_such_workload"), r.err());
        for (String known : List.of("seed002_step", "lenet_b64_step", "lenet_b1_step", "lenet_b64_infer", "mlp784_adam_b64_step",
                "tiny_rmsprop_b32_step", "sgemm_256", "sgemm_1024", "eltwise_chain_4m")) {
            assertTrue(r.err().contains(known), "the error lists " + known + ": " + r.err());
        }
        assertEquals("", r.out(), "nothing is measured when a name is wrong");
    }

    @Test
    void badOptionsAreUsageErrors() throws Exception {
        assertEquals(2, bench("--threads", "zero").code());
        assertEquals(2, bench("--threads", "0").code());
        assertEquals(2, bench("--min-time").code());
        assertEquals(2, bench("--frobnicate").code());
        Result gpu = bench("--device", "gpu", "sgemm_256");
        assertEquals(2, gpu.code());
        assertTrue(gpu.err().contains("unknown device 'gpu'; use cpu or cuda"), gpu.err());
    }

    @Test
    void cudaWithoutAGpuSaysWhyAndMeasuresNothing() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(dev.kiln.dsl.Kiln.cudaIsAvailable(), "this machine has a GPU");
        Result r = bench("--device", "cuda", "sgemm_256");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--device cuda: CUDA is not available: ") && r.err().contains("use --device cpu"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void sgemm4096IsNamedButNotADefault() throws Exception {
        assertTrue(dev.kiln.examples.bench.Workloads.names().contains("sgemm_4096"));
        assertFalse(dev.kiln.examples.bench.Workloads.defaults().contains("sgemm_4096"), "seconds per iteration on a CPU");
        assertEquals(dev.kiln.examples.bench.Workloads.names().size() - 1, dev.kiln.examples.bench.Workloads.defaults().size());
    }
}
