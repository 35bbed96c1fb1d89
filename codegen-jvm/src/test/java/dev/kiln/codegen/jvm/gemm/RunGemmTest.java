package dev.kiln.codegen.jvm.gemm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RunGemm} and its column plan: the same bits as the GEMM core on the same offset tables (the same fma chains),
 * every product stored where C's tables say and nothing else touched, for runs shorter than, equal to and longer than a
 * vector, runs broken by C, edge blocks that repeat a row or a vector, and split block ranges.
 */
class RunGemmTest {

    @BeforeEach
    void vectorApi() {
        assumeTrue(RunGemm.available(), "RunGemm needs --add-modules jdk.incubator.vector (the test argLine adds it)");
    }

    /** A product on offset tables: A[i][p] = a[aOff + aRows[i] + aCols[p]], B[p][j] = b[bOff + bRows[p] + bCols[j]]. */
    record Problem(int m, int k, float[] a, int aOff, int[] aRows, int[] aCols, float[] b, int bOff, int[] bRows, int[] bCols) {
        int n() { return bCols.length; }

        static Problem random(long seed, int m, int k, int[] bRows, int[] bCols, int bSlack) {
            Random rnd = new Random(seed);
            int[] aRows = new int[m], aCols = new int[k];
            for (int p = 0; p < k; p++) aCols[p] = p / 7 * 9 + p % 7;       // the depth in runs, as an image's rows
            for (int i = 0; i < m; i++) aRows[i] = i * (aCols[k - 1] + 3);
            int bMax = Arrays.stream(bRows).max().orElseThrow() + Arrays.stream(bCols).max().orElseThrow();
            return new Problem(m, k, fill(rnd, 2 + aRows[m - 1] + aCols[k - 1] + 1), 2, aRows, aCols,
                    fill(rnd, 3 + bMax + 1 + bSlack), 3, bRows, bCols);
        }

        /** The core's product, row-major m × n. */
        float[] core() {
            float[] c = new float[m * n()];
            Gemm.best().sgemmIndexed(m, n(), k, a, aOff, Offsets.of(aRows), Offsets.of(aCols), b, bOff, Offsets.of(bRows),
                    Offsets.of(bCols), c, 0, n(), false, Parallelism.SINGLE);
            return c;
        }

        ColumnRuns runs(int[] cCols) {
            long low = bOff + Arrays.stream(bRows).min().orElseThrow(), high = bOff + Arrays.stream(bRows).max().orElseThrow();
            return ColumnRuns.of(bCols, cCols, low, high, b.length);
        }
    }

