package dev.kiln.codegen.jvm.gemm;

import java.util.Arrays;

/**
 * GotoBLAS/BLIS-style driver shared by the implementations.
 *
 * <p>Loop nest (single thread): {@code ic} (MC rows of A) → {@code pc} (≤ KC deep, balanced) → pack A block
 * {@code mc × kc} into {@code MR × kc} k-major micro-panels → {@code jc} (NC columns) → pack B block
 * {@code kc × nc} into {@code kc × NR} micro-panels (L2-resident) → {@code ir} (MR) → {@code jr} (NR)
 * → micro-kernel. The A micro-panel stays in L1 while the B micro-panels stream from L2; packed
 * panels are padded to whole micro-tiles (zeros, or copies of a used lane: padding products are
 * discarded), and packing reads through the caller's strides, so transposed views cost nothing extra.
 * Variations: a small row-major B read by few row tiles is read in place ({@link Tiles}); a last tile of
 * a few columns runs for four row tiles at once ({@link #narrowTiles}); an A with scattered rows whose
 * depth runs consecutively, against a one-panel B, is read in place row by row ({@link #serialRows}).
 *
 * <p>Threads: C is split into contiguous ranges of whole tiles. Split along N, the threads first
 * pack the shared A block together, then each packs and multiplies its own B columns; split along M
 * (only when that balances better, i.e. few column tiles), each thread runs the serial nest on its
 * rows.
 *
 * <p>Every C element is the fma chain {@code c = fma(A[i][p], B[p][j], c)}, p ascending, starting
 * from C (accumulate, or a later k block, which reloads the stored float) or from 0: neither the
 * tiling nor the thread count changes the bits.
 */
abstract class BlockedGemm implements Gemm {

    /** Micro-tile rows / columns (the kernel's register block). */
    final int mr, nr;
    /** Cache blocking: rows of A per packed block, depth per block, columns of B per packed block. */
    final int mcBlock, kcBlock, ncBlock;

    /**
     * Column chunks per thread when splitting N: threads claim chunks dynamically, so a thread slowed
     * down (a busy core, a late wake-up) takes fewer; chunks cost little (B is packed per chunk anyway).
     */
    static final int CHUNKS_PER_THREAD = 4;

    private final ThreadLocal<Workspace> workspaces = ThreadLocal.withInitial(Workspace::new);

    BlockedGemm(int mr, int nr, int mcBlock, int kcBlock, int ncBlock) {
        if (mr < 1 || nr < 1 || kcBlock < 1 || mcBlock < mr || ncBlock < nr || mcBlock % mr != 0 || ncBlock % nr != 0) {
            throw new IllegalArgumentException("bad blocking " + mr + "x" + nr + " mc=" + mcBlock + " kc=" + kcBlock + " nc=" + ncBlock);
        }
        this.mr = mr;
        this.nr = nr;
        this.mcBlock = mcBlock;
        this.kcBlock = kcBlock;
        this.ncBlock = ncBlock;
    }

    /**
     * Full tile: {@code C[i][j] = fma chain over p < kc of ap[ao + p*mr + i] * bp[bo + p*nr + j]},
     * starting from {@code C[i][j]} if {@code load}, else from 0; C at {@code c[co + i*ldc + j]},
     * i < mr, j < nr.
     */
    abstract void kernel(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load);

    /** Whether {@link #stridedKernel} exists, so small row-major B operands can be read in place ({@link Tiles}). */
    boolean readsBInPlace() {
        return false;
    }

    /** {@link #kernel} with B read in place, {@code bs} apart per k-step: {@code bp[bo + p*bs + j]}. */
    void stridedKernel(int kc, float[] ap, int ao, float[] bp, int bo, int bs, float[] c, int co, int ldc, boolean load) {
        throw new UnsupportedOperationException("no strided kernel in " + name());
    }

    /** Per-thread pack buffers, grown on demand and then reused (steady state allocates nothing large). */
    static final class Workspace {
        float[] ap = new float[0];
        float[] bp = new float[0];
        float[] tile = new float[0];
        /** A row tile's row offsets, for {@link #serialRows}. */
        final int[] rowOffsets = new int[8];
        /** This thread's current call's operands, and where its current block's tiles are. */
        final Src a = new Src(), b = new Src();
        final Tiles at = new Tiles(), bt = new Tiles();
    }

    /**
     * Where the micro-kernel reads one block's tiles of an operand: tile t (rows or columns t·width ..) at
     * {@code array[base + t·stride]}, one depth step further every {@code step}; tiles from {@code split} on come from
     * the pack buffer {@code rest} instead (tile {@code split + u} at {@code rest[u·restStride]}, step {@code restStep}).
     * Packed blocks are all in {@code rest} layout already (split 0); operands read in place have their partial tile, if
     * any, packed. Mutable and per thread, so a call allocates nothing.
     */
    static final class Tiles {
        private float[] array, rest;
        private int base, stride, step, split, restStride, restStep;
        private boolean direct;

