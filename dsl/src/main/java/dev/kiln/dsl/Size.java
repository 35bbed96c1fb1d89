package dev.kiln.dsl;

import dev.kiln.ir.Shape;

import java.util.Arrays;

/** A tensor's shape as users see it ({@code torch.Size}): printed as {@code torch.Size([2, 3])}. */
public final class Size {
    private final int[] dims;

    Size(Shape shape) { this.dims = shape.dims(); }

    public static Size of(int... dims) { return new Size(Shape.of(dims)); }

    public int get(int i) { return dims[i < 0 ? i + dims.length : i]; }

    public int length() { return dims.length; }

    public int[] toArray() { return dims.clone(); }

    public int numel() { return Arrays.stream(dims).reduce(1, (a, b) -> a * b); }

    @Override public boolean equals(Object o) { return o instanceof Size s && Arrays.equals(dims, s.dims); }

    @Override public int hashCode() { return Arrays.hashCode(dims); }

    @Override public String toString() { return "torch.Size(" + Arrays.toString(dims) + ")"; }
}
