package dev.kiln.ir.backend;

import dev.kiln.ir.DType;

/**
 * A tensor's elements in host memory, in the Java array type of its dtype: float[] for float32, double[] for float64,
 * int[] for int32, long[] for int64, byte[] (0/1) for bool. Row-major; shape lives with whoever holds the buffer.
 */
public final class HostBuffer {
    private final DType dtype;
    private final Object array;
    private final int length;

    private HostBuffer(DType dtype, Object array, int length) {
        this.dtype = dtype;
        this.array = array;
        this.length = length;
    }

    public static HostBuffer allocate(DType dtype, int length) {
        long bytes = (long) length * dtype.byteSize();
        if (bytes >= LargeBufferBudget.LARGE_BYTES) LargeBufferBudget.allocating(bytes);
        Object array = switch (dtype) {
            case F32 -> new float[length];
            case F64 -> new double[length];
            case I32 -> new int[length];
            case I64 -> new long[length];
            case BOOL -> new byte[length];
        };
        return new HostBuffer(dtype, array, length);
    }

    /** Wraps an existing array of the dtype's Java type (no copy). */
    public static HostBuffer wrap(DType dtype, Object array) {
        int length = switch (dtype) {
            case F32 -> ((float[]) array).length;
            case F64 -> ((double[]) array).length;
            case I32 -> ((int[]) array).length;
            case I64 -> ((long[]) array).length;
            case BOOL -> ((byte[]) array).length;
        };
        return new HostBuffer(dtype, array, length);
    }

    /** A buffer holding {@code values} converted to {@code dtype} (rounding or truncating as a cast does). */
    public static HostBuffer of(DType dtype, double[] values) {
        HostBuffer b = allocate(dtype, values.length);
        for (int i = 0; i < values.length; i++) b.set(i, values[i]);
        return b;
    }

    public DType dtype() { return dtype; }

    public int length() { return length; }

    /** The backing array (float[], double[], int[], long[] or byte[]). */
    public Object array() { return array; }

    public double get(int i) {
        return switch (dtype) {
            case F32 -> ((float[]) array)[i];
            case F64 -> ((double[]) array)[i];
            case I32 -> ((int[]) array)[i];
            case I64 -> ((long[]) array)[i];
            case BOOL -> ((byte[]) array)[i];
        };
    }

    public void set(int i, double v) {
        switch (dtype) {
            case F32 -> ((float[]) array)[i] = (float) v;
            case F64 -> ((double[]) array)[i] = v;
            case I32 -> ((int[]) array)[i] = (int) v;
            case I64 -> ((long[]) array)[i] = (long) v;
            case BOOL -> ((byte[]) array)[i] = (byte) (v != 0 ? 1 : 0);
        }
    }

    /** The elements as little-endian bytes (the layout of safetensors files and of CUDA device memory). */
    public byte[] toLittleEndian() {
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(length * dtype.byteSize()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> out.asFloatBuffer().put((float[]) array, 0, length);
            case F64 -> out.asDoubleBuffer().put((double[]) array, 0, length);
            case I32 -> out.asIntBuffer().put((int[]) array, 0, length);
            case I64 -> out.asLongBuffer().put((long[]) array, 0, length);
            case BOOL -> out.put((byte[]) array, 0, length);
        }
        return out.array();
    }

    /**
     * Reads {@code length} little-endian elements of {@code dtype} from {@code in} at its position and advances it;
     * any non-zero bool byte reads as 1.
     */
    public static HostBuffer readLittleEndian(DType dtype, int length, java.nio.ByteBuffer in) {
        HostBuffer b = allocate(dtype, length);
        java.nio.ByteBuffer slice = in.slice().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> slice.asFloatBuffer().get((float[]) b.array);
            case F64 -> slice.asDoubleBuffer().get((double[]) b.array);
            case I32 -> slice.asIntBuffer().get((int[]) b.array);
            case I64 -> slice.asLongBuffer().get((long[]) b.array);
            case BOOL -> {
                byte[] bytes = (byte[]) b.array;
                slice.get(bytes);
                for (int i = 0; i < bytes.length; i++) if (bytes[i] != 0) bytes[i] = 1;
            }
        }
        in.position(in.position() + length * dtype.byteSize());
        return b;
    }

    public double[] toDoubles() {
        double[] v = new double[length];
        for (int i = 0; i < length; i++) v[i] = get(i);
        return v;
    }
}