        /** Every tile packed (or given in panel layout): tile t at {@code array[base + t·stride]}, step {@code step}. */
        Tiles packed(float[] array, int base, int stride, int step) {
            direct = false;
            return set(array, base, stride, step, Integer.MAX_VALUE, null, 0, 0);
        }

        /** Tiles below {@code split} read in place, the rest packed into {@code rest} (width·kc floats per tile). */
        Tiles inPlace(float[] array, int base, int stride, int step, int split, float[] rest, int restStride, int restStep) {
            direct = true;
            return set(array, base, stride, step, split, rest, restStride, restStep);
        }

        private Tiles set(float[] array, int base, int stride, int step, int split, float[] rest, int restStride, int restStep) {
            this.array = array;
            this.base = base;
            this.stride = stride;
            this.step = step;
            this.split = split;
            this.rest = rest;
            this.restStride = restStride;
            this.restStep = restStep;
            return this;
        }

        float[] array(int t) { return t < split ? array : rest; }

        /** Whether tile t is read in place (else packed, {@code step} = the panel width). */
        boolean inPlace(int t) { return direct && t < split; }

        int offset(int t) { return t < split ? base + t * stride : (t - split) * restStride; }

        int step(int t) { return t < split ? step : restStep; }
    }

    /**
     * A row-major B at most this large (k·n floats) is read in place when few row tiles read it again: packing B then
     * costs more than reading its rows with their stride (seed002's 1000×100 weights, 64 rows: 15 µs of a 150 µs
     * product), while a larger one would spread each k-step's 32 columns over too many pages, and many row tiles
     * (256³: 32) read the strided rows more slowly than they pay for a pack (337-374 → 381-395 µs).
     */
    static final int IN_PLACE_B = 128 * 1024, IN_PLACE_B_ROWS = 64;

    /** Whether B's full tiles are read in place (row-major, small): the kernel then steps by B's row stride. */
    private boolean bInPlace(Src b, int k, int n, int rows) {
        return readsBInPlace() && !b.panels() && b.rows() == null && b.cs() == 1 && (long) k * n <= IN_PLACE_B && n >= nr
                && rows <= IN_PLACE_B_ROWS;
    }


    /**
     * A's tiles for rows [ic, ic + mc) × depths [pc, pc + kc), packed into {@code buffer} unless given in panel layout.
     * (Read in place, a column-major A's tiles were slower than packed: m = 1000, n = 100, k = 64 went 136 → 142 µs.)
     */
    private Tiles aTiles(Tiles t, Src a, int ic, int mc, int pc, int kc, int k, float[] buffer) {
        if (a.panels()) return t.packed(a.array(), panelBlock(a.offset(), ic, mr, k, pc), mr * k, mr);
        packA(a, ic, pc, mc, kc, buffer, 0);
        return t.packed(buffer, 0, mr * kc, mr);
    }

    /** B's tiles for depths [pc, pc + kc) × columns [jc, jc + nc) of a k × n operand, packing what isn't read in place. */
    private Tiles bTiles(Tiles t, Src b, int pc, int kc, int jc, int nc, int k, int n, int rows, float[] buffer) {
        if (b.panels()) return t.packed(b.array(), panelBlock(b.offset(), jc, nr, k, pc), nr * k, nr);
        if (bInPlace(b, k, n, rows)) {
            int full = nc / nr;
            if (full * nr < nc) packB(b, pc, jc + full * nr, kc, nc - full * nr, buffer, 0);
            return t.inPlace(b.array(), b.offset() + pc * b.rs() + jc, nr, b.rs(), full, buffer, nr * kc, nr);
        }
        packB(b, pc, jc, kc, nc, buffer, 0);
        return t.packed(buffer, 0, nr * kc, nr);
    }

    private Workspace workspace(int apSize, int bpSize) {
        Workspace ws = workspaces.get();
        if (ws.ap.length < apSize) ws.ap = new float[apSize];
        if (ws.bp.length < bpSize) ws.bp = new float[bpSize];
        if (ws.tile.length < mr * nr) ws.tile = new float[mr * nr];
        return ws;
    }

    @Override
    public final void sgemm(int m, int n, int k,
                            float[] a, int aOffset, int aRowStride, int aColStride,
                            float[] b, int bOffset, int bRowStride, int bColStride,
                            float[] c, int cOffset, int ldc,
                            boolean accumulate, Parallelism par) {
        Workspace ws = workspaces.get();
        multiply(m, n, k, ws.a.strided(a, aOffset, aRowStride, aColStride), ws.b.strided(b, bOffset, bRowStride, bColStride),
                c, cOffset, ldc, accumulate, par);
    }

