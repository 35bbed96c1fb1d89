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

    public double[] toDoubles() {
        double[] v = new double[length];
        for (int i = 0; i < length; i++) v[i] = get(i);
        return v;
    }
}
