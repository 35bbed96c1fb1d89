package dev.kiln.dsl.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;

/**
 * Reads and writes IDX files, the format of MNIST and Fashion-MNIST: a big-endian header {@code 0 0 TYPE NDIMS},
 * NDIMS int32 dimensions, then the elements in row-major order. {@link #read} takes a raw or a gzip-compressed file
 * (told apart by the gzip magic number, not the name) and checks the magic, the type, the dimensions and that the
 * file holds exactly the data the header announces; every error names the file.
 */
public final class Idx {
    /** IDX element type codes. */
    public static final int UBYTE = 0x08, BYTE = 0x09, SHORT = 0x0B, INT = 0x0C, FLOAT = 0x0D, DOUBLE = 0x0E;

    private Idx() {}

    /** The contents of one IDX file: its type code, its dimensions and its data bytes (big-endian, row-major). */
    public static final class Array {
        private final int type;
        private final int[] dims;
        private final ByteBuffer data;

        Array(int type, int[] dims, ByteBuffer data) {
            this.type = type;
            this.dims = dims;
            this.data = data.order(ByteOrder.BIG_ENDIAN);
        }

        /** An array of unsigned bytes (type {@link #UBYTE}); {@code values} is used, not copied. */
        public static Array ofUbytes(int[] dims, byte[] values) { return of(UBYTE, dims, ByteBuffer.wrap(values)); }

