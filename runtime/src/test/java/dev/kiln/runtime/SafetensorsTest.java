package dev.kiln.runtime;

import dev.kiln.ir.DType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.backend.HostBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The safetensors reader and writer: exact round trips of every dtype, clear errors for damaged files, atomic writes. */
class SafetensorsTest {
    @TempDir Path dir;

    @AfterEach void noHook() { Safetensors.writeHook = null; }

    private static Safetensors.Buffer buf(DType t, Object array, int... shape) {
        return new Safetensors.Buffer(Shape.of(shape), HostBuffer.wrap(t, array));
    }

    private static Map<String, Safetensors.Buffer> everyDtype() {
        Map<String, Safetensors.Buffer> m = new LinkedHashMap<>();
        m.put("f32", buf(DType.F32, new float[] {1.5f, -0f, Float.NaN, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY}, 2, 3));
        m.put("f64", buf(DType.F64, new double[] {Math.PI, -0d, Double.MIN_VALUE, 1e300}, 4));
        m.put("i32", buf(DType.I32, new int[] {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE}, 2, 2));
        m.put("i64", buf(DType.I64, new long[] {Long.MIN_VALUE, (1L << 53) + 1, Long.MAX_VALUE}, 3));
        m.put("bool", buf(DType.BOOL, new byte[] {1, 0, 1}, 3));
        m.put("scalar", buf(DType.I64, new long[] {42}));
        m.put("empty", buf(DType.F32, new float[0], 0, 5));
        return m;
    }