    static float[] fill(Random rnd, int length) {
        float[] x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    /** Offsets 0, 1, .., run-1, then the next run {@code gap} further, and so on. */
    static int[] runs(int count, int run, int gap) {
        int[] v = new int[count];
        for (int i = 0; i < count; i++) v[i] = i / run * (run + gap) + i % run;
        return v;
    }

    /**
     * Runs the product into a C of NaNs at {@code c[cOff + cRows[i] + cCols[j]]} in the block ranges {@code [0, split)}
     * and {@code [split, blocks)}, and checks it against the core's bits; every other element must stay NaN.
     */
    static void check(Problem pr, int[] cRows, int[] cCols, int cOff, int split) {
        ColumnRuns runs = pr.runs(cCols);
        assertNotNull(runs);
        int span = Arrays.stream(cRows).max().orElseThrow() + Arrays.stream(cCols).max().orElseThrow() + 1;
        float[] c = new float[cOff + span + 5];
        Arrays.fill(c, Float.NaN);
        int blocks = RunGemm.blocks(pr.m(), runs), at = Math.min(split, blocks);
        RunGemm.multiply(pr.m(), pr.k(), pr.a(), pr.aOff(), pr.aRows(), pr.aCols(), pr.b(), pr.bOff(), pr.bRows(), runs, c, cOff, cRows, 0, at);
        RunGemm.multiply(pr.m(), pr.k(), pr.a(), pr.aOff(), pr.aRows(), pr.aCols(), pr.b(), pr.bOff(), pr.bRows(), runs, c, cOff, cRows, at, blocks);
        float[] expected = pr.core();
        boolean[] written = new boolean[c.length];
        for (int i = 0; i < pr.m(); i++) {
            for (int j = 0; j < pr.n(); j++) {
                int where = cOff + cRows[i] + cCols[j];
                written[where] = true;
                assertEquals(Float.floatToRawIntBits(expected[i * pr.n() + j]), Float.floatToRawIntBits(c[where]),
                        "C[" + i + "][" + j + "]: " + c[where] + ", the core gives " + expected[i * pr.n() + j]);
            }
        }
        for (int x = 0; x < c.length; x++) if (!written[x]) assertTrue(Float.isNaN(c[x]), "c[" + x + "] is not C's but was written");
    }

    static int[] strided(int count, int stride) {
        int[] v = new int[count];
        for (int i = 0; i < count; i++) v[i] = i * stride;
        return v;
    }

    @Test
    void aWeightGradientsFilterTapsGiveTheCoresBits() {
        // m = 6 output channels, n = 25 taps (runs of 5 along a filter row, 32 apart), depth over 3 images of 8×8
        // positions; C row-major 6 × 25: 2 row blocks of 3, the 5 vectors one block
        int[] bRows = new int[3 * 64];
        for (int p = 0; p < bRows.length; p++) bRows[p] = p / 64 * 1024 + p / 8 % 8 * 32 + p % 8;
        Problem pr = Problem.random(1, 6, bRows.length, bRows, runs(25, 5, 27), 0);
        check(pr, strided(6, 25), strided(25, 1), 0, Integer.MAX_VALUE);
        // 5 rows (the last row block repeats its last row) and a C with row padding and an offset
        Problem odd = Problem.random(2, 5, bRows.length, bRows, runs(25, 5, 27), 0);
        check(odd, strided(5, 31), strided(25, 1), 7, 1);
    }

    @Test
    void runsOfEveryLengthAndRunsBrokenByC() {
        // runs of 11 (a vector and an overlapping one), 3, 8, 17 and 1 in B; in C the first run breaks after 5
        int[] bCols = new int[11 + 3 + 8 + 17 + 1];
        int j = 0;
        int[][] spans = {{0, 11}, {20, 3}, {30, 8}, {50, 17}, {80, 1}};
        for (int[] s : spans) for (int t = 0; t < s[1]; t++) bCols[j++] = s[0] + t;
        int[] cCols = new int[bCols.length];
        for (int x = 0; x < cCols.length; x++) cCols[x] = x + (x >= 5 ? 100 : 0);
        int[] bRows = strided(40, 97);
        for (int m : new int[] {1, 2, 3, 8}) {                // 8 vectors: a second block repeating its last; 8 rows: 3 blocks
            Problem pr = Problem.random(10 + m, m, 40, bRows, bCols, 4);
            for (int split : new int[] {0, 1, 3}) check(pr, strided(m, 300), cCols, 2, split);
        }
        ColumnRuns runs = Problem.random(3, 2, 40, bRows, bCols, 4).runs(cCols);
        assertFalse(runs.whole(), "short runs: through the scratch tile");
        // runs 5 | 6 (B's run of 11 broken by C) | 3 | 8 | 17 (0-7, 8-15 and an overlapping 9-16) | 1
        assertEquals(1 + 1 + 1 + 1 + 3 + 1, runs.vectors());
        assertEquals(40.0 / 64, runs.utilization(), 1e-12);
    }

    @Test
    void aShortRunAtTheEndOfBReadsItsVectorFromBefore() {
        // the last tap run ends at B's last element: its vector must start up to 7 elements earlier to stay inside
        int[] bCols = runs(10, 5, 27);                        // taps 0..4 and 32..36
        int[] bRows = strided(20, 64);
        Problem pr = Problem.random(4, 3, 20, bRows, bCols, 0);
        ColumnRuns runs = pr.runs(strided(10, 1));
        assertNotNull(runs);
        assertEquals(0, runs.first[0], "the first run reads from its own start");
        assertTrue(runs.first[1] > 0, "the last run's vector starts before it, lanes " + runs.first[1] + ".. are its");
        long last = pr.bOff() + bRows[bRows.length - 1] + runs.bAt[1] + ColumnRuns.LANES;
        assertTrue(last <= pr.b().length, "the last row's vector ends at " + last + ", B has " + pr.b().length);
        check(pr, strided(3, 10), strided(10, 1), 0, Integer.MAX_VALUE);
    }

    @Test
    void aShortRunThatNoVectorCanCoverInsideBIsRefused() {
        // B has 5 elements: no 8-lane vector fits, so the product stays on the core
        assertNull(ColumnRuns.of(new int[] {0, 1, 2, 3, 4}, new int[] {0, 1, 2, 3, 4}, 0, 0, 5));
        assertNotNull(ColumnRuns.of(new int[] {0, 1, 2, 3, 4}, new int[] {0, 1, 2, 3, 4}, 0, 0, 8));
    }

    @Test
    void longRunsStoreWholeVectorsIntoAnNchwOutput() {
        // a forward convolution's positions: 2 images of 6 rows of 12 in B (rows 16 apart), stored NCHW (4 channels:
        // one block of 3 rows and one repeating its row)
        int[] bCols = new int[2 * 6 * 12], cCols = new int[bCols.length];
        for (int x = 0; x < bCols.length; x++) {
            bCols[x] = x / 72 * 256 + x / 12 % 6 * 16 + x % 12;
            cCols[x] = x / 72 * 4 * 72 + x % 72;
        }
        Problem pr = Problem.random(5, 4, 9, strided(9, 1), bCols, 8);
        ColumnRuns runs = pr.runs(cCols);
        assertEquals(2 * 12, runs.vectors(), "two vectors (0-7, 4-11) per output row of 12");
        for (int v = 0; v < runs.vectors(); v++) assertEquals(ColumnRuns.LANES, runs.count[v]);
        assertTrue(runs.whole(), "stored whole, straight into C");
        assertArrayEquals(new int[] {0, 4}, Arrays.copyOf(runs.cAt, 2));
        check(pr, strided(4, 72), cCols, 0, 5);
        // 6 and 12 channels, whole vectors: blocks of 6 rows × 4 vectors (24 vectors, and 26 with a last block repeating
        // its last vector), in thread ranges split inside
        for (int m : new int[] {6, 12}) {
            int[] nchw = new int[bCols.length + 12], longer = Arrays.copyOf(bCols, bCols.length + 12);
            for (int x = 0; x < nchw.length; x++) nchw[x] = x / 72 * m * 72 + x % 72;    // m channels per image
            for (int x = bCols.length; x < longer.length; x++) longer[x] = 2 * 256 + x % 12;
            int[] sixC = Arrays.copyOf(nchw, bCols.length), longerC = nchw;
            Problem six = Problem.random(20 + m, m, 9, strided(9, 1), bCols, 8);
            ColumnRuns sixRuns = six.runs(sixC);
            assertTrue(RunGemm.sixRows(m, sixRuns));
            assertEquals(m / 6 * 6, RunGemm.blocks(m, sixRuns));
            check(six, strided(m, 72), sixC, 0, 1);
            Problem more = Problem.random(30 + m, m, 9, strided(9, 1), longer, 8);
            assertEquals(26, more.runs(longerC).vectors());
            check(more, strided(m, 72), longerC, 3, 2);
        }
        assertFalse(RunGemm.sixRows(4, runs), "4 rows: blocks of 3");
        // runs of exactly 8 and 16 (no overlapping vector) and of 8, 16 and 11 together
        for (int[] lengths : new int[][] {{8, 8, 8}, {16, 16}, {8, 16, 11}}) {
            int n = java.util.stream.IntStream.of(lengths).sum();
            int[] cols = new int[n];
            for (int r = 0, x = 0; r < lengths.length; r++) for (int t = 0; t < lengths[r]; t++) cols[x++] = r * 40 + t;
            Problem mixed = Problem.random(6 + n, 5, 7, strided(7, 3), cols, 8);
            assertTrue(mixed.runs(strided(n, 1)).whole());
            check(mixed, strided(5, n + 3), strided(n, 1), 1, 2);
        }
    }
}