        /** An array of {@code type} holding {@code values} (converted to the type) in row-major order. */
        public static Array of(int type, int[] dims, double[] values) {
            int size = elementSize(type, "type");
            ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, size)).order(ByteOrder.BIG_ENDIAN);
            for (double v : values) {
                switch (type) {
                    case UBYTE, BYTE -> b.put((byte) (long) v);
                    case SHORT -> b.putShort((short) (long) v);
                    case INT -> b.putInt((int) (long) v);
                    case FLOAT -> b.putFloat((float) v);
                    default -> b.putDouble(v);
                }
            }
            return of(type, dims, b.flip());
        }

        private static Array of(int type, int[] dims, ByteBuffer data) {
            int size = elementSize(type, "type");
            long n = Idx.numel(dims, "dims");
            if (n * size != data.remaining()) {
                throw new IllegalArgumentException(data.remaining() / size + " elements do not fill dims " + Arrays.toString(dims));
            }
            return new Array(type, dims.clone(), data);
        }

        public int type() { return type; }

        public int[] dims() { return dims.clone(); }

        public int numel() { return data.capacity() / elementSize(type, "type"); }

        /** Element {@code i} (row-major) as a double; unsigned bytes read 0..255. */
        public double get(int i) {
            return switch (type) {
                case UBYTE -> data.get(i) & 0xff;
                case BYTE -> data.get(i);
                case SHORT -> data.getShort(2 * i);
                case INT -> data.getInt(4 * i);
                case FLOAT -> data.getFloat(4 * i);
                default -> data.getDouble(8 * i);
            };
        }

        /** Unsigned byte {@code i} (0..255) of a {@link #UBYTE} array, without conversion. */
        public int ubyte(int i) { return data.get(i) & 0xff; }

        /** The raw data bytes (a shared view, big-endian). */
        public ByteBuffer data() { return data.duplicate().order(ByteOrder.BIG_ENDIAN); }

        /** The type's name as the IDX spec calls it. */
        public String typeName() { return Idx.typeName(type); }

        @Override public String toString() { return "Idx.Array(" + typeName() + " " + Arrays.toString(dims) + ")"; }
    }

    /** Reads {@code file}, raw or gzip-compressed. */
    public static Array read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new java.io.FileNotFoundException(file + ": no such IDX file");
        }
        if (bytes.length >= 2 && (bytes[0] & 0xff) == 0x1f && (bytes[1] & 0xff) == 0x8b) {
            try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(bytes), 1 << 16)) {
                bytes = in.readAllBytes();
            } catch (java.io.EOFException e) {
                throw new IOException(file + ": truncated gzip data (the download may be incomplete)", e);
            } catch (ZipException e) {
                throw new IOException(file + ": corrupt gzip data (" + e.getMessage() + ")", e);
            }
        }
        return parse(file, bytes);
    }

    private static Array parse(Path file, byte[] bytes) throws IOException {
        if (bytes.length < 4) throw new IOException(file + ": not an IDX file (" + bytes.length + " bytes, shorter than the 4-byte header)");
        if (bytes[0] != 0 || bytes[1] != 0) {
            throw new IOException(String.format("%s: not an IDX file (magic number starts 0x%02x%02x, expected 0x0000)",
                    file, bytes[0] & 0xff, bytes[1] & 0xff));
        }
        int type = bytes[2] & 0xff;
        int ndims = bytes[3] & 0xff;
        int size;
        try {
            size = elementSize(type, "type");
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": unknown IDX element type 0x" + Integer.toHexString(type)
                    + " (expected 0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int, 0x0d float or 0x0e double)");
        }
        if (ndims == 0) throw new IOException(file + ": IDX header declares 0 dimensions");
        long headerLength = 4L + 4L * ndims;
        if (bytes.length < headerLength) {
            throw new IOException(file + ": truncated IDX header (" + bytes.length + " bytes, the header of " + ndims
                    + " dimensions needs " + headerLength + ")");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
        int[] dims = new int[ndims];
        long numel = 1;
        for (int d = 0; d < ndims; d++) {
            dims[d] = b.getInt(4 + 4 * d);
            if (dims[d] < 0) throw new IOException(file + ": IDX dimension " + d + " is negative (" + Integer.toUnsignedString(dims[d]) + ")");
            numel *= dims[d];
            if (numel * size > Integer.MAX_VALUE) throw new IOException(file + ": IDX data of dims " + Arrays.toString(dims) + " is too large (over 2 GiB)");
        }
        long expected = headerLength + numel * size;
        if (bytes.length != expected) {
            throw new IOException(file + ": IDX " + typeName(type) + " " + Arrays.toString(dims) + " should be " + expected
                    + " bytes but is " + bytes.length + (bytes.length < expected ? " (truncated)" : " (trailing data)"));
        }
        return new Array(type, dims, ByteBuffer.wrap(bytes, (int) headerLength, (int) (numel * size)).slice());
    }

    /** Writes {@code array} to {@code file}, gzip-compressed if {@code gzip}. */
    public static void write(Path file, Array array, boolean gzip) throws IOException {
        try (OutputStream raw = Files.newOutputStream(file);
             OutputStream out = gzip ? new GZIPOutputStream(raw, 1 << 16) : new java.io.BufferedOutputStream(raw, 1 << 16)) {
            out.write(encode(array));
        }
    }

    /** The bytes of {@code array} as an (uncompressed) IDX file. */
    public static byte[] encode(Array array) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ByteBuffer header = ByteBuffer.allocate(4 + 4 * array.dims.length).order(ByteOrder.BIG_ENDIAN);
        header.put((byte) 0).put((byte) 0).put((byte) array.type).put((byte) array.dims.length);
        for (int d : array.dims) header.putInt(d);
        bytes.writeBytes(header.array());
        ByteBuffer data = array.data();
        byte[] payload = new byte[data.remaining()];
        data.get(payload);
        bytes.writeBytes(payload);
        return bytes.toByteArray();
    }

    static int elementSize(int type, String what) {
        return switch (type) {
            case UBYTE, BYTE -> 1;
            case SHORT -> 2;
            case INT, FLOAT -> 4;
            case DOUBLE -> 8;
            default -> throw new IllegalArgumentException("unknown IDX " + what + " 0x" + Integer.toHexString(type));
        };
    }

    static String typeName(int type) {
        return switch (type) {
            case UBYTE -> "ubyte";
            case BYTE -> "byte";
            case SHORT -> "short";
            case INT -> "int";
            case FLOAT -> "float";
            case DOUBLE -> "double";
            default -> "0x" + Integer.toHexString(type);
        };
    }

    private static long numel(int[] dims, String what) {
        if (dims.length == 0 || dims.length > 255) throw new IllegalArgumentException("IDX needs 1 to 255 " + what + ", got " + dims.length);
        long n = 1;
        for (int d : dims) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
            n *= d;
        }
        return n;
    }
}
