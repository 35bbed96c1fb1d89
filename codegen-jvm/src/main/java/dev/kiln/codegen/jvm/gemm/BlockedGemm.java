package dev.kiln.codegen.jvm.gemm;

import java.util.Arrays;

/**
 * GotoBLAS/BLIS-style driver shared by the implementations.
 *
 * <p>Loop nest (single thread): {@code ic} (MC rows of A) → {@code pc} (≤ KC deep, balanced) → pack A block
 * {@code mc × kc} into {@code MR × kc} k-major micro-panels → {@code jc} (NC columns) → pack B block
 * {@code kc × nc} into {@code kc × NR} micro-panels (L2-resident) → {@code ir} (MR) → {@code jr} (NR)
 * → micro-kernel. The A micro-panel stays in L1 while the B micro-panels stream from L2; packed
 * panels are zero-padded to whole micro-tiles, and packing reads through the caller's strides, so
 * transposed views cost nothing extra.
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

    /** Per-thread pack buffers, grown on demand and then reused (steady state allocates nothing large). */
    static final class Workspace {
        float[] ap = new float[0];
        float[] bp = new float[0];
        float[] tile = new float[0];
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
        multiply(m, n, k, a, aOffset, aRowStride, aColStride, false, b, bOffset, bRowStride, bColStride, false,
                c, cOffset, ldc, accumulate, par);
    }

    @Override public final int panelRows() { return mr; }

    @Override public final int panelCols() { return nr; }

    @Override
    public final void sgemmPanels(int m, int n, int k,
                                  float[] a, int aOffset, int aRowStride, int aColStride, boolean aPanels,
                                  float[] b, int bOffset, int bRowStride, int bColStride, boolean bPanels,
                                  float[] c, int cOffset, int ldc, boolean accumulate, Parallelism par) {
        multiply(m, n, k, a, aOffset, aRowStride, aColStride, aPanels, b, bOffset, bRowStride, bColStride, bPanels,
                c, cOffset, ldc, accumulate, par);
    }

    private void multiply(int m, int n, int k,
                          float[] a, int aOffset, int aRowStride, int aColStride, boolean aPanels,
                          float[] b, int bOffset, int bRowStride, int bColStride, boolean bPanels,
                          float[] c, int cOffset, int ldc,
                          boolean accumulate, Parallelism par) {
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
        if (aPanels) checkRange("A panels", a, aOffset, 1, 0, roundUp(m, mr) * k, 1);
        else checkRange("A", a, aOffset, m, aRowStride, k, aColStride);
        if (bPanels) checkRange("B panels", b, bOffset, 1, 0, roundUp(n, nr) * k, 1);
        else checkRange("B", b, bOffset, k, bRowStride, n, bColStride);
        if ((long) m * n * k <= SMALL_WORK && small() != this && !aPanels && !bPanels) {
            // tiny: packing does not pay off, and the scalar code needs no JIT warm-up to run
            // allocation-free (same fma chains, so the same bits)
            small().sgemm(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride,
                    c, cOffset, ldc, accumulate, Parallelism.SINGLE);
            return;
        }
        final int t = par.threads();
        final int mTiles = (m + mr - 1) / mr, nTiles = (n + nr - 1) / nr;
        if (t <= 1 || (long) m * n * k < 64L * 64 * 64 || (mTiles == 1 && nTiles == 1)) {
            serial(0, m, 0, n, k, a, aOffset, aRowStride, aColStride, aPanels, b, bOffset, bRowStride, bColStride, bPanels,
                    c, cOffset, ldc, accumulate);
            return;
        }
        final Operands o = new Operands(k, a, aOffset, aRowStride, aColStride, aPanels, b, bOffset, bRowStride, bColStride, bPanels,
                c, cOffset, ldc, accumulate);
        // Per-thread work with each split, ∝ (largest share of tiles) × tile size × other dimension.
        int tn = Math.min(t, nTiles), tm = Math.min(t, mTiles);
        long nWork = (long) ((nTiles + tn - 1) / tn) * nr * m;
        long mWork = (long) ((mTiles + tm - 1) / tm) * mr * n;
        if (nWork <= mWork) {
            parallelOverN(m, n, Math.min(nTiles, t * CHUNKS_PER_THREAD), nTiles, o, par);
        } else {
            Parallel.forEach(par, tm, chunk -> {
                int t0 = share(mTiles, chunk, tm), t1 = share(mTiles, chunk + 1, tm);
                serial(t0 * mr, Math.min(m, t1 * mr), 0, n, o.k(), o.a(), o.aOff(), o.ars(), o.acs(), o.aPanels(),
                        o.b(), o.bOff(), o.brs(), o.bcs(), o.bPanels(), o.c(), o.cOff(), o.ldc(), o.accumulate());
            });
        }
    }

    /** The implementation for tiny problems (this one by default). */
    BlockedGemm small() {
        return this;
    }

    /** A multithreaded call's operands (one small object per call; the hot loops read locals). Panels: already in the kernel's layout. */
    record Operands(int k, float[] a, int aOff, int ars, int acs, boolean aPanels, float[] b, int bOff, int brs, int bcs, boolean bPanels,
                    float[] c, int cOff, int ldc, boolean accumulate) {}

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

    /** The k-block depth: at most kcBlock, blocks of near-equal depth (a multiple of 8 but the last). */
    final int kcFor(int k) {
        int blocks = (k + kcBlock - 1) / kcBlock;
        return Math.min(kcBlock, roundUp((k + blocks - 1) / blocks, 8));
    }

    /** C[i0..i1)[j0..j1) on the current thread (allocates nothing once the buffers have grown); i0, j0 start whole tiles. */
    private void serial(int i0, int i1, int j0, int j1, int k,
                        float[] a, int aOff, int ars, int acs, boolean aPanels, float[] b, int bOff, int brs, int bcs, boolean bPanels,
                        float[] c, int cOff, int ldc, boolean accumulate) {
        final int kcStep = kcFor(k), kcMax = Math.min(kcStep, k);
        Workspace ws = workspace(aPanels ? 0 : Math.min(mcBlock, roundUp(i1 - i0, mr)) * kcMax,
                bPanels ? 0 : Math.min(ncBlock, roundUp(j1 - j0, nr)) * kcMax);
        for (int ic = i0; ic < i1; ic += mcBlock) {
            int mc = Math.min(mcBlock, i1 - ic);
            for (int pc = 0; pc < k; pc += kcStep) {
                int kc = Math.min(kcStep, k - pc);
                float[] ap = aPanels ? a : ws.ap;
                int aBase = aPanels ? panelBlock(aOff, ic, mr, k, pc) : 0, aStep = aPanels ? mr * k : mr * kc;
                if (!aPanels) packA(a, aOff + ic * ars + pc * acs, ars, acs, mc, kc, ap, 0);
                for (int jc = j0; jc < j1; jc += ncBlock) {
                    int nc = Math.min(ncBlock, j1 - jc);
                    float[] bp = bPanels ? b : ws.bp;
                    int bBase = bPanels ? panelBlock(bOff, jc, nr, k, pc) : 0, bStep = bPanels ? nr * k : nr * kc;
                    if (!bPanels) packB(b, bOff + pc * brs + jc * bcs, brs, bcs, kc, nc, bp, 0);
                    macro(mc, nc, kc, ap, aBase, aStep, bp, bBase, bStep, c, cOff + ic * ldc + jc, ldc, accumulate || pc > 0, ws.tile);
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
    private void parallelOverN(int m, int n, int chunks, int nTiles, Operands o, Parallelism par) {
        final int k = o.k(), kcStep = kcFor(k), kcMax = Math.min(kcStep, k);
        final int mcMax = Math.min(mcBlock, roundUp(m, mr));
        final int ncMax = Math.min(ncBlock, roundUp((nTiles + chunks - 1) / chunks * nr, nr));
        final float[] ap = o.aPanels() ? o.a() : workspace(mcMax * kcMax, 0).ap; // the caller's A buffer is the shared one
        for (int ic = 0; ic < m; ic += mcBlock) {
            final int icF = ic, mc = Math.min(mcBlock, m - ic);
            final int panels = (mc + mr - 1) / mr;
            for (int pc = 0; pc < k; pc += kcStep) {
                final int pcF = pc, kc = Math.min(kcStep, k - pc);
                final int aBase = o.aPanels() ? panelBlock(o.aOff(), ic, mr, k, pc) : 0, aStep = o.aPanels() ? mr * k : mr * kc;
                if (!o.aPanels()) {
                    final int aSrc = o.aOff() + ic * o.ars() + pc * o.acs();
                    final int packChunks = Math.min(chunks, panels);
                    Parallel.forEach(par, packChunks, chunk -> {
                        int p0 = share(panels, chunk, packChunks), p1 = share(panels, chunk + 1, packChunks);
                        int r0 = p0 * mr, r1 = Math.min(mc, p1 * mr);
                        packA(o.a(), aSrc + r0 * o.ars(), o.ars(), o.acs(), r1 - r0, kc, ap, r0 * kc);
                    });
                }
                final boolean load = o.accumulate() || pc > 0;
                Parallel.forEach(par, chunks, chunk -> {
                    int j0 = share(nTiles, chunk, chunks) * nr, j1 = Math.min(n, share(nTiles, chunk + 1, chunks) * nr);
                    Workspace ws = workspace(0, o.bPanels() ? 0 : ncMax * kcMax);
                    for (int jc = j0; jc < j1; jc += ncBlock) {
                        int nc = Math.min(ncBlock, j1 - jc);
                        float[] bp = o.bPanels() ? o.b() : ws.bp;
                        int bBase = o.bPanels() ? panelBlock(o.bOff(), jc, nr, k, pcF) : 0, bStep = o.bPanels() ? nr * k : nr * kc;
                        if (!o.bPanels()) packB(o.b(), o.bOff() + pcF * o.brs() + jc * o.bcs(), o.brs(), o.bcs(), kc, nc, bp, 0);
                        macro(mc, nc, kc, ap, aBase, aStep, bp, bBase, bStep, o.c(), o.cOff() + icF * o.ldc() + jc, o.ldc(), load, ws.tile);
                    }
                });
            }
        }
    }

    /**
     * C block (mc × nc at co) from A and B micro-panels: A's panel for rows ir.. at {@code aBase + ir / mr * aStep},
     * B's for columns jr.. at {@code bBase + jr / nr * bStep}, each kc deep.
     */
    private void macro(int mc, int nc, int kc, float[] ap, int aBase, int aStep, float[] bp, int bBase, int bStep,
                       float[] c, int co, int ldc, boolean load, float[] tile) {
        final int mr = this.mr, nr = this.nr;
        for (int ir = 0; ir < mc; ir += mr) {
            int h = Math.min(mr, mc - ir);
            int ao = aBase + ir / mr * aStep;
            int rowC = co + ir * ldc;
            for (int jr = 0; jr < nc; jr += nr) {
                int w = Math.min(nr, nc - jr);
                int bo = bBase + jr / nr * bStep;
                if (h == mr && w == nr) {
                    kernel(kc, ap, ao, bp, bo, c, rowC + jr, ldc, load);
                } else {
                    edgeTile(kc, ap, ao, bp, bo, c, rowC + jr, ldc, load, h, w, tile);
                }
            }
        }
    }

    /** A partial tile: the full kernel on a scratch tile, then copy the valid h×w part. */
    private void edgeTile(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc,
                          boolean load, int h, int w, float[] tile) {
        final int nr = this.nr;
        if (load) {
            for (int i = 0; i < h; i++) System.arraycopy(c, co + i * ldc, tile, i * nr, w);
        }
        kernel(kc, ap, ao, bp, bo, tile, 0, nr, load);
        for (int i = 0; i < h; i++) System.arraycopy(tile, i * nr, c, co + i * ldc, w);
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

    static int roundUp(int x, int q) {
        return (x + q - 1) / q * q;
    }
}