    @Override public final int panelRows() { return mr; }

    @Override public final int panelCols() { return nr; }

    @Override
    public final void sgemmPanels(int m, int n, int k,
                                  float[] a, int aOffset, int aRowStride, int aColStride, boolean aPanels,
                                  float[] b, int bOffset, int bRowStride, int bColStride, boolean bPanels,
                                  float[] c, int cOffset, int ldc, boolean accumulate, Parallelism par) {
        Workspace ws = workspaces.get();
        multiply(m, n, k, aPanels ? ws.a.panels(a, aOffset) : ws.a.strided(a, aOffset, aRowStride, aColStride),
                bPanels ? ws.b.panels(b, bOffset) : ws.b.strided(b, bOffset, bRowStride, bColStride), c, cOffset, ldc, accumulate, par);
    }

    @Override
    public final void sgemmIndexed(int m, int n, int k, float[] a, int aOffset, Offsets aRows, Offsets aCols,
                                   float[] b, int bOffset, Offsets bRows, Offsets bCols,
                                   float[] c, int cOffset, int ldc, boolean accumulate, Parallelism par) {
        if (aRows.count() < m || aCols.count() < k || bRows.count() < k || bCols.count() < n) {
            throw new IllegalArgumentException("offset tables shorter than the product: A " + aRows.count() + "×" + aCols.count()
                    + ", B " + bRows.count() + "×" + bCols.count() + " for m=" + m + " n=" + n + " k=" + k);
        }
        Workspace ws = workspaces.get();
        multiply(m, n, k, ws.a.indexed(a, aOffset, aRows, aCols), ws.b.indexed(b, bOffset, bRows, bCols), c, cOffset, ldc, accumulate, par);
    }

    /**
     * An operand as the driver reads it: element (r, q) at {@code array[offset + rows[r] + cols[q]]} when indexed,
     * {@code array[offset + r·rs + q·cs]} when strided (rows null), or already in panel layout. Two per thread, in its
     * {@link Workspace}, set at each call: a compiled step must not allocate per GEMM.
     */
    static final class Src {
        private float[] array;
        private int offset, rs, cs;
        private Offsets rows, cols;
        private boolean panels;

        Src strided(float[] x, int offset, int rs, int cs) { return set(x, offset, rs, cs, null, null, false); }

        Src panels(float[] x, int offset) { return set(x, offset, 0, 0, null, null, true); }

        /** Arithmetic tables become strides, so such operands keep the strided packers' fast paths. */
        Src indexed(float[] x, int offset, Offsets rows, Offsets cols) {
            if (rows.stride() != null && cols.stride() != null) return strided(x, offset, rows.stride(), cols.stride());
            return set(x, offset, 0, 0, rows, cols, false);
        }

        private Src set(float[] x, int offset, int rs, int cs, Offsets rows, Offsets cols, boolean panels) {
            this.array = x;
            this.offset = offset;
            this.rs = rs;
            this.cs = cs;
            this.rows = rows;
            this.cols = cols;
            this.panels = panels;
            return this;
        }

        float[] array() { return array; }
        int offset() { return offset; }
        int rs() { return rs; }
        int cs() { return cs; }
        Offsets rows() { return rows; }
        Offsets cols() { return cols; }
        boolean panels() { return panels; }
    }

