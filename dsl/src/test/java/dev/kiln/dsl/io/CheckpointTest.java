package dev.kiln.dsl.io;

import dev.kiln.dsl.Checkpoint;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.Module;
import dev.kiln.dsl.nn.Sequential;
import dev.kiln.ir.DType;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.runtime.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kiln.save / Kiln.load: every kind and dtype round-trips exactly; atomic writes; clear errors for damaged files. */
class CheckpointTest {
    @TempDir Path dir;

    static void assertSame(Tensor expected, Tensor actual, String what) {
        assertEquals(expected.dtype(), actual.dtype(), what + " dtype");
        assertEquals(expected.shape(), actual.shape(), what + " shape");
        double[] a = expected.toDoubleArray(), b = actual.toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            assertEquals(Double.doubleToRawLongBits(a[i]), Double.doubleToRawLongBits(b[i]), what + "[" + i + "]: " + a[i] + " vs " + b[i]);
        }
    }

    private static String kind(Path f) throws IOException { return Safetensors.read(f).metadata().get("kind"); }

    // ---- kinds and dtypes ---------------------------------------------------------------------------------------

    @Test
    void aTensorComesBackAsTheSameTensor() throws IOException {
        Path f = dir.resolve("t.safetensors");
        Tensor t = Kiln.tensor(new double[] {1.5, -2, 3.25, Float.MIN_VALUE, Float.NaN, -0.0}, new int[] {2, 3}, DType.F32);
        Kiln.save(t, f);
        assertEquals("tensor", kind(f));
        assertEquals("pt", Safetensors.read(f).metadata().get("format"));
        Tensor back = assertInstanceOf(Tensor.class, Kiln.load(f));
        assertSame(t, back, "tensor");
        assertTrue(!back.requiresGrad());
        // a 0-d tensor and a view (a slice of a parameter) save their own values
        Kiln.save(Kiln.scalarTensor(7, DType.I32), f);
        assertSame(Kiln.scalarTensor(7, DType.I32), (Tensor) Kiln.load(f), "0-d");
        Linear l = new Linear(3, 2);
        Kiln.save(l.weight.get(1), f);
        assertSame(l.weight.get(1).detach(), (Tensor) Kiln.load(f), "row 1 of a weight");
    }

    @Test
    void everyDtypeRoundTripsExactly() throws IOException {
        long big = (1L << 53) + 1;   // not a double: must not pass through one
        Tensor i64 = Kiln.tensor(new double[] {1L << 53, -5, 0}, new int[] {3}, DType.I64).add(Kiln.tensor(new double[] {1, 0, Long.MAX_VALUE}, new int[] {3}, DType.I64));
        Map<String, Tensor> all = new LinkedHashMap<>();
        all.put("f32", Kiln.tensor(new double[] {0.1, 1e-45, 3.4e38, Double.NEGATIVE_INFINITY}, new int[] {2, 2}, DType.F32));
        all.put("f64", Kiln.tensor(new double[] {0.1, Math.PI, Double.MIN_VALUE, -1e308}, new int[] {4}, DType.F64));
        all.put("i32", Kiln.tensor(new double[] {Integer.MIN_VALUE, -1, Integer.MAX_VALUE}, new int[] {3, 1}, DType.I32));
        all.put("i64", i64);
        all.put("bool", Kiln.tensor(true, false, true, true));
        all.put("empty", Kiln.zeros(0, 3));
        Path f = dir.resolve("dtypes.safetensors");
        Kiln.save(all, f);
        assertEquals("map", kind(f));
        @SuppressWarnings("unchecked") Map<String, Tensor> back = (Map<String, Tensor>) Kiln.load(f);
        assertEquals(List.copyOf(all.keySet()), List.copyOf(back.keySet()), "insertion order survives the file's sorting");
        all.forEach((k, v) -> assertSame(v, back.get(k), k));
        // int64 beyond 2^53 is stored and loaded exactly
        HostBuffer raw = Safetensors.readRaw(f).tensors().get("i64").data();
        assertArrayEquals(new long[] {big, -5, Long.MAX_VALUE}, (long[]) raw.array());
        assertEquals(1, back.get("i64").sub(Kiln.tensor(1L << 53)).toLongArray()[0]);
        Path g = dir.resolve("again.safetensors");
        Kiln.save(back, g);
        assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(g), "saving what was loaded writes the same bytes");
    }

    @Test
    void aListComesBackAsAList() throws IOException {
        Path f = dir.resolve("l.safetensors");
        List<Tensor> list = List.of(Kiln.ones(2), Kiln.tensor(1L, 2L, 3L), Kiln.zeros(DType.F64, 2, 2), Kiln.ones(2), Kiln.ones(1),
                Kiln.ones(1), Kiln.ones(1), Kiln.ones(1), Kiln.ones(1), Kiln.ones(1), Kiln.tensor(10.0, 11.0));
        Kiln.save(list, f);
        assertEquals("list", kind(f));
        assertTrue(Safetensors.read(f).tensors().containsKey("10"), "keys are \"0\", \"1\", ...");
        List<?> back = assertInstanceOf(List.class, Kiln.load(f));
        assertEquals(list.size(), back.size());
        for (int i = 0; i < list.size(); i++) assertSame(list.get(i), (Tensor) back.get(i), "element " + i + " (in order, 10 after 9)");
        Kiln.save(List.of(), f);
        assertEquals(List.of(), Kiln.load(f));
    }

    @Test
    void aModulesStateDictIsRecognisedAndKeepsItsOrder() throws IOException {
        Sequential net = new Sequential(new Linear(3, 4), new Linear(4, 2));
        for (int i = 0; i < 9; i++) net.add(new dev.kiln.dsl.nn.ReLU());
        net.add(new Linear(2, 2));    // child "11" sorts before "2" in the file
        Path f = dir.resolve("sd.safetensors");
        Kiln.save(net.stateDict(), f);
        assertEquals("state_dict", kind(f));
        assertEquals(Checkpoint.Kind.STATE_DICT, Checkpoint.kind(f));
        @SuppressWarnings("unchecked") Map<String, Tensor> back = Checkpoint.load(f, Map.class);
        assertEquals(List.copyOf(net.stateDict().keySet()), List.copyOf(back.keySet()));
        Sequential other = new Sequential(new Linear(3, 4), new Linear(4, 2));
        for (int i = 0; i < 9; i++) other.add(new dev.kiln.dsl.nn.ReLU());
        other.add(new Linear(2, 2));
        other.loadStateDict(back);
        net.stateDict().forEach((k, v) -> assertSame(v, other.stateDict().get(k), k));
        // a plain map is a map, unless told otherwise
        Kiln.save(Map.of("a", Kiln.ones(1)), f);
        assertEquals("map", kind(f));
        Checkpoint.save(Map.of("a", Kiln.ones(1)), f, Checkpoint.Kind.STATE_DICT);
        assertEquals("state_dict", kind(f));
    }

    @Test
    void unsupportedObjectsAreRefusedBeforeAnythingIsWritten() throws IOException {
        Path f = dir.resolve("x.safetensors");
        Kiln.save(Kiln.ones(2), f);
        byte[] before = Files.readAllBytes(f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kiln.save("text", f));
        assertTrue(e.getMessage().contains("cannot save a java.lang.String; Kiln.save takes a Tensor, a List<Tensor>, a Map<String, Tensor>"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Kiln.save(List.of(Kiln.ones(1), 3), f));
        assertTrue(e.getMessage().contains("a java.lang.Integer at index 1; lists must hold only tensors"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Kiln.save(Map.of("epoch", 3), f));
        assertTrue(e.getMessage().contains("under 'epoch'; maps must hold only tensors"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Kiln.save(new dev.kiln.dsl.optim.SGD(new Linear(1, 1).parameters(), 0.1), f));
        assertTrue(e.getMessage().contains("Kiln.save(optimizer.stateDict(), file)"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(f));
    }

    @Test
    void aPlainSafetensorsFileLoadsAsAMap() throws Exception {
        Path f = Path.of(getClass().getResource("/checkpoint/torch_lenet_io.safetensors").toURI());
        Map<?, ?> m = assertInstanceOf(Map.class, Kiln.load(f));
        assertEquals(List.of("x", "y"), List.copyOf(m.keySet()));
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(f, Module.class));
        assertEquals(f + ": holds a map (LinkedHashMap), not a Module", e.getMessage());
    }

    // ---- atomic writes ------------------------------------------------------------------------------------------

    @Test
    void anInterruptedSaveLeavesThePreviousCheckpoint() throws IOException {
        Path f = dir.resolve("model.safetensors");
        Linear net = new Linear(50, 40);
        Kiln.save(net.stateDict(), f);
        Map<String, Tensor> saved = net.stateDict();
        byte[] before = Files.readAllBytes(f);
        // a save that crashed half-way (power cut, kill -9) left its temporary file behind: partial bytes of a newer state
        Path temp = dir.resolve(".model.safetensors.5f3e2a.tmp");
        Files.write(temp, Arrays.copyOf(before, before.length / 2));
        @SuppressWarnings("unchecked") Map<String, Tensor> back = (Map<String, Tensor>) Kiln.load(f);
        saved.forEach((k, v) -> assertSame(v, back.get(k), k));
        assertArrayEquals(before, Files.readAllBytes(f));
        // the next save replaces the checkpoint whole and leaves no temporary file of its own
        Kiln.noGrad(() -> net.weight.fill_(3));
        Kiln.save(net.stateDict(), f);
        @SuppressWarnings("unchecked") Map<String, Tensor> next = (Map<String, Tensor>) Kiln.load(f);
        assertEquals(3.0, next.get("weight").toDoubleArray()[1999]);
        try (var files = Files.list(dir)) {
            assertEquals(List.of(temp), files.filter(p -> p.toString().endsWith(".tmp")).toList(), "only the crashed save's leftover");
        }
        // a save that fails before writing (unsupported content) leaves the file alone too
        assertThrows(IllegalArgumentException.class, () -> Kiln.save(List.of(Kiln.ones(1), "x"), f));
        @SuppressWarnings("unchecked") Map<String, Tensor> still = (Map<String, Tensor>) Kiln.load(f);
        assertEquals(3.0, still.get("weight").toDoubleArray()[0]);
    }

    // ---- damaged files ------------------------------------------------------------------------------------------

    private Path saved() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        Kiln.save(new Sequential(new Linear(4, 3), new Linear(3, 2)).stateDict(), f);
        return f;
    }

    private static String loadFailure(Path f) {
        IOException e = assertThrows(IOException.class, () -> Kiln.load(f));
        assertTrue(e.getMessage().startsWith(f.toString() + ": "), "names the file: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void aTruncatedFileSaysSo() throws IOException {
        Path f = saved();
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(bytes, bytes.length - 10));
        String m = loadFailure(f);
        assertTrue(m.contains("not a valid safetensors file: tensor '") && m.contains("lie outside the") && m.contains("(file truncated?)"), m);
        Files.write(f, Arrays.copyOf(bytes, 100));
        assertTrue(loadFailure(f).contains("does not fit in a file of 100 bytes (file truncated?)"));
        Files.write(f, Arrays.copyOf(bytes, 3));
        assertTrue(loadFailure(f).contains("shorter than the 8-byte header length (3 bytes; file truncated?)"));
    }

    @Test
    void aWrongHeaderSaysWhatIsWrong() throws IOException {
        Path f = saved();
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        byte[] badJson = bytes.clone();
        badJson[8] = 'x';
        Files.write(f, badJson);
        assertTrue(loadFailure(f).contains("header is not valid JSON"));
        byte[] longHeader = bytes.clone();
        ByteBuffer.wrap(longHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n + 1_000_000);
        Files.write(f, longHeader);
        assertTrue(loadFailure(f).contains("header length " + (n + 1_000_000) + " does not fit in a file of " + bytes.length + " bytes"));
        // metadata that makes no sense
        Safetensors.write(f, Map.of(), Map.of("kind", "pickle"));
        assertTrue(loadFailure(f).contains("not a valid Kiln checkpoint: metadata says kind 'pickle'"));
        Safetensors.write(f, Map.of("0", new Safetensors.Entry(DType.F32, dev.kiln.ir.Shape.of(1), new double[] {1})), Map.of("kind", "list", "length", "2"));
        assertTrue(loadFailure(f).contains("a list of 2 tensors lacks element '1'"));
        Safetensors.write(f, Map.of("a", new Safetensors.Entry(DType.F32, dev.kiln.ir.Shape.of(1), new double[] {1})), Map.of("kind", "map", "keys", "[\"a\", \"b\""));
        assertTrue(loadFailure(f).contains("metadata 'keys' is not valid JSON"));
        Safetensors.write(f, Map.of("a", new Safetensors.Entry(DType.F32, dev.kiln.ir.Shape.of(1), new double[] {1})), Map.of("kind", "map", "keys", "[\"a\", \"b\"]"));
        assertTrue(loadFailure(f).contains("metadata 'keys' lists [b], which the file does not hold"));
    }

    @Test
    void missingUnexpectedAndMisshapenKeysEachSaySoAndChangeNothing() throws IOException {
        Path f = dir.resolve("w.safetensors");
        Sequential net = new Sequential(new Linear(4, 3), new Linear(3, 2));
        Map<String, Tensor> before = net.stateDict();
        Map<String, double[]> values = new LinkedHashMap<>();
        before.forEach((k, v) -> values.put(k, v.toDoubleArray()));

        Map<String, Tensor> missing = new Sequential(new Linear(4, 3), new Linear(3, 2)).stateDict();
        missing.remove("1.bias");
        Kiln.save(missing, f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.loadInto(net, f));
        assertEquals(f + ": Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: \"1.bias\". ", e.getMessage());

        Map<String, Tensor> unexpected = new Sequential(new Linear(4, 3), new Linear(3, 2)).stateDict();
        unexpected.put("2.weight", Kiln.ones(2, 2));
        Kiln.save(unexpected, f);
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.loadInto(net, f));
        assertEquals(f + ": Error(s) in loading state_dict for Sequential:\n\tUnexpected key(s) in state_dict: \"2.weight\". ", e.getMessage());

        Kiln.save(new Sequential(new Linear(5, 3), new Linear(3, 2)).stateDict(), f);
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.loadInto(net, f));
        assertEquals(f + ": Error(s) in loading state_dict for Sequential:\n\tsize mismatch for 0.weight: copying a param with shape torch.Size([3, 5]) "
                + "from checkpoint, the shape in current model is torch.Size([3, 4]).", e.getMessage());

        net.stateDict().forEach((k, v) -> assertArrayEquals(values.get(k), v.toDoubleArray(), k + " unchanged"));
        Kiln.save(Kiln.ones(3), f);
        IOException io = assertThrows(IOException.class, () -> Checkpoint.loadInto(net, f));
        assertEquals(f + ": holds a tensor, not a state_dict to load into Sequential", io.getMessage());
    }

    @Test
    void headerWrittenLikeThePythonReferenceWriter() throws IOException {
        Path f = dir.resolve("one.safetensors");
        Kiln.save(Map.of("w", Kiln.tensor(1.0, 2.0)), f);
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"__metadata__\":{\"format\":\"pt\",\"kind\":\"map\",\"kiln_checkpoint\":\"1\","
                + "\"keys\":\"[\\\"w\\\"]\"}}", new String(bytes, 8, (int) n, StandardCharsets.UTF_8).trim());
    }
}
