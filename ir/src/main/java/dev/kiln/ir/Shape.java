package dev.kiln.ir;

import java.util.Arrays;

/** An immutable tensor shape (row-major). */
public final class Shape implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    private static final Shape SCALAR = new Shape(new int[0]);
    private final int[] dims;
    private final int numel;

    private Shape(int[] dims) {
        long n = 1;
        for (int d : dims) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(dims));
            n *= d;
            if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has more than 2^31-1 elements");
        }
        this.dims = dims;
        this.numel = (int) n;
    }

    public static Shape of(int... dims) { return dims.length == 0 ? SCALAR : new Shape(dims.clone()); }

    public static Shape scalar() { return SCALAR; }

    public int rank() { return dims.length; }

    public int dim(int axis) { return dims[axis]; }

    public int[] dims() { return dims.clone(); }

    public int numel() { return numel; }

    /** Row-major strides of a contiguous tensor of this shape. */
    public int[] strides() {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) { s[i] = acc; acc *= dims[i]; }
        return s;
    }

    /** This shape with {@code axis} replaced by {@code size}. */
    public Shape with(int axis, int size) {
        int[] d = dims.clone();
        d[axis] = size;
        return new Shape(d);
    }

    @Override public boolean equals(Object o) { return o instanceof Shape s && Arrays.equals(dims, s.dims); }

    @Override public int hashCode() { return Arrays.hashCode(dims); }

    @Override public String toString() { return Arrays.toString(dims); }
}
