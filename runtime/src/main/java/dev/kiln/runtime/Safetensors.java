package dev.kiln.runtime;

import dev.kiln.ir.DType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.backend.HostBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets}, "__metadata__": {...}}}, then raw little-endian data.
 * A malformed file fails with an error naming the file and what is wrong. Writes are atomic: the file is written
 * under a temporary name in the same directory, forced to disk, then renamed over the target, so a crash mid-write
 * leaves the previous file intact.
 */
public final class Safetensors {
    private Safetensors() {}

    /** One stored tensor: values in row-major order, held as doubles whatever the dtype. */
    public record Entry(DType dtype, Shape shape, double[] values) {
        public Entry {
            if (values.length != shape.numel()) throw new IllegalArgumentException(values.length + " values for shape " + shape);
        }
    }

    /** A whole file: tensors by name (in file order) and the free-form string metadata. */
    public record Contents(Map<String, Entry> tensors, Map<String, String> metadata) {
        public Entry get(String name) {
            Entry e = tensors.get(name);
            if (e == null) throw new IllegalArgumentException("no tensor named '" + name + "'; present: " + tensors.keySet());
            return e;
        }
    }

    /** One stored tensor with its elements in the dtype's own Java array (exact for every dtype, int64 included). */
    public record Buffer(Shape shape, HostBuffer data) {
        public Buffer {
            if (data.length() != shape.numel()) throw new IllegalArgumentException(data.length() + " elements for shape " + shape);
        }

        public DType dtype() { return data.dtype(); }
    }

    /** A whole file with exact element buffers: tensors by name (in file order) and the string metadata. */
    public record RawContents(Map<String, Buffer> tensors, Map<String, String> metadata) {}

    // ---- reading ------------------------------------------------------------------------------------------------

    public static Contents read(Path file) throws IOException { return entries(readRaw(file)); }

    private static Contents entries(RawContents raw) {
        Map<String, Entry> tensors = new LinkedHashMap<>();
        raw.tensors().forEach((name, b) -> tensors.put(name, new Entry(b.dtype(), b.shape(), b.data().toDoubles())));
        return new Contents(tensors, raw.metadata());
    }

    /** Reads a file keeping every element exactly as stored. */
    public static RawContents readRaw(Path file) throws IOException { return readRaw(file.toString(), Files.readAllBytes(file)); }

    /** Reads safetensors bytes held in memory; {@code source} names them in errors (e.g. an entry of an archive). */
    public static Contents read(String source, byte[] bytes) throws IOException { return entries(readRaw(source, bytes)); }

