package dev.kiln.codegen.jvm.gemm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GemmTest {

    /** A strided problem: A, B views into padded arrays with offsets; C with ldc > n and guard values. */
    record Problem(int m, int n, int k, boolean transA, boolean transB, boolean accumulate,
                   float[] a, int aOff, int ars, int acs, float[] b, int bOff, int brs, int bcs,
                   float[] c0, int cOff, int ldc) {

        static Problem random(long seed, int m, int n, int k, boolean transA, boolean transB, boolean accumulate) {
            Random rnd = new Random(seed);
            int aOff = rnd.nextInt(5), bOff = rnd.nextInt(5), cOff = rnd.nextInt(5);
            int aPad = rnd.nextInt(3), bPad = rnd.nextInt(3), cPad = rnd.nextInt(4);
            // A[i][p]: row-major (stride k+pad, 1) or transposed storage (1, m+pad)
            int ars = transA ? 1 : k + aPad, acs = transA ? m + aPad : 1;
            int brs = transB ? 1 : n + bPad, bcs = transB ? k + bPad : 1;
            int aLen = aOff + (transA ? Math.max(k, 1) * (m + aPad) : Math.max(m, 1) * (k + aPad)) + 3;
            int bLen = bOff + (transB ? Math.max(n, 1) * (k + bPad) : Math.max(k, 1) * (n + bPad)) + 3;
            int ldc = n + cPad;
            float[] a = fill(rnd, aLen), b = fill(rnd, bLen), c = fill(rnd, cOff + Math.max(m, 1) * ldc + 3);
            return new Problem(m, n, k, transA, transB, accumulate, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc);
        }

        float[] run(Gemm g, Parallelism par) {
            float[] c = c0.clone();
            g.sgemm(m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, accumulate, par);
            return c;
        }

        /** Checks c against a double-precision reference; elements outside the C view must be untouched. */
        void check(float[] c, String what) {
            boolean[] inView = new boolean[c.length];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    int ci = cOff + i * ldc + j;
                    inView[ci] = true;
                    double init = accumulate ? c0[ci] : 0, sum = init, mag = Math.abs(init);
                    for (int p = 0; p < k; p++) {
                        double x = a[aOff + i * ars + p * acs], y = b[bOff + p * brs + j * bcs];
                        sum += x * y;
                        mag += Math.abs(x * y);
                    }
                    double tol = 1e-4 * mag + 1e-30;
                    if (!(Math.abs(c[ci] - sum) <= tol)) {
                        fail(what + " " + this.describe() + ": C[" + i + "][" + j + "] = " + c[ci] + ", expected " + sum + " ± " + tol);
                    }
                }
            }
            for (int q = 0; q < c.length; q++) {
                if (!inView[q] && Float.floatToRawIntBits(c[q]) != Float.floatToRawIntBits(c0[q])) {
                    fail(what + " " + describe() + ": wrote outside the C view at index " + q);
                }
            }
        }

        String describe() {
            return m + "x" + n + "x" + k + (transA ? " A^T" : "") + (transB ? " B^T" : "") + (accumulate ? " acc" : "");
        }
    }

    static float[] fill(Random rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float) (rnd.nextGaussian());
        return x;
    }

    static int[] bits(float[] x) {
        int[] r = new int[x.length];
        for (int i = 0; i < x.length; i++) r[i] = Float.floatToRawIntBits(x[i]);
        return r;
    }

    static ExecutorService pool3;

    @BeforeAll
    static void startPool() {
        pool3 = Executors.newFixedThreadPool(3, r -> {
            Thread t = new Thread(r, "gemm-test");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void stopPool() {
        pool3.shutdownNow();
    }

    /** Every implementation under test: the default ones, each kernel, and tiny blockings (many blocks, edges). */
    static List<Gemm> implementations() {
        List<Gemm> impls = new ArrayList<>();
        impls.add(Gemm.best());
        impls.add(Gemm.scalar());
        for (int kernel = 0; kernel < VectorGemm.KERNELS; kernel++) {
            impls.add(new VectorGemm(kernel, VectorGemm.DEFAULT_MC, VectorGemm.DEFAULT_KC, VectorGemm.DEFAULT_NC));
            impls.add(new VectorGemm(kernel, 1, 5, 1, false)); // mc = MR, kc = 5, nc = NR; vector code even when tiny
            impls.add(new VectorGemm(kernel, 24, 16, 64, false));
        }
        return impls;
    }

    static final int[] SIZES = {1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 32, 33, 47, 64, 97};

    static Stream<Arguments> randomCases() {
        Random rnd = new Random(1234);
        List<Arguments> cases = new ArrayList<>();
        for (int t = 0; t < 60; t++) {
            int m = SIZES[rnd.nextInt(SIZES.length)], n = SIZES[rnd.nextInt(SIZES.length)], k = SIZES[rnd.nextInt(SIZES.length)];
            if (t % 10 == 9) k = 0;
            cases.add(Arguments.of(rnd.nextLong(), m, n, k, rnd.nextBoolean(), rnd.nextBoolean(), rnd.nextBoolean()));
        }
        cases.add(Arguments.of(1L, 1, 1, 1, false, false, false));
        cases.add(Arguments.of(2L, 1, 1, 1, true, true, true));
        cases.add(Arguments.of(3L, 131, 67, 263, false, false, true)); // primes, several k blocks
        cases.add(Arguments.of(4L, 67, 131, 263, true, true, false));
        cases.add(Arguments.of(5L, 256, 96, 300, false, true, false));
        cases.add(Arguments.of(6L, 9, 1031, 3, true, false, true));
        return cases.stream();
    }

    @ParameterizedTest(name = "seed={0} {1}x{2}x{3} transA={4} transB={5} acc={6}")
    @MethodSource("randomCases")
    void matchesReferenceAndIsDeterministic(long seed, int m, int n, int k, boolean transA, boolean transB, boolean acc) {
        Problem pr = Problem.random(seed, m, n, k, transA, transB, acc);
        int[] expectedBits = null;
        for (Gemm g : implementations()) {
            float[] c = pr.run(g, Parallelism.SINGLE);
            pr.check(c, g.name());
            // all implementations compute the same fma chain per element: identical bits
            if (expectedBits == null) expectedBits = bits(c);
            else assertArrayEquals(expectedBits, bits(c), () -> g.name() + " differs bitwise from " + Gemm.best().name());
            for (int threads = 2; threads <= 3; threads++) {
                float[] ct = pr.run(g, new Parallelism(threads, pool3));
                assertArrayEquals(expectedBits, bits(ct), g.name() + " with " + threads + " threads");
            }
        }
    }

    /** Copies a row-major m×k (A) or, transposed, k×n (B) operand into panel layout; padding filled with NaN. */
    static float[] panels(float[] x, int off, int rs, int cs, int outer, int k, int width, int pad) {
        int padded = (outer + width - 1) / width * width;
        float[] p = new float[pad + padded * k];
        java.util.Arrays.fill(p, Float.NaN);
        for (int o = 0; o < outer; o++) {
            for (int q = 0; q < k; q++) p[pad + ((o / width) * k + q) * width + o % width] = x[off + o * rs + q * cs];
        }
        return p;
    }

    @ParameterizedTest
    @MethodSource("randomCases")
    void operandsInPanelLayoutGiveTheSameBits(long seed, int m, int n, int k, boolean transA, boolean transB, boolean acc) {
        Problem pr = Problem.random(seed, m, n, k, transA, transB, acc);
        for (Gemm g : implementations()) {
            int[] expected = bits(pr.run(g, Parallelism.SINGLE));
            float[] ap = panels(pr.a(), pr.aOff(), pr.ars(), pr.acs(), m, k, g.panelRows(), 3);
            // B's columns are the outer index: element (p, j) read as (j, p)
            float[] bp = panels(pr.b(), pr.bOff(), pr.bcs(), pr.brs(), n, k, g.panelCols(), 2);
            for (int variant = 1; variant < 4; variant++) {
                boolean aPanels = (variant & 1) != 0, bPanels = (variant & 2) != 0;
                for (Parallelism par : List.of(Parallelism.SINGLE, new Parallelism(3, pool3))) {
                    float[] c = pr.c0().clone();
                    g.sgemmPanels(m, n, k, aPanels ? ap : pr.a(), aPanels ? 3 : pr.aOff(), pr.ars(), pr.acs(), aPanels,
                            bPanels ? bp : pr.b(), bPanels ? 2 : pr.bOff(), pr.brs(), pr.bcs(), bPanels, c, pr.cOff(), pr.ldc(), acc, par);
                    assertArrayEquals(expected, bits(c), g.name() + " " + pr.describe() + " panels A=" + aPanels + " B=" + bPanels
                            + " threads=" + par.threads());
                }
            }
        }
    }

    /**
     * Offsets with runs of {@code run} consecutive values and a gap of 3 between runs, in a random order of rows
     * (so a table is neither strided nor sorted when {@code shuffle}).
     */
    static int[] runs(int count, int run, boolean shuffle, Random rnd) {
        int[] v = new int[count];
        for (int i = 0; i < count; i++) v[i] = i / run * (run + 3) + i % run;
        if (shuffle) {
            for (int i = count - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1), t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
        }
        return v;
    }

    /** The matrix x (element (r, q) at off + r·rs + q·cs) scattered to array[base + rows[r] + cols[q]]. */
    static float[] scatter(float[] x, int off, int rs, int cs, int[] rows, int[] cols, int base) {
        int span = 0;
        for (int r : rows) for (int q : cols) span = Math.max(span, r + q + 1);
        float[] out = new float[base + span + 2];
        java.util.Arrays.fill(out, Float.NaN);              // a wrong offset would show up as NaN
        for (int r = 0; r < rows.length; r++) {
            for (int q = 0; q < cols.length; q++) out[base + rows[r] + cols[q]] = x[off + r * rs + q * cs];
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("randomCases")
    void operandsThroughOffsetTablesGiveTheSameBits(long seed, int m, int n, int k, boolean transA, boolean transB, boolean acc) {
        // A's rows a channel stride apart, its depth in runs; B's depth shuffled, its columns in runs as long as a
        // convolution's output rows (28 covers the core's 16-wide contiguous case, 5 the gathers)
        Random rnd = new Random(seed);
        checkIndexed(seed, m, n, k, transA, transB, acc, runs(k, 5, false, rnd), runs(k, 1 + rnd.nextInt(4), true, rnd),
                runs(n, seed % 2 == 0 ? 28 : 5, false, rnd));
    }

    @ParameterizedTest
    @MethodSource("randomCases")
    void tablesWhoseDepthRunsGiveTheSameBits(long seed, int m, int n, int k, boolean transA, boolean transB, boolean acc) {
        // a weight gradient's operands: depth in long runs (along image rows: 8×8 transposes, partial panels padded by
        // repeating a lane), columns in runs of 5 (filter taps)
        Random rnd = new Random(seed);
        checkIndexed(seed, m, n, k, transA, transB, acc, runs(k, 28, false, rnd), runs(k, 10 + rnd.nextInt(20), false, rnd),
                runs(n, 5, false, rnd));
    }

    @ParameterizedTest
    @MethodSource("randomCases")
    void aWithConsecutiveRowsAndScatteredDepthGivesTheSameBits(long seed, int m, int n, int k, boolean transA, boolean transB, boolean acc) {
        // a forward convolution's patches, transposed: rows (output positions) in runs of 10 along an image row, depth
        // (filter taps) in runs of 5; against few columns (n ≤ 16) the core reads them in place with a narrow rows kernel
        if (m == 0 || k == 0) return;
        Random rnd = new Random(seed);
        int[] aRows = runs(m, 10, false, rnd), aCols = runs(k, 5, false, rnd);
        for (int p = 0; p < k; p++) aCols[p] *= aRows[m - 1] + 1;         // rows and depths never collide
        checkIndexed(seed, m, n, k, transA, transB, acc, aRows, aCols, runs(k, 3, true, rnd), runs(n, 28, false, rnd));
    }

    private void checkIndexed(long seed, int m, int n, int k, boolean transA, boolean transB, boolean acc,
                              int[] aCols, int[] bRows, int[] bCols) {
        if (m == 0 || n == 0 || k == 0) return;
        int aSpan = aCols[k - 1] + 1 + 17;                                  // rows never overlap
        int[] aRows = new int[m];
        for (int i = 0; i < m; i++) aRows[i] = i * aSpan;
        checkIndexed(seed, m, n, k, transA, transB, acc, aRows, aCols, bRows, bCols);
    }

    private void checkIndexed(long seed, int m, int n, int k, boolean transA, boolean transB, boolean acc,
                              int[] aRows, int[] aCols, int[] bRows, int[] bCols) {
        if (m == 0 || n == 0 || k == 0) return;
        Problem pr = Problem.random(seed, m, n, k, transA, transB, acc);
        int bSpan = bCols[n - 1] + 1;
        for (int i = 0; i < k; i++) bRows[i] *= bSpan;
        float[] a = scatter(pr.a(), pr.aOff(), pr.ars(), pr.acs(), aRows, aCols, 4);
        float[] b = scatter(pr.b(), pr.bOff(), pr.brs(), pr.bcs(), bRows, bCols, 1);
        for (Gemm g : implementations()) {
            int[] expected = bits(pr.run(g, Parallelism.SINGLE));
            for (Parallelism par : List.of(Parallelism.SINGLE, new Parallelism(3, pool3))) {
                float[] c = pr.c0().clone();
                g.sgemmIndexed(m, n, k, a, 4, Offsets.of(aRows), Offsets.of(aCols), b, 1, Offsets.of(bRows), Offsets.of(bCols),
                        c, pr.cOff(), pr.ldc(), acc, par);
                assertArrayEquals(expected, bits(c), g.name() + " " + pr.describe() + " indexed, threads=" + par.threads());
                // strided tables take the strided path: same bits again
                float[] cs = pr.c0().clone();
                g.sgemmIndexed(m, n, k, pr.a(), pr.aOff(), stridedFrom(m, pr.ars()), stridedFrom(k, pr.acs()),
                        pr.b(), pr.bOff(), stridedFrom(k, pr.brs()), stridedFrom(n, pr.bcs()), cs, pr.cOff(), pr.ldc(), acc, par);
                assertArrayEquals(expected, bits(cs), g.name() + " " + pr.describe() + " strided tables, threads=" + par.threads());
            }
        }
    }

    private static Offsets stridedFrom(int count, int stride) {
        Offsets o = Offsets.strided(count, stride);
        assertEquals(count > 1 ? stride : 0, o.stride(), "an arithmetic table knows its stride");
        return o;
    }

    @Test
    void offsetTablesOutsideTheArrayAreRejected() {
        float[] a = new float[10], b = new float[10], c = new float[4];
        Offsets two = Offsets.of(new int[] {0, 1}), far = Offsets.of(new int[] {0, 9, 1});   // not arithmetic: stays a table
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () ->
                Gemm.best().sgemmIndexed(2, 2, 2, a, 1, two, far, b, 0, two, two, c, 0, 2, false, Parallelism.SINGLE));
        assertTrue(e.getMessage().contains("A indexed view [1, 11]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () ->
                Gemm.best().sgemmIndexed(3, 2, 2, a, 0, two, two, b, 0, two, two, new float[6], 0, 2, false, Parallelism.SINGLE));
        assertTrue(Offsets.of(runs(64, 28, false, new Random(1))).mostlyContiguous());
        assertTrue(!Offsets.of(runs(64, 5, false, new Random(1))).mostlyContiguous());
    }

    @Test
    void bestIsTheVectorImplementationUnderTest() {
        // surefire runs with --add-modules jdk.incubator.vector (kiln.test.argLine)
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
        assertTrue(Gemm.vectorized(), Gemm.best().name());
        assertTrue(Gemm.best().name().startsWith("vector-"), Gemm.best().name());
        assertTrue(Gemm.scalar().name().startsWith("scalar"));
    }

    @Test
    void threadCountDoesNotChangeBitsOnLargerProblems() {
        for (int[] s : new int[][] {{256, 256, 256}, {300, 257, 520}, {1000, 40, 70}, {20, 700, 90}}) {
            Problem pr = Problem.random(s[0] * 31L + s[2], s[0], s[1], s[2], false, false, true);
            int[] one = bits(pr.run(Gemm.best(), Parallelism.SINGLE));
            for (Parallelism par : List.of(Parallelism.shared(2), new Parallelism(2, pool3), new Parallelism(3, pool3),
                    Parallelism.shared(3), new Parallelism(4, pool3))) {
                assertArrayEquals(one, bits(pr.run(Gemm.best(), par)), pr.describe() + " threads=" + par.threads());
            }
            // and between repeated calls (buffers reused)
            assertArrayEquals(one, bits(pr.run(Gemm.best(), Parallelism.SINGLE)));
            pr.check(pr.run(Gemm.best(), Parallelism.shared(2)), "best/2");
        }
    }

    @Test
    void scalarMatchesReferenceOnLargerProblem() {
        Problem pr = Problem.random(99, 150, 130, 600, true, false, true);
        float[] c = pr.run(Gemm.scalar(), Parallelism.SINGLE);
        pr.check(c, "scalar");
        assertArrayEquals(bits(c), bits(pr.run(Gemm.scalar(), new Parallelism(3, pool3))));
        assertArrayEquals(bits(c), bits(pr.run(Gemm.best(), Parallelism.SINGLE)));
    }

    @Test
    void kZeroOverwritesOrKeeps() {
        for (Gemm g : List.of(Gemm.best(), Gemm.scalar())) {
            float[] c = {1, 2, 3, 4, 5, 6, 7};
            g.sgemm(2, 3, 0, new float[0], 0, 0, 1, new float[0], 0, 3, 1, c, 0, 3, true, Parallelism.SINGLE);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7}, c);
            g.sgemm(2, 3, 0, new float[0], 0, 0, 1, new float[0], 0, 3, 1, c, 1, 3, false, Parallelism.SINGLE);
            assertArrayEquals(new float[] {1, 0, 0, 0, 0, 0, 0}, c);
        }
    }

    @Test
    void oneByOneByOne() {
        for (Gemm g : List.of(Gemm.best(), Gemm.scalar())) {
            float[] c = {10, 1};
            g.sgemm(1, 1, 1, new float[] {3}, 0, 1, 1, new float[] {0, 4}, 1, 1, 1, c, 1, 1, false, Parallelism.SINGLE);
            assertArrayEquals(new float[] {10, 12}, c);
            g.sgemm(1, 1, 1, new float[] {3}, 0, 1, 1, new float[] {4}, 0, 1, 1, c, 1, 1, true, Parallelism.shared(2));
            assertArrayEquals(new float[] {10, 24}, c);
        }
    }

    @Test
    void rowMajorConvenience() {
        float[] a = {1, 2, 3, 4, 5, 6};          // 2x3
        float[] b = {7, 8, 9, 10, 11, 12};       // 3x2
        float[] c = new float[4];
        Gemm.best().sgemm(2, 2, 3, a, b, c, false, Parallelism.SINGLE);
        assertArrayEquals(new float[] {58, 64, 139, 154}, c);
    }

    @Test
    void executorThatDropsOrRejectsTasksStillCompletes() {
        Problem pr = Problem.random(7, 200, 200, 100, false, false, false);
        int[] one = bits(pr.run(Gemm.best(), Parallelism.SINGLE));
        Parallelism dropping = new Parallelism(4, r -> {});
        Parallelism rejecting = new Parallelism(4, r -> { throw new RejectedExecutionException("full"); });
        assertArrayEquals(one, bits(pr.run(Gemm.best(), dropping)));
        assertArrayEquals(one, bits(pr.run(Gemm.best(), rejecting)));
        assertArrayEquals(one, bits(pr.run(Gemm.scalar(), dropping)));
    }

    @Test
    void concurrentCallersShareTheImplementation() throws Exception {
        Problem pr = Problem.random(11, 120, 90, 130, true, false, false);
        int[] one = bits(pr.run(Gemm.best(), Parallelism.SINGLE));
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<int[]>> fs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                Parallelism par = i % 2 == 0 ? Parallelism.SINGLE : Parallelism.shared(2);
                fs.add(callers.submit(() -> bits(pr.run(Gemm.best(), par))));
            }
            for (var f : fs) assertArrayEquals(one, f.get());
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void negativeAndZeroStrides() {
        Random rnd = new Random(5);
        int m = 37, n = 45, k = 29;
        float[] a = fill(rnd, m * k), b = fill(rnd, k), c0 = fill(rnd, m * n);
        // A viewed upside down (row stride -k), B[p][j] = b[p] for every j (column stride 0)
        double[] ref = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = c0[i * n + j];
                for (int p = 0; p < k; p++) s += (double) a[(m - 1 - i) * k + p] * b[p];
                ref[i * n + j] = s;
            }
        }
        int[] first = null;
        for (Gemm g : implementations()) {
            for (Parallelism par : List.of(Parallelism.SINGLE, new Parallelism(3, pool3))) {
                float[] c = c0.clone();
                g.sgemm(m, n, k, a, (m - 1) * k, -k, 1, b, 0, 1, 0, c, 0, n, true, par);
                for (int q = 0; q < c.length; q++) {
                    assertEquals(ref[q], c[q], 1e-4 * (Math.abs(ref[q]) + k), g.name() + " at " + q);
                }
                if (first == null) first = bits(c);
                else assertArrayEquals(first, bits(c), g.name());
            }
        }
    }

    @Test
    void rejectsBadArguments() {
        Gemm g = Gemm.best();
        float[] x = new float[16];
        assertThrows(IllegalArgumentException.class, () -> g.sgemm(-1, 2, 2, x, 0, 2, 1, x, 0, 2, 1, x, 0, 2, false, Parallelism.SINGLE));
        assertThrows(IndexOutOfBoundsException.class, () -> g.sgemm(4, 4, 4, x, 1, 4, 1, x, 0, 4, 1, new float[16], 0, 4, false, Parallelism.SINGLE));
        assertThrows(IndexOutOfBoundsException.class, () -> g.sgemm(4, 4, 4, x, 0, 4, 1, x, 0, 4, 1, new float[15], 0, 4, false, Parallelism.SINGLE));
        assertThrows(IllegalArgumentException.class, () -> new Parallelism(0, null));
        assertThrows(NullPointerException.class, () -> new Parallelism(2, null));
        assertEquals(1, Parallelism.single().threads());
    }
}
