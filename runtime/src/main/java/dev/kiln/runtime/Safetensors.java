package dev.kiln.runtime;

import dev.kiln.ir.DType;
import dev.kiln.ir.Shape;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets}, "__metadata__": {...}}}, then raw little-endian data.
 * A malformed file fails with an error naming the file and what is wrong.
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

    public static Contents read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 8) throw corrupt(file, "shorter than the 8-byte header length (" + bytes.length + " bytes)");
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 2 || headerLength > bytes.length - 8) {
            throw corrupt(file, "header length " + headerLength + " does not fit in a file of " + bytes.length + " bytes");
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
        Map<String, Entry> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) throw corrupt(file, "__metadata__ is not an object");
                m.forEach((k, v) -> metadata.put((String) k, String.valueOf(v)));
                continue;
            }
            tensors.put(name, entry(file, name, e.getValue(), bytes, dataStart, dataLength));
        }
        return new Contents(tensors, metadata);
    }

    private static Entry entry(Path file, String name, Object spec, byte[] bytes, int dataStart, long dataLength) throws IOException {
        if (!(spec instanceof Map<?, ?> m) || !(m.get("dtype") instanceof String code) || !(m.get("shape") instanceof List<?> dims)
                || !(m.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2) {
            throw corrupt(file, "tensor '" + name + "' needs dtype, shape and data_offsets [begin, end]");
        }
        DType dtype = dtypeOf(file, name, code);
        int[] shape = dims.stream().mapToInt(d -> ((Number) d).intValue()).toArray();
        Shape s = Shape.of(shape);
        long begin = ((Number) offsets.get(0)).longValue(), end = ((Number) offsets.get(1)).longValue();
        long expected = (long) s.numel() * dtype.byteSize();
        if (begin < 0 || end < begin || end > dataLength) {
            throw corrupt(file, "tensor '" + name + "' data_offsets [" + begin + ", " + end + "] lie outside the " + dataLength
                    + " data bytes (file truncated?)");
        }
        if (end - begin != expected) {
            throw corrupt(file, "tensor '" + name + "' of shape " + s + " " + code + " needs " + expected + " bytes, offsets span " + (end - begin));
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes, dataStart + (int) begin, (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
        double[] values = new double[s.numel()];
        for (int i = 0; i < values.length; i++) {
            values[i] = switch (dtype) {
                case F32 -> buf.getFloat();
                case F64 -> buf.getDouble();
                case I32 -> buf.getInt();
                case I64 -> buf.getLong();
                case BOOL -> buf.get() != 0 ? 1 : 0;
            };
        }
        return new Entry(dtype, s, values);
    }

    /** Writes tensors (sorted by name, as the reference writer does) and metadata to {@code file}. */
    public static void write(Path file, Map<String, Entry> tensors, Map<String, String> metadata) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        long offset = 0;
        Map<String, Entry> sorted = new TreeMap<>(tensors);
        for (Map.Entry<String, Entry> e : sorted.entrySet()) {
            Entry t = e.getValue();
            long size = (long) t.shape().numel() * t.dtype().byteSize();
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("dtype", codeOf(t.dtype()));
            spec.put("shape", java.util.Arrays.stream(t.shape().dims()).boxed().toList());
            spec.put("data_offsets", List.of(offset, offset + size));
            header.put(e.getKey(), spec);
            offset += size;
        }
        if (!metadata.isEmpty()) header.put("__metadata__", new LinkedHashMap<>(metadata));
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        for (int i = json.length; i < padded; i++) out.put((byte) ' ');
        for (Entry t : sorted.values()) {
            for (double v : t.values()) {
                switch (t.dtype()) {
                    case F32 -> out.putFloat((float) v);
                    case F64 -> out.putDouble(v);
                    case I32 -> out.putInt((int) v);
                    case I64 -> out.putLong((long) v);
                    case BOOL -> out.put((byte) (v != 0 ? 1 : 0));
                }
            }
        }
        Files.write(file, out.array());
    }

    private static DType dtypeOf(Path file, String name, String code) throws IOException {
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

    private static IOException corrupt(Path file, String what) { return new IOException(file + ": not a valid safetensors file: " + what); }
}
