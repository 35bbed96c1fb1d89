package dev.kiln.codegen.jvm.gemm;

import java.util.Arrays;

/**
 * How {@link RunGemm} covers the columns of a product with 8-lane vectors read straight from B: B's columns are cut into
 * runs that are consecutive both in B ({@code bCols[j+1] = bCols[j] + 1}) and where they are stored in C. A run of 8 or
 * more gets vectors at 0, 8, 16, … and, if it isn't a multiple of 8, one more ending at its end (overlapping the one
 * before: those lanes are computed twice, the same way, and stored twice with the same value). A shorter run gets one
 * vector that also reads a few neighbouring elements of B, whose lanes are computed and never stored; where it reads
 * from is chosen so that every row of B keeps it inside the array.
 *
 * <p>Vector v reads {@code b[rowOffset + bAt[v] + lane]} and stores lanes {@code first[v] .. first[v] + count[v] - 1}
 * at {@code c[rowAt + cAt[v] + lane - first[v]]}.
 */
public final class ColumnRuns {
    public static final int LANES = 8;

    /** Below this share of useful lanes the GEMM core (which packs B into full panels) is preferred. */
    public static final double MIN_UTILIZATION = 0.6;

    final int[] bAt, cAt, first, count;
    private final int columns;
    private final boolean whole;

    private ColumnRuns(int[] bAt, int[] cAt, int[] first, int[] count, int columns) {
        this.bAt = bAt;
        this.cAt = cAt;
        this.first = first;
        this.count = count;
        this.columns = columns;
        this.whole = Arrays.stream(count).allMatch(x -> x == LANES);
    }

    /** The number of vectors. */
    public int vectors() { return bAt.length; }

    /** Whether every vector's lanes are all C's (every run is 8 or more long): vectors are stored whole. */
    public boolean whole() { return whole; }

    /** Columns over lanes computed: the share of the multiply-adds that are kept. */
    public double utilization() { return (double) columns / (LANES * (double) vectors()); }

    /**
     * The runs of B's columns ({@code bCols}, offsets within a row of B) stored at C columns {@code cCols}, for a B whose
     * rows start at offsets {@code lowRow .. highRow} (with the operand's offset) in an array of {@code length} elements;
     * null when a run shorter than 8 can't be read as one vector that stays inside the array.
     */
    public static ColumnRuns of(int[] bCols, int[] cCols, long lowRow, long highRow, int length) {
        if (bCols.length != cCols.length || bCols.length == 0) throw new IllegalArgumentException("column tables differ in length");
        int n = bCols.length;
        int[] bAt = new int[n + LANES], cAt = new int[n + LANES], first = new int[n + LANES], count = new int[n + LANES];
        int v = 0;
        for (int j = 0; j < n; ) {
            int end = j + 1;
            while (end < n && bCols[end] == bCols[end - 1] + 1 && cCols[end] == cCols[end - 1] + 1) end++;
            int run = end - j;
            if (run >= LANES) {
                for (int t = 0; t < run; t += LANES) {
                    int at = Math.min(t, run - LANES);
                    bAt[v] = bCols[j + at];
                    cAt[v] = cCols[j + at];
                    count[v++] = LANES;
                }
            } else {
                // lanes [shift, shift + run) are the run's; the smallest shift that keeps every row's vector in the array
                int shift = -1;
                for (int s = 0; s <= LANES - run && shift < 0; s++) {
                    long start = bCols[j] - s;
                    if (lowRow + start >= 0 && highRow + start + LANES <= length) shift = s;
                }
                if (shift < 0) return null;
                bAt[v] = bCols[j] - shift;
                cAt[v] = cCols[j];
                first[v] = shift;
                count[v++] = run;
            }
            j = end;
        }
        return new ColumnRuns(Arrays.copyOf(bAt, v), Arrays.copyOf(cAt, v), Arrays.copyOf(first, v), Arrays.copyOf(count, v), n);
    }
}
