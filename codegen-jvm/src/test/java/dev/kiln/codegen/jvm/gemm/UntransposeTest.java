package dev.kiln.codegen.jvm.gemm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Gemm#untranspose}: a transposed product put back through row and column offsets. The Vector API core moves 8 × 8
 * blocks where the columns run consecutively and the rows are evenly spaced, and single values elsewhere; every case
 * must land each value exactly where the definition says and leave every other element alone.
 */
class UntransposeTest {

    /** The definition, one value at a time: out[offset + rows[i] + cols[j]] = t[j·m + i]. */
    private static float[] expected(float[] t, int m, int n, float[] out, int offset, int[] rows, int[] cols) {
        float[] e = out.clone();
        for (int j = 0; j < n; j++) for (int i = 0; i < m; i++) e[offset + rows[i] + cols[j]] = t[j * m + i];
        return e;
    }

    private static void check(int m, int n, int[] rows, int[] cols, int offset, long seed) {
        Random rnd = new Random(seed);
        float[] t = new float[m * n];
        for (int i = 0; i < t.length; i++) t[i] = rnd.nextFloat() - 0.5f;
        int size = offset + 1;
        for (int r : rows) for (int c : cols) size = Math.max(size, offset + r + c + 1);
        float[] out = new float[size + 5];
        for (int i = 0; i < out.length; i++) out[i] = -7f - i;           // untouched elements must keep these
        float[] want = expected(t, m, n, out, offset, rows, cols);
        for (Gemm g : new Gemm[] {Gemm.best(), Gemm.scalar()}) {
            float[] got = out.clone();
            g.untranspose(t, m, n, got, offset, rows, cols);
            assertArrayEquals(want, got, g.name() + ": m=" + m + " n=" + n);
        }
    }

    private static int[] spaced(int count, int spacing) {
        int[] v = new int[count];
        for (int i = 0; i < count; i++) v[i] = i * spacing;
        return v;
    }

    /** Columns of an NCHW output: image {@code j / perImage}, position {@code j % perImage}. */
    private static int[] imageColumns(int n, int perImage, int imageStride) {
        int[] v = new int[n];
        for (int j = 0; j < n; j++) v[j] = j / perImage * imageStride + j % perImage;
        return v;
    }

    @Test void convolutionOutputWithImagesBreakingTheRuns() {
        // LeNet's conv2 forward: 16 channels of 100 positions per image; a block of 8 straddles images at 96..103
        check(16, 6400, spaced(16, 100), imageColumns(6400, 100, 1600), 0, 1);
        check(16, 300, spaced(16, 100), imageColumns(300, 100, 1600), 37, 2);
    }

    @Test void channelCountsNotAMultipleOfEight() {
        for (int m : new int[] {1, 3, 8, 9, 12, 15, 17, 24}) check(m, 203, spaced(m, 211), imageColumns(203, 211, 211 * m), 4, m);
    }

    @Test void columnCountsLeavingATail() {
        for (int n : new int[] {1, 7, 8, 9, 15, 16, 17, 31}) check(16, n, spaced(16, 40), spaced(n, 1), 3, 100 + n);
    }

    @Test void unevenRowsAndScatteredColumnsStayExact() {
        int[] rows = {0, 50, 90, 200, 210, 300, 305, 400, 470, 500, 650, 651, 700, 820, 900, 999};
        check(16, 64, rows, spaced(64, 1), 0, 5);                           // rows not evenly spaced
        check(16, 64, spaced(16, 100), spaced(64, 3), 0, 6);                // columns every third element
        int[] reversed = new int[24];
        for (int j = 0; j < 24; j++) reversed[j] = 23 - j;
        check(8, 24, spaced(8, 24), reversed, 0, 7);                        // columns decreasing
        int[] oneOddGap = spaced(16, 100);
        for (int i = 2; i < 16; i++) oneOddGap[i] -= 50;                     // evenly spaced but for the second gap
        check(16, 64, oneOddGap, spaced(64, 1), 0, 8);
    }

    @Test void aRunBrokenAtEachPositionOfABlock() {
        // runs of 1..9 consecutive columns: each position of an 8-column block is, somewhere, the first one out of line
        for (int run = 1; run <= 9; run++) check(16, 72, spaced(16, 100), imageColumns(72, run, 1600), 0, 20 + run);
    }

    @Test void rowsDecreasingOrCloserThanABlockStayExact() {
        int[] down = new int[16];
        for (int i = 0; i < 16; i++) down[i] = (15 - i) * 100;
        check(16, 64, down, spaced(64, 1), 0, 30);                          // evenly spaced, going down
        check(16, 64, spaced(16, 3), spaced(64, 48), 0, 31);                // rows 3 apart, columns far apart
    }

    @Test void theVectorCoreMovesBlocksForConvolutionOutputs() {
        // not a silent scalar fallback: conv2's NCHW channels take the block path; rows it can't block don't
        org.junit.jupiter.api.Assumptions.assumeTrue(Gemm.vectorized(), "the block path needs --add-modules jdk.incubator.vector");
        assertTrue(VectorGemm.untransposesInBlocks(16, spaced(16, 100)));
        assertTrue(VectorGemm.untransposesInBlocks(8, spaced(8, -8)));
        assertTrue(!VectorGemm.untransposesInBlocks(7, spaced(7, 100)), "fewer than 8 rows");
        assertTrue(!VectorGemm.untransposesInBlocks(16, spaced(16, 7)), "rows closer than a block");
        int[] uneven = spaced(16, 100);
        uneven[9] += 1;
        assertTrue(!VectorGemm.untransposesInBlocks(16, uneven), "rows unevenly spaced");
        assertTrue(Gemm.best() instanceof VectorGemm, Gemm.best().name());
    }
}