    private static RawContents readRaw(String file, byte[] bytes) throws IOException {
        if (bytes.length < 8) throw corrupt(file, "shorter than the 8-byte header length (" + bytes.length + " bytes; file truncated?)");
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 2 || headerLength > bytes.length - 8) {
            throw corrupt(file, "header length " + headerLength + " does not fit in a file of " + bytes.length + " bytes"
                    + (headerLength > bytes.length - 8 ? " (file truncated?)" : ""));
        }
        Object parsed;
        try {
            parsed = Json.parse(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw corrupt(file, "header is not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> header)) throw corrupt(file, "header is not a JSON object");
        int dataStart = 8 + (int) headerLength;
        long dataLength = bytes.length - dataStart;
        Map<String, Buffer> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<long[]> spans = new ArrayList<>();
        List<String> spanNames = new ArrayList<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) throw corrupt(file, "__metadata__ is not an object");
                m.forEach((k, v) -> metadata.put((String) k, String.valueOf(v)));
                continue;
            }
            long[] span = new long[2];
            tensors.put(name, buffer(file, name, e.getValue(), bytes, dataStart, dataLength, span));
            spans.add(span);
            spanNames.add(name);
        }
        checkLayout(file, spans, spanNames, dataLength);
        return new RawContents(tensors, metadata);
    }

    /** The tensors' data must tile the data section: no overlaps, no holes, nothing after the last tensor. */
    private static void checkLayout(String file, List<long[]> spans, List<String> names, long dataLength) throws IOException {
        Integer[] order = new Integer[spans.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.<Integer>comparingLong(i -> spans.get(i)[0]).thenComparingLong(i -> spans.get(i)[1]));
        long end = 0;
        String previous = null;
        for (int i : order) {
            long[] s = spans.get(i);
            if (s[0] < end) throw corrupt(file, "tensors '" + previous + "' and '" + names.get(i) + "' overlap in the data section");
            if (s[0] > end) throw corrupt(file, "data bytes [" + end + ", " + s[0] + ") belong to no tensor");
            end = s[1];
            previous = names.get(i);
        }
        if (end != dataLength) {
            throw corrupt(file, (dataLength - end) + " bytes after the end of the last tensor's data (the header accounts for " + end
                    + " of " + dataLength + " data bytes)");
        }
    }

    private static Buffer buffer(String file, String name, Object spec, byte[] bytes, int dataStart, long dataLength, long[] span)
            throws IOException {
        if (!(spec instanceof Map<?, ?> m) || !(m.get("dtype") instanceof String code) || !(m.get("shape") instanceof List<?> dims)
                || !(m.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2) {
            throw corrupt(file, "tensor '" + name + "' needs dtype, shape and data_offsets [begin, end]");
        }
        DType dtype = dtypeOf(file, name, code);
        int[] shape = new int[dims.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw corrupt(file, "tensor '" + name + "' has an invalid shape " + dims + " (dimensions must be non-negative integers)");
            }
            shape[i] = d.intValue();
            numel *= d;
            if (numel > Integer.MAX_VALUE) throw corrupt(file, "tensor '" + name + "' of shape " + dims + " is too large");
        }
        Shape s = Shape.of(shape);
        if (!(offsets.get(0) instanceof Long begin) || !(offsets.get(1) instanceof Long end)) {
            throw corrupt(file, "tensor '" + name + "' has non-integer data_offsets " + offsets);
        }
        long expected = numel * dtype.byteSize();
        if (begin < 0 || end < begin || end > dataLength) {
            throw corrupt(file, "tensor '" + name + "' data_offsets [" + begin + ", " + end + "] lie outside the " + dataLength
                    + " data bytes (file truncated?)");
        }
        if (end - begin != expected) {
            throw corrupt(file, "tensor '" + name + "' of shape " + s + " " + code + " needs " + expected + " bytes, offsets span " + (end - begin));
        }
        span[0] = begin;
        span[1] = end;
        HostBuffer data = HostBuffer.readLittleEndian(dtype, (int) numel, ByteBuffer.wrap(bytes, dataStart + (int) (long) begin, (int) expected));
        return new Buffer(s, data);
    }

    // ---- writing ------------------------------------------------------------------------------------------------

    /** Writes tensors (sorted by name, as the reference writer does) and metadata to {@code file}, atomically. */
    public static void write(Path file, Map<String, Entry> tensors, Map<String, String> metadata) throws IOException {
        Map<String, Buffer> buffers = new LinkedHashMap<>();
        tensors.forEach((name, e) -> buffers.put(name, new Buffer(e.shape(), HostBuffer.of(e.dtype(), e.values()))));
        writeRaw(file, buffers, metadata);
    }

    /**
     * Writes tensors (sorted by name) and metadata to {@code file} exactly as their buffers hold them. The bytes go to
     * a temporary file beside {@code file}, which is forced to disk and then atomically renamed over {@code file}: a
     * failure or crash part-way leaves whatever {@code file} held before.
     */
    public static void writeRaw(Path file, Map<String, Buffer> tensors, Map<String, String> metadata) throws IOException {
        Encoded encoded = encode(tensors, metadata);
        atomicWrite(file, encoded::writeTo);
    }

    /** The bytes of a safetensors file holding {@code tensors} and {@code metadata} (for embedding in an archive). */
    public static byte[] toBytes(Map<String, Entry> tensors, Map<String, String> metadata) throws IOException {
        Map<String, Buffer> buffers = new LinkedHashMap<>();
        tensors.forEach((name, e) -> buffers.put(name, new Buffer(e.shape(), HostBuffer.of(e.dtype(), e.values()))));
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        Sink sink = new Sink(java.nio.channels.Channels.newChannel(bytes), null);
        encode(buffers, metadata).writeTo(sink);
        sink.flush();
        return bytes.toByteArray();
    }

    /** A header ready to write and the tensors (sorted by name) whose data follows it. */
    private record Encoded(byte[] header, java.util.Collection<Buffer> data) {
        void writeTo(Sink out) throws IOException {
            out.put(header);
            for (Buffer t : data) out.put(t.data());
        }
    }

    private static Encoded encode(Map<String, Buffer> tensors, Map<String, String> metadata) {
        Map<String, Object> header = new LinkedHashMap<>();
        long offset = 0;
        Map<String, Buffer> sorted = new TreeMap<>(tensors);
        for (Map.Entry<String, Buffer> e : sorted.entrySet()) {
            if (e.getKey().equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is reserved and cannot name a tensor");
            Buffer t = e.getValue();
            long size = (long) t.shape().numel() * t.dtype().byteSize();
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("dtype", codeOf(t.dtype()));
            spec.put("shape", Arrays.stream(t.shape().dims()).boxed().toList());
            spec.put("data_offsets", List.of(offset, offset + size));
            header.put(e.getKey(), spec);
            offset += size;
        }
        if (!metadata.isEmpty()) header.put("__metadata__", new LinkedHashMap<>(metadata));
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        return new Encoded(head.array(), sorted.values());
    }

    /** What {@link #writeAtomically} writes: any content, to a stream. */
    @FunctionalInterface
    public interface Content {
        void writeTo(java.io.OutputStream out) throws IOException;
    }

    /**
     * Writes any file the way checkpoints are written: to a temporary file beside it, forced to disk, then atomically
     * renamed over it, so a crash part-way leaves what the file held before (used by step artifacts too).
     */
    public static void writeAtomically(Path file, Content content) throws IOException {
        atomicWrite(file, sink -> {
            java.io.OutputStream out = new java.io.OutputStream() {
                @Override public void write(int b) throws IOException { sink.put(new byte[] {(byte) b}); }

                @Override public void write(byte[] b, int off, int len) throws IOException { sink.put(b, off, len); }
            };
            content.writeTo(out);
        });
    }

    /** Streams bytes to the temporary file in chunks, telling the test hook how far it got after each. */
    private static final class Sink {
        private static final int CHUNK = 1 << 16;
        private final java.nio.channels.WritableByteChannel channel;
        private final Path temp;                   // the temporary file being written (null when writing to memory)
        private final ByteBuffer chunk = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        private long written;

        Sink(java.nio.channels.WritableByteChannel channel, Path temp) {
            this.channel = channel;
            this.temp = temp;
        }

        void put(byte[] bytes) throws IOException { put(bytes, 0, bytes.length); }

        void put(byte[] bytes, int offset, int length) throws IOException {
            for (int i = offset; i < offset + length; i++) {
                if (!chunk.hasRemaining()) flush();
                chunk.put(bytes[i]);
            }
        }

        void put(HostBuffer data) throws IOException {
            Object a = data.array();
            int n = data.length();
            for (int i = 0; i < n; i++) {
                if (chunk.remaining() < 8) flush();
                switch (data.dtype()) {
                    case F32 -> chunk.putFloat(((float[]) a)[i]);
                    case F64 -> chunk.putDouble(((double[]) a)[i]);
                    case I32 -> chunk.putInt(((int[]) a)[i]);
                    case I64 -> chunk.putLong(((long[]) a)[i]);
                    case BOOL -> chunk.put(((byte[]) a)[i] != 0 ? (byte) 1 : (byte) 0);
                }
            }
        }

        void flush() throws IOException {
            chunk.flip();
            while (chunk.hasRemaining()) written += channel.write(chunk);
            chunk.clear();
            WriteHook hook = writeHook;
            if (hook != null && temp != null) hook.written(temp, written);
        }
    }

    @FunctionalInterface
    private interface Body {
        void writeTo(Sink out) throws IOException;
    }

    /** For tests: told after each chunk reaches the temporary file; throwing (or halting the JVM) simulates a crash. */
    @FunctionalInterface
    interface WriteHook {
        void written(Path temp, long bytes) throws IOException;
    }

    static volatile WriteHook writeHook;

    private static void atomicWrite(Path file, Body body) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        if (!Files.isDirectory(dir)) throw new java.nio.file.NoSuchFileException(file.toString(), null, "directory " + dir + " does not exist");
        Path temp = null;
        FileChannel channel = null;
        for (int attempt = 0; channel == null; attempt++) {
            temp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 10) throw e;
            }
        }
        boolean done = false;
        try {
            try (FileChannel c = channel) {
                Sink sink = new Sink(c, temp);
                body.writeTo(sink);
                sink.flush();
                c.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the original failure matters more; a stray temporary file never replaces the target
                }
            }
        }
        forceDirectory(dir);
    }

    /** Makes the rename itself durable where the platform allows syncing a directory (Linux, macOS). */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException ignored) {
            // not supported here (e.g. Windows); the file's own data was already forced
        }
    }

    // ---- JSON for metadata values -------------------------------------------------------------------------------

    /** JSON text of a value made of maps, lists, strings, numbers, booleans and nulls (for structured metadata). */
    public static String toJson(Object value) { return Json.write(value); }

    /** Parses JSON into insertion-ordered maps, lists, strings, Long or Double, booleans and nulls. */
    public static Object parseJson(String text) { return Json.parse(text); }

    // ---- dtypes -------------------------------------------------------------------------------------------------

    private static DType dtypeOf(String file, String name, String code) throws IOException {
        return switch (code) {
            case "F32" -> DType.F32;
            case "F64" -> DType.F64;
            case "I32" -> DType.I32;
            case "I64" -> DType.I64;
            case "BOOL" -> DType.BOOL;
            default -> throw corrupt(file, "tensor '" + name + "' has dtype " + code + "; supported: F32, F64, I32, I64, BOOL");
        };
    }

    private static String codeOf(DType t) {
        return switch (t) {
            case F32 -> "F32";
            case F64 -> "F64";
            case I32 -> "I32";
            case I64 -> "I64";
            case BOOL -> "BOOL";
        };
    }

    private static IOException corrupt(String file, String what) { return new IOException(file + ": not a valid safetensors file: " + what); }
}
