package dev.kiln.codegen.jvm.gemm;

/**
 * The row or column offsets of an indexed operand of {@link Gemm#sgemmIndexed}: element (r, q) of the operand is at
 * {@code array[offset + rows.at(r) + cols.at(q)]}. A convolution's im2col patches are such a view of its input
 * (rows: the filter taps, columns: the output positions), so the GEMM core can pack them without an im2col copy.
 * Built once per program and reused; the range of the values is kept for the bounds check, and whether they mostly run
 * consecutively ({@code mostlyContiguous}: at least 7 in 8 neighbours consecutive) for the packers.
 */
public record Offsets(int[] values, int min, int max, Integer stride, boolean mostlyContiguous) {

    /** Offsets given element by element (the array is kept, not copied: don't change it afterwards). */
    public static Offsets of(int[] values) {
        if (values.length == 0) throw new IllegalArgumentException("no offsets");
        int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
        boolean arithmetic = true;
        for (int i = 0; i < values.length; i++) {
            lo = Math.min(lo, values[i]);
            hi = Math.max(hi, values[i]);
            arithmetic &= values[i] == values[0] + i * (values.length > 1 ? values[1] - values[0] : 0);
        }
        Integer stride = arithmetic && values[0] == 0 ? (values.length > 1 ? values[1] - values[0] : 0) : null;
        int steps = 0;
        for (int i = 1; i < values.length; i++) if (values[i] == values[i - 1] + 1) steps++;
        return new Offsets(values, lo, hi, stride, values.length > 1 && steps * 8L >= (values.length - 1) * 7L);
    }

    /** {@code 0, stride, 2·stride, ...} ({@code count} values): a strided view. */
    public static Offsets strided(int count, int stride) {
        int[] v = new int[count];
        for (int i = 0; i < count; i++) v[i] = i * stride;
        return of(v);
    }

    public int count() { return values.length; }
}