    @Test
    void everyDtypeRoundTripsBitForBit() throws IOException {
        Path f = dir.resolve("all.safetensors");
        Safetensors.writeRaw(f, everyDtype(), Map.of("kind", "test"));
        Safetensors.RawContents back = Safetensors.readRaw(f);
        assertEquals(Map.of("kind", "test"), back.metadata());
        assertEquals(List.of("bool", "empty", "f32", "f64", "i32", "i64", "scalar"), List.copyOf(back.tensors().keySet()), "sorted by name, as PyTorch's writer");
        everyDtype().forEach((name, expected) -> {
            Safetensors.Buffer actual = back.tensors().get(name);
            assertEquals(expected.dtype(), actual.dtype(), name);
            assertEquals(expected.shape(), actual.shape(), name);
            switch (expected.dtype()) {
                case F32 -> {
                    float[] a = (float[]) expected.data().array(), b = (float[]) actual.data().array();
                    for (int i = 0; i < a.length; i++) assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), name + "[" + i + "]");
                }
                case F64 -> {
                    double[] a = (double[]) expected.data().array(), b = (double[]) actual.data().array();
                    for (int i = 0; i < a.length; i++) assertEquals(Double.doubleToRawLongBits(a[i]), Double.doubleToRawLongBits(b[i]), name + "[" + i + "]");
                }
                case I32 -> assertArrayEquals((int[]) expected.data().array(), (int[]) actual.data().array(), name);
                case I64 -> assertArrayEquals((long[]) expected.data().array(), (long[]) actual.data().array(), name);
                case BOOL -> assertArrayEquals((byte[]) expected.data().array(), (byte[]) actual.data().array(), name);
            }
        });
        // the double-valued view reads the same file
        assertEquals(3.0, Safetensors.read(f).get("i64").values().length);
    }

    @Test
    void headerIsPaddedJsonThatPythonsReaderAccepts() throws IOException {
        Path f = dir.resolve("h.safetensors");
        Safetensors.writeRaw(f, Map.of("w", buf(DType.F32, new float[] {1, 2}, 2)), Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        assertEquals(8 + n + 8, bytes.length);
        assertEquals("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"__metadata__\":{\"format\":\"pt\"}}",
                new String(bytes, 8, (int) n, StandardCharsets.UTF_8).trim());
    }

    @Test
    void jsonHelpersRoundTrip() {
        Object v = Safetensors.parseJson(Safetensors.toJson(List.of(Map.of("lr", 0.01, "betas", List.of(0.9, 0.999), "amsgrad", false, "params", List.of(0, 1)))));
        assertEquals(List.of(Map.of("lr", 0.01, "betas", List.of(0.9, 0.999), "amsgrad", false, "params", List.of(0L, 1L))), v);
        assertEquals(1e-8, ((Map<?, ?>) Safetensors.parseJson(Safetensors.toJson(Map.of("eps", 1e-8)))).get("eps"));
    }

    // ---- damaged files ------------------------------------------------------------------------------------------

    private Path good() throws IOException {
        Path f = dir.resolve("good.safetensors");
        Safetensors.writeRaw(f, everyDtype(), Map.of("kind", "test"));
        return f;
    }

    private String failure(byte[] bytes) throws IOException {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, bytes);
        IOException e = assertThrows(IOException.class, () -> Safetensors.readRaw(f));
        assertTrue(e.getMessage().startsWith(f + ": not a valid safetensors file: "), e.getMessage());
        return e.getMessage();
    }

    private static byte[] withHeader(String json, int dataBytes) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return b.array();
    }

    @Test
    void truncatedFilesSayWhere() throws IOException {
        byte[] bytes = Files.readAllBytes(good());
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertTrue(failure(Arrays.copyOf(bytes, 5)).contains("shorter than the 8-byte header length (5 bytes; file truncated?)"));
        assertTrue(failure(Arrays.copyOf(bytes, 8 + (int) n / 2)).contains("header length " + n + " does not fit in a file of"));
        String m = failure(Arrays.copyOf(bytes, bytes.length - 3));
        assertTrue(m.contains("lie outside the") && m.contains("(file truncated?)"), m);
        assertTrue(failure(new byte[0]).contains("shorter than the 8-byte header length (0 bytes"));
    }

    @Test
    void wrongHeadersSayWhatIsWrong() throws IOException {
        assertTrue(failure(withHeader("{\"w\": {\"dtype\": \"F32\", ", 0)).contains("header is not valid JSON"));
        assertTrue(failure(withHeader("[1, 2, 3]", 0)).contains("header is not a JSON object"));
        byte[] huge = withHeader("{}", 0);
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        assertTrue(failure(huge).contains("header length 1099511627776 does not fit in a file of 10 bytes"));
        assertTrue(failure(withHeader("{\"w\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2))
                .contains("tensor 'w' has dtype F16; supported: F32, F64, I32, I64, BOOL"));
        assertTrue(failure(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4)).contains("tensor 'w' has an invalid shape [-1]"));
        assertTrue(failure(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[3]}}", 12)).contains("tensor 'w' needs dtype, shape and data_offsets"));
        assertTrue(failure(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 12))
                .contains("tensor 'w' of shape [3] F32 needs 12 bytes, offsets span 8"));
        assertTrue(failure(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12))
                .contains("tensors 'a' and 'b' overlap"));
        assertTrue(failure(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12))
                .contains("8 bytes after the end of the last tensor's data"));
        assertTrue(failure(withHeader("{\"__metadata__\": 3}", 0)).contains("__metadata__ is not an object"));
    }

    // ---- atomic writes ------------------------------------------------------------------------------------------

    private static Map<String, Safetensors.Buffer> big(float value) {
        float[] v = new float[300_000];
        Arrays.fill(v, value);
        return Map.of("w", buf(DType.F32, v, v.length));
    }

    private List<Path> leftovers() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    @Test
    void aWriteThatFailsHalfWayLeavesTheOldFileAndNoTemporary() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        Safetensors.writeRaw(f, big(1), Map.of("version", "old"));
        long[] seen = {0};
        Safetensors.writeHook = (temp, bytes) -> {
            seen[0] = bytes;
            assertTrue(Files.size(temp) == bytes && temp.getParent().equals(f.toAbsolutePath().getParent()), "the temporary file sits beside the target");
            if (bytes > 600_000) throw new IOException("simulated failure (disk full)");
        };
        IOException e = assertThrows(IOException.class, () -> Safetensors.writeRaw(f, big(2), Map.of("version", "new")));
        assertEquals("simulated failure (disk full)", e.getMessage());
        assertTrue(seen[0] > 600_000 && seen[0] < 1_200_000, "failed half-way, after " + seen[0] + " bytes");
        Safetensors.writeHook = null;
        Safetensors.RawContents back = Safetensors.readRaw(f);
        assertEquals("old", back.metadata().get("version"));
        assertEquals(1f, ((float[]) back.tensors().get("w").data().array())[299_999]);
        assertEquals(List.of(), leftovers());
    }

    @Test
    void aCrashHalfWayLeavesTheOldFileIntact() throws Exception {
        Path f = dir.resolve("ckpt.safetensors");
        Safetensors.writeRaw(f, big(1), Map.of("version", "old"));
        byte[] before = Files.readAllBytes(f);
        // a separate JVM starts overwriting the checkpoint and dies (Runtime.halt: no finally, no cleanup) half-way
        String cp = String.join(java.io.File.pathSeparator, codeSource(Safetensors.class), codeSource(HostBuffer.class), codeSource(CrashingWriter.class));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", cp,
                CrashingWriter.class.getName(), f.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the crashing writer finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(CrashingWriter.EXIT, p.exitValue(), out);
        assertTrue(out.contains("crashing after"), out);
        List<Path> temps = leftovers();
        assertEquals(1, temps.size(), "the crash left its partial temporary file: " + temps);
        assertTrue(Files.size(temps.get(0)) < before.length);
        assertArrayEquals(before, Files.readAllBytes(f), "the checkpoint is untouched");
        assertEquals("old", Safetensors.readRaw(f).metadata().get("version"));
        // the next save works despite the stray temporary file
        Safetensors.writeRaw(f, big(3), Map.of("version", "next"));
        assertEquals("next", Safetensors.readRaw(f).metadata().get("version"));
    }

    private static String codeSource(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    @Test
    void writingIntoAMissingDirectoryNamesIt() {
        Path f = dir.resolve("no/such/dir/x.safetensors");
        IOException e = assertThrows(IOException.class, () -> Safetensors.writeRaw(f, big(1), Map.of()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertFalse(Files.exists(f));
    }
}