    private void multiply(int m, int n, int k, Src a, Src b, float[] c, int cOffset, int ldc, boolean accumulate, Parallelism par) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("negative size: m=" + m + " n=" + n + " k=" + k);
        if (par == null) par = Parallelism.SINGLE;
        if (m == 0 || n == 0) return;
        if (m > 1 && ldc < n) throw new IllegalArgumentException("ldc < n: " + ldc + " < " + n);
        checkRange("C", c, cOffset, m, ldc, n, 1);
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) Arrays.fill(c, cOffset + i * ldc, cOffset + i * ldc + n, 0f);
            }
            return;
        }
        checkOperand("A", a, m, k, roundUp(m, mr) * k);
        checkOperand("B", b, k, n, roundUp(n, nr) * k);
        boolean strided = !a.panels() && !b.panels() && a.rows() == null && b.rows() == null;
        if ((long) m * n * k <= SMALL_WORK && small() != this && strided) {
            // tiny: packing does not pay off, and the scalar code needs no JIT warm-up to run
            // allocation-free (same fma chains, so the same bits)
            small().sgemm(m, n, k, a.array(), a.offset(), a.rs(), a.cs(), b.array(), b.offset(), b.rs(), b.cs(),
                    c, cOffset, ldc, accumulate, Parallelism.SINGLE);
            return;
        }
        final int t = par.threads();
        final int mTiles = (m + mr - 1) / mr, nTiles = (n + nr - 1) / nr;
        if (readsRowsInPlace(a, n)) {
            if (t <= 1 || mTiles == 1 || (long) m * n * k < 64L * 64 * 64) {
                serialRows(0, m, n, k, a, b, c, cOffset, ldc, accumulate);
            } else {
                int tm = Math.min(t, mTiles);
                Parallel.forEach(par, tm, chunk -> {
                    int t0 = share(mTiles, chunk, tm), t1 = share(mTiles, chunk + 1, tm);
                    serialRows(t0 * mr, Math.min(m, t1 * mr), n, k, a, b, c, cOffset, ldc, accumulate);
                });
            }
            return;
        }
        if (t <= 1 || (long) m * n * k < 64L * 64 * 64 || (mTiles == 1 && nTiles == 1)) {
            serial(0, m, 0, n, k, a, b, c, cOffset, ldc, accumulate);
            return;
        }
        // Per-thread work with each split, ∝ (largest share of tiles) × tile size × other dimension.
        int tn = Math.min(t, nTiles), tm = Math.min(t, mTiles);
        long nWork = (long) ((nTiles + tn - 1) / tn) * nr * m;
        long mWork = (long) ((mTiles + tm - 1) / tm) * mr * n;
        if (nWork <= mWork) {
            parallelOverN(m, n, k, Math.min(nTiles, t * CHUNKS_PER_THREAD), nTiles, a, b, c, cOffset, ldc, accumulate, par);
        } else {
            Parallel.forEach(par, tm, chunk -> {
                int t0 = share(mTiles, chunk, tm), t1 = share(mTiles, chunk + 1, tm);
                serial(t0 * mr, Math.min(m, t1 * mr), 0, n, k, a, b, c, cOffset, ldc, accumulate);
            });
        }
    }

    /**
     * Checks that every element an operand view of rows × cols can address lies inside its array (for tables: any
     * entry; in panel layout: all {@code panelSize} values, padding included).
     */
    private static void checkOperand(String what, Src x, int rows, int cols, int panelSize) {
        if (x.array() == null) throw new NullPointerException(what);
        if (x.panels()) {
            checkRange(what + " panels", x.array(), x.offset(), 1, 0, panelSize, 1);
        } else if (x.rows() == null) {
            checkRange(what, x.array(), x.offset(), rows, x.rs(), cols, x.cs());
        } else {
            long lo = (long) x.offset() + x.rows().min() + x.cols().min();
            long hi = (long) x.offset() + x.rows().max() + x.cols().max();
            if (lo < 0 || hi >= x.array().length) {
                throw new IndexOutOfBoundsException(what + " indexed view [" + lo + ", " + hi + "] outside array of length " + x.array().length);
            }
        }
    }

    /** The implementation for tiny problems (this one by default). */
    BlockedGemm small() {
        return this;
    }

    private static int share(int total, int chunk, int chunks) {
        return (int) ((long) total * chunk / chunks);
    }

    private static void checkRange(String what, float[] x, int off, int rows, int rs, int cols, int cs) {
        if (x == null) throw new NullPointerException(what);
        long lo = off, hi = off;
        long r = (long) (rows - 1) * rs, q = (long) (cols - 1) * cs;
        if (r < 0) lo += r; else hi += r;
        if (q < 0) lo += q; else hi += q;
        if (lo < 0 || hi >= x.length) {
            throw new IndexOutOfBoundsException(what + " view [" + lo + ", " + hi + "] outside array of length " + x.length);
        }
    }

    /**
     * Whether A is read in place through its offset tables, row by row ({@link #rowsKernel}), instead of packed, against a
     * B one panel wide (a convolution's few output channels): where A's rows are scattered (a weight gradient's filter
     * taps, which would pack one element at a time) while its depth runs consecutively (along image rows); or where B is
     * at most half a panel, which the rows kernel covers with a narrower tile than the packed kernels' (a forward
     * convolution's patches, transposed, against 16 channels: 840 -> 455 us for LeNet's conv2, packed vs in place).
     */
    private boolean readsRowsInPlace(Src a, int n) {
        return a.rows() != null && (readsRowsNarrowly(n)
                || (n <= nr && rowsKernelWidth(n) > 0 && !a.rows().mostlyContiguous() && a.cols().mostlyContiguous()));
    }

    /** The column count of the {@link #rowsKernel} that covers n ≤ nr columns, or 0 when there is none. */
    int rowsKernelWidth(int n) {
        return 0;
    }

    @Override public final boolean readsRowsNarrowly(int n) {
        return n <= nr && rowsKernelWidth(n) > 0 && rowsKernelWidth(n) < nr;
    }

    /**
     * Full tile with A read in place: {@code C[i][j] = fma chain over p < kc of a[rows[i] + depth[d0 + p]] * bp[bo + p*bs + j]}
     * for i < 8 and j < {@code cols} (a width {@link #rowsKernelWidth} returned), starting from C if {@code load}.
     */
    void rowsKernel(int kc, float[] a, int[] rows, int[] depth, int d0, float[] bp, int bo, int bs, float[] c, int co, int ldc,
                    boolean load, int cols) {
        throw new UnsupportedOperationException("no in-place rows kernel in " + name());
    }

    /**
     * Rows [i0, i1) of C (all n ≤ nr columns) with A read in place ({@link #readsRowsInPlace}): per k block, B packed
     * once, then each tile of 8 rows through {@link #rowsKernel}, a partial tile on the scratch tile (its missing rows
     * repeat the first one's offset; their products are discarded). Same fma chains, so the same bits.
     */
    private void serialRows(int i0, int i1, int n, int k, Src a, Src b, float[] c, int cOff, int ldc, boolean accumulate) {
        final int kcStep = kcFor(k), kcMax = Math.min(kcStep, k), width = rowsKernelWidth(n);
        Workspace ws = workspace(0, b.panels() ? 0 : nr * kcMax);
        int[] rows = a.rows().values(), depth = a.cols().values(), offsets = ws.rowOffsets;
        for (int pc = 0; pc < k; pc += kcStep) {
            int kc = Math.min(kcStep, k - pc);
            Tiles bt = bTiles(ws.bt, b, pc, kc, 0, n, k, n, i1 - i0, ws.bp);
            float[] bp = bt.array(0);
            int bo = bt.offset(0), bs = bt.step(0);
            boolean load = accumulate || pc > 0;
            for (int ir = i0; ir < i1; ir += 8) {
                int h = Math.min(8, i1 - ir), co = cOff + ir * ldc;
                for (int r = 0; r < 8; r++) offsets[r] = a.offset() + rows[ir + (r < h ? r : 0)];
                if (h == 8 && n == width) {
                    rowsKernel(kc, a.array(), offsets, depth, pc, bp, bo, bs, c, co, ldc, load, width);
                    continue;
                }
                float[] tile = ws.tile;
                if (load) {
                    for (int i = 0; i < h; i++) for (int j = 0; j < n; j++) tile[i * nr + j] = c[co + i * ldc + j];
                }
                rowsKernel(kc, a.array(), offsets, depth, pc, bp, bo, bs, tile, 0, nr, load, width);
                for (int i = 0; i < h; i++) for (int j = 0; j < n; j++) c[co + i * ldc + j] = tile[i * nr + j];
            }
        }
    }

    /** The k-block depth: at most kcBlock, blocks of near-equal depth (a multiple of 8 but the last). */
    final int kcFor(int k) {
        int blocks = (k + kcBlock - 1) / kcBlock;
        return Math.min(kcBlock, roundUp((k + blocks - 1) / blocks, 8));
    }

    /** Packs rows [r0, r0 + mc) × depths [p0, p0 + kc) of A into micro-panels at {@code apOff}. */
    private void packA(Src a, int r0, int p0, int mc, int kc, float[] ap, int apOff) {
        if (a.rows() == null) packA(a.array(), a.offset() + r0 * a.rs() + p0 * a.cs(), a.rs(), a.cs(), mc, kc, ap, apOff);
        else packAIndexed(a.array(), a.offset(), a.rows().values(), r0, a.cols().values(), p0, mc, kc, ap, apOff, a.cols().mostlyContiguous());
    }

    /** Packs depths [p0, p0 + kc) × columns [j0, j0 + nc) of B into micro-panels at {@code bpOff}. */
    private void packB(Src b, int p0, int j0, int kc, int nc, float[] bp, int bpOff) {
        if (b.rows() == null) packB(b.array(), b.offset() + p0 * b.rs() + j0 * b.cs(), b.rs(), b.cs(), kc, nc, bp, bpOff);
        else packBIndexed(b.array(), b.offset(), b.rows().values(), p0, b.cols().values(), j0, kc, nc, bp, bpOff, b.rows().mostlyContiguous());
    }

    /** C[i0..i1)[j0..j1) on the current thread (allocates nothing once the buffers have grown); i0, j0 start whole tiles. */
    private void serial(int i0, int i1, int j0, int j1, int k, Src a, Src b, float[] c, int cOff, int ldc, boolean accumulate) {
        final int kcStep = kcFor(k), kcMax = Math.min(kcStep, k);
        Workspace ws = workspace(a.panels() ? 0 : Math.min(mcBlock, roundUp(i1 - i0, mr)) * kcMax,
                b.panels() ? 0 : Math.min(ncBlock, roundUp(j1 - j0, nr)) * kcMax);
        for (int ic = i0; ic < i1; ic += mcBlock) {
            int mc = Math.min(mcBlock, i1 - ic);
            for (int pc = 0; pc < k; pc += kcStep) {
                int kc = Math.min(kcStep, k - pc);
                Tiles at = aTiles(ws.at, a, ic, mc, pc, kc, k, ws.ap);
                for (int jc = j0; jc < j1; jc += ncBlock) {
                    int nc = Math.min(ncBlock, j1 - jc);
                    Tiles bt = bTiles(ws.bt, b, pc, kc, jc, nc, k, j1, mc, ws.bp);       // j1 is n: rows split, columns never
                    macro(mc, nc, kc, at, bt, c, cOff + ic * ldc + jc, ldc, accumulate || pc > 0, ws.tile);
                }
            }
        }
    }

    /**
     * Where depth {@code pc} of the panel holding row (or column) {@code first} (a multiple of {@code width}) starts,
     * in panel layout: element (i, p) at {@code off + ((i / width) * k + p) * width + i % width}.
     */
    private static int panelBlock(int off, int first, int width, int k, int pc) {
        return off + (first / width * k + pc) * width;
    }

    /** Threads split the columns; per (ic, pc) block they pack A together, then each its own B. */
    private void parallelOverN(int m, int n, int k, int chunks, int nTiles, Src a, Src b, float[] c, int cOff, int ldc,
                               boolean accumulate, Parallelism par) {
        final int kcStep = kcFor(k), kcMax = Math.min(kcStep, k);
        final int mcMax = Math.min(mcBlock, roundUp(m, mr));
        final int ncMax = Math.min(ncBlock, roundUp((nTiles + chunks - 1) / chunks * nr, nr));
        final Workspace caller = workspace(a.panels() ? 0 : mcMax * kcMax, 0);   // the caller's A buffer is the shared one
        final float[] ap = caller.ap;
        for (int ic = 0; ic < m; ic += mcBlock) {
            final int icF = ic, mc = Math.min(mcBlock, m - ic);
            final int panels = (mc + mr - 1) / mr;
            for (int pc = 0; pc < k; pc += kcStep) {
                final int pcF = pc, kc = Math.min(kcStep, k - pc);
                final Tiles at;
                if (a.panels()) {
                    at = aTiles(caller.at, a, ic, mc, pc, kc, k, ap);                // nothing to pack
                } else {
                    final int packChunks = Math.min(chunks, panels);
                    Parallel.forEach(par, packChunks, chunk -> {
                        int p0 = share(panels, chunk, packChunks), p1 = share(panels, chunk + 1, packChunks);
                        int r0 = p0 * mr, r1 = Math.min(mc, p1 * mr);
                        packA(a, icF + r0, pcF, r1 - r0, kc, ap, r0 * kc);
                    });
                    at = caller.at.packed(ap, 0, mr * kc, mr);
                }
                final boolean load = accumulate || pc > 0;
                Parallel.forEach(par, chunks, chunk -> {
                    int j0 = share(nTiles, chunk, chunks) * nr, j1 = Math.min(n, share(nTiles, chunk + 1, chunks) * nr);
                    Workspace ws = workspace(0, b.panels() ? 0 : ncMax * kcMax);
                    for (int jc = j0; jc < j1; jc += ncBlock) {
                        int nc = Math.min(ncBlock, j1 - jc);
                        Tiles bt = bTiles(ws.bt, b, pcF, kc, jc, nc, k, n, mc, ws.bp);
                        macro(mc, nc, kc, at, bt, c, cOff + icF * ldc + jc, ldc, load, ws.tile);
                    }
                });
            }
        }
    }

    /** C block (mc × nc at co) from A's and B's tiles (each kc deep; A's always packed). */
    private void macro(int mc, int nc, int kc, Tiles at, Tiles bt, float[] c, int co, int ldc, boolean load, float[] tile) {
        final int mr = this.mr, nr = this.nr;
        // a last tile of at most narrowColumns() columns runs for 4 row tiles at once (narrowTiles), after the rest
        final int lastJr = (nc - 1) / nr * nr, edge = nc - lastJr, lastTb = lastJr / nr;
        final boolean narrow = edge < nr && edge <= narrowColumns() && !bt.inPlace(lastTb);
        for (int ir = 0; ir < mc; ir += mr) {
            int h = Math.min(mr, mc - ir), ta = ir / mr;
            float[] ap = at.array(ta);
            int ao = at.offset(ta);
            int rowC = co + ir * ldc;
            for (int jr = 0; jr < nc; jr += nr) {
                int w = Math.min(nr, nc - jr), tb = jr / nr;
                if (narrow && h == mr && jr == lastJr) continue;
                float[] bp = bt.array(tb);
                int bo = bt.offset(tb);
                if (bt.inPlace(tb)) {
                    stridedTile(kc, ap, ao, bp, bo, bt.step(tb), c, rowC + jr, ldc, load, h, tile);
                } else if (h == mr && w == nr) {
                    kernel(kc, ap, ao, bp, bo, c, rowC + jr, ldc, load);
                } else {
                    edgeTile(kc, ap, ao, bp, bo, c, rowC + jr, ldc, load, h, w, tile);
                }
            }
        }
        if (narrow) {
            int full = mc / mr;                                      // row tiles of mr rows (a partial one went above)
            for (int t = 0; t < full; t += 4) {
                int count = Math.min(4, full - t);
                narrowTiles(kc, at.array(t), at.offset(t), count > 1 ? at.offset(t + 1) - at.offset(t) : 0, count,
                        bt.array(lastTb), bt.offset(lastTb), c, co + t * mr * ldc + lastJr, ldc, load, edge, tile);
            }
        }
    }

    /** The most columns {@link #narrowTiles} handles (0: none). */
    int narrowColumns() {
        return 0;
    }

    /**
     * The last, narrow tile (w ≤ {@link #narrowColumns} columns) of {@code count} ≤ 4 consecutive full-height row tiles,
     * whose packed A panels start at {@code ao} and lie {@code aStride} apart: the same fma chains as {@link #kernel}
     * for those columns. One row tile's few columns alone leave the k-loop waiting on FMA latency (m=1000 n=97 k=64
     * took 17 µs more than n=96); four give it independent chains. {@code tile} is scratch.
     */
    void narrowTiles(int kc, float[] ap, int ao, int aStride, int count, float[] bp, int bo, float[] c, int co, int ldc,
                     boolean load, int w, float[] tile) {
        throw new UnsupportedOperationException("no narrow tile kernel in " + name());
    }

    /** A tile of all nr columns with B read in place: straight into C, or for h < mr rows on the scratch tile. */
    private void stridedTile(int kc, float[] ap, int ao, float[] bp, int bo, int bs, float[] c, int co, int ldc, boolean load,
                             int h, float[] tile) {
        final int nr = this.nr;
        if (h == mr) {
            stridedKernel(kc, ap, ao, bp, bo, bs, c, co, ldc, load);
            return;
        }
        if (load) {
            for (int i = 0; i < h; i++) for (int j = 0; j < nr; j++) tile[i * nr + j] = c[co + i * ldc + j];
        }
        stridedKernel(kc, ap, ao, bp, bo, bs, tile, 0, nr, load);
        for (int i = 0; i < h; i++) for (int j = 0; j < nr; j++) c[co + i * ldc + j] = tile[i * nr + j];
    }

    /**
     * A partial tile (h ≤ mr rows, w ≤ nr columns): the smallest kernel shape that covers it ({@link #cover}), straight
     * into C when that shape fits exactly, else on a scratch tile of which the valid h×w part is copied.
     */
    private void edgeTile(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc,
                          boolean load, int h, int w, float[] tile) {
        final int nr = this.nr;
        int shape = cover(h, w), rows = shape >>> 16, cols = shape & 0xFFFF;
        if (rows == h && cols == w) {
            partialKernel(kc, ap, ao, bp, bo, c, co, ldc, load, rows, cols);
            return;
        }
        // element loops, not System.arraycopy: rows of a few floats, and a short-k product (m = 1000, n = 100, k = 64)
        // spends as long copying its 4-column edge tiles through the arraycopy stub as multiplying them
        if (load) {
            for (int i = 0; i < h; i++) for (int j = 0; j < w; j++) tile[i * nr + j] = c[co + i * ldc + j];
        }
        partialKernel(kc, ap, ao, bp, bo, tile, 0, nr, load, rows, cols);
        for (int i = 0; i < h; i++) for (int j = 0; j < w; j++) c[co + i * ldc + j] = tile[i * nr + j];
    }

    /**
     * The kernel shape this implementation uses for an h × w part of a tile, as {@code rows << 16 | cols}: at least
     * h × w, at most mr × nr. Narrower kernels spare the work on padding, e.g. n = 100 with 32-wide tiles ends in a
     * 4-column tile that a 16-wide kernel covers at half the cost.
     */
    int cover(int h, int w) {
        return mr << 16 | nr;
    }

    /**
     * {@link #kernel} restricted to the first {@code rows × cols} of the tile (a shape {@link #cover} returned): the same
     * fma chains for those elements, reading the same mr-row A and nr-column B panels; C outside them is not touched.
     */
    void partialKernel(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load, int rows, int cols) {
        kernel(kc, ap, ao, bp, bo, c, co, ldc, load);
    }

    /** Packs B[0..kc)[0..nc) (from {@code base}) into kc×nr micro-panels at {@code bpOff}, zero-padded. */
    void packB(float[] b, int base, int rs, int cs, int kc, int nc, float[] bp, int bpOff) {
        packBScalar(b, base, rs, cs, kc, nc, bp, bpOff);
    }

    /** Packs A[0..mc)[0..kc) (from {@code base}) into k-major mr×kc micro-panels at {@code apOff}, zero-padded. */
    void packA(float[] a, int base, int rs, int cs, int mc, int kc, float[] ap, int apOff) {
        packAScalar(a, base, rs, cs, mc, kc, ap, apOff);
    }

    final void packBScalar(float[] b, int base, int rs, int cs, int kc, int nc, float[] bp, int bpOff) {
        final int nr = this.nr;
        for (int jr = 0; jr < nc; jr += nr) {
            int w = Math.min(nr, nc - jr);
            int dst = bpOff + jr * kc;
            int src = base + jr * cs;
            if (cs == 1) {
                for (int p = 0; p < kc; p++) System.arraycopy(b, src + p * rs, bp, dst + p * nr, w);
            } else if (Math.abs(cs) <= Math.abs(rs)) {
                for (int p = 0; p < kc; p++) {
                    int s = src + p * rs, d = dst + p * nr;
                    for (int j = 0; j < w; j++) bp[d + j] = b[s + j * cs];
                }
            } else {
                for (int j = 0; j < w; j++) {
                    int s = src + j * cs, d = dst + j;
                    for (int p = 0; p < kc; p++) bp[d + p * nr] = b[s + p * rs];
                }
            }
            if (w < nr) {
                for (int p = 0; p < kc; p++) Arrays.fill(bp, dst + p * nr + w, dst + p * nr + nr, 0f);
            }
        }
    }

    final void packAScalar(float[] a, int base, int rs, int cs, int mc, int kc, float[] ap, int apOff) {
        final int mr = this.mr;
        for (int ir = 0; ir < mc; ir += mr) {
            int h = Math.min(mr, mc - ir);
            int dst = apOff + ir * kc;
            int src = base + ir * rs;
            if (rs == 1) {
                for (int p = 0; p < kc; p++) System.arraycopy(a, src + p * cs, ap, dst + p * mr, h);
            } else if (Math.abs(cs) <= Math.abs(rs)) {
                for (int i = 0; i < h; i++) {
                    int s = src + i * rs, d = dst + i;
                    for (int p = 0; p < kc; p++) ap[d + p * mr] = a[s + p * cs];
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int s = src + p * cs, d = dst + p * mr;
                    for (int i = 0; i < h; i++) ap[d + i] = a[s + i * rs];
                }
            }
            if (h < mr) {
                for (int p = 0; p < kc; p++) Arrays.fill(ap, dst + p * mr + h, dst + p * mr + mr, 0f);
            }
        }
    }

    /**
     * Packs A[r0 + i][p0 + p] = a[offset + rows[r0 + i] + cols[p0 + p]] (i < mc, p < kc) into k-major micro-panels,
     * zero-padded. {@code depthRuns}: the depth offsets (cols) mostly run consecutively, which an implementation may
     * read along.
     */
    void packAIndexed(float[] a, int offset, int[] rows, int r0, int[] cols, int p0, int mc, int kc, float[] ap, int apOff,
                      boolean depthRuns) {
        final int mr = this.mr;
        for (int ir = 0; ir < mc; ir += mr) {
            int h = Math.min(mr, mc - ir), dst = apOff + ir * kc;
            for (int p = 0; p < kc; p++) {
                int s = offset + cols[p0 + p], d = dst + p * mr;
                for (int i = 0; i < h; i++) ap[d + i] = a[s + rows[r0 + ir + i]];
                for (int i = h; i < mr; i++) ap[d + i] = 0f;
            }
        }
    }

    /**
     * Packs B[p0 + p][j0 + j] = b[offset + rows[p0 + p] + cols[j0 + j]] (p < kc, j < nc) into micro-panels, zero-padded.
     * {@code depthRuns}: the depth offsets (rows) mostly run consecutively.
     */
    void packBIndexed(float[] b, int offset, int[] rows, int p0, int[] cols, int j0, int kc, int nc, float[] bp, int bpOff,
                      boolean depthRuns) {
        final int nr = this.nr;
        for (int jr = 0; jr < nc; jr += nr) {
            int w = Math.min(nr, nc - jr), dst = bpOff + jr * kc;
            for (int p = 0; p < kc; p++) {
                int s = offset + rows[p0 + p], d = dst + p * nr;
                for (int j = 0; j < w; j++) bp[d + j] = b[s + cols[j0 + jr + j]];
                for (int j = w; j < nr; j++) bp[d + j] = 0f;
            }
        }
    }

    static int roundUp(int x, int q) {
        return (x + q - 1) / q * q;
    }
}
