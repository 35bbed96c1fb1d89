package dev.kiln.codegen.jvm.gemm;

/**
 * GotoBLAS/BLIS-style driver shared by the implementations: B is packed into {@code kc × NR}
 * micro-panels, A into {@code MR × kc} micro-panels (both zero-padded to full panels, read through
 * the caller's strides so transposes cost nothing extra), and an {@code MR × NR} register-blocked
 * micro-kernel updates C. Threads split C into contiguous ranges of whole tiles along M or N.
 *
 * <p>Every C element is the fma chain {@code c = fma(a[p], b[p], c)}, p ascending, starting from C
 * (accumulate, or a later k block) or from 0: tiling and threading never change the bits.
 */
abstract class BlockedGemm implements Gemm {

    /** Micro-tile rows / columns (the kernel's register block). */
    final int mr, nr;
    /** Cache blocking: rows of A per packed block, depth per block, columns of B per packed panel. */
    final int mcBlock, kcBlock, ncBlock;

    static final boolean IR_OUTER = Boolean.getBoolean("kiln.gemm.irOuter");
    static final int ORDER = Integer.getInteger("kiln.gemm.order", 0);

    private final ThreadLocal<Workspace> workspaces = ThreadLocal.withInitial(Workspace::new);

    BlockedGemm(int mr, int nr, int mcBlock, int kcBlock, int ncBlock) {
        if (mcBlock % mr != 0 || ncBlock % nr != 0) throw new IllegalArgumentException("blocks must be multiples of the micro-tile");
        this.mr = mr;
        this.nr = nr;
        this.mcBlock = mcBlock;
        this.kcBlock = kcBlock;
        this.ncBlock = ncBlock;
    }

    /**
     * {@code C[0..mr)[0..nr) = (load ? C : 0) + Σ_{p<kc} ap[ao + p*mr + i] * bp[bo + p*nr + j]} as fma
     * chains, C at {@code c[co + i*ldc + j]} (a full tile: all mr×nr elements are read/written).
     */
    abstract void kernel(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load);

    /** Per-thread pack buffers, grown on demand and then reused (steady state allocates nothing). */
    static final class Workspace {
        float[] ap = new float[0];
        float[] bp = new float[0];
        float[] tile = new float[0];
    }

    @Override
    public final void sgemm(int m, int n, int k,
                            float[] a, int aOffset, int aRowStride, int aColStride,
                            float[] b, int bOffset, int bRowStride, int bColStride,
                            float[] c, int cOffset, int ldc,
                            boolean accumulate, Parallelism par) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("negative size: m=" + m + " n=" + n + " k=" + k);
        if (par == null) par = Parallelism.SINGLE;
        if (m == 0 || n == 0) return;
        checkRange("C", c, cOffset, m, ldc, n, 1);
        if (ldc < n && m > 1) throw new IllegalArgumentException("ldc < n: " + ldc + " < " + n);
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOffset + i * ldc, cOffset + i * ldc + n, 0f);
            }
            return;
        }
        checkRange("A", a, aOffset, m, aRowStride, k, aColStride);
        checkRange("B", b, bOffset, k, bRowStride, n, bColStride);

        final int t = par.threads();
        if (t <= 1 || (long) m * n * k < 32L * 32 * 32) {
            block(0, m, 0, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride,
                    c, cOffset, ldc, accumulate);
            return;
        }
        // Split whole tiles along the dimension that balances better (ties: N, whose pieces share A).
        int mTiles = (m + mr - 1) / mr, nTiles = (n + nr - 1) / nr;
        int tm = Math.min(t, mTiles), tn = Math.min(t, nTiles);
        double mCost = (double) ((mTiles + tm - 1) / tm) * mr, nCost = (double) ((nTiles + tn - 1) / tn) * nr;
        // per-thread work ∝ (tile rows)·n vs m·(tile cols)
        boolean splitN = nCost * m <= mCost * n;
        final int chunks = splitN ? tn : tm;
        final int tiles = splitN ? nTiles : mTiles;
        Parallel.forEach(par, chunks, chunk -> {
            int t0 = (int) ((long) tiles * chunk / chunks), t1 = (int) ((long) tiles * (chunk + 1) / chunks);
            if (splitN) {
                block(0, m, t0 * nr, Math.min(n, t1 * nr), k, a, aOffset, aRowStride, aColStride,
                        b, bOffset, bRowStride, bColStride, c, cOffset, ldc, accumulate);
            } else {
                block(t0 * mr, Math.min(m, t1 * mr), 0, n, k, a, aOffset, aRowStride, aColStride,
                        b, bOffset, bRowStride, bColStride, c, cOffset, ldc, accumulate);
            }
        });
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

    /** C[i0..i1)[j0..j1) on the current thread. */
    private void block(int i0, int i1, int j0, int j1, int k,
                       float[] a, int aOff, int ars, int acs,
                       float[] b, int bOff, int brs, int bcs,
                       float[] c, int cOff, int ldc, boolean accumulate) {
        final int mr = this.mr, nr = this.nr;
        Workspace ws = workspaces.get();
        int mcMax = Math.min(mcBlock, roundUp(i1 - i0, mr));
        int ncMax = Math.min(ncBlock, roundUp(j1 - j0, nr));
        int kcMax = Math.min(kcBlock, k);
        if (ws.ap.length < mcMax * kcMax) ws.ap = new float[mcMax * kcMax];
        if (ws.bp.length < ncMax * kcMax) ws.bp = new float[ncMax * kcMax];
        if (ws.tile.length < mr * nr) ws.tile = new float[mr * nr];
        final float[] ap = ws.ap, bp = ws.bp, tile = ws.tile;

        if (ORDER == 1) {
            // pc → A panel (mc×kc, L3) → jc → B block (kc×nc, L2) → ir → jr (A micro-panel in L1)
            for (int ic = i0; ic < i1; ic += mcBlock) {
                int mc = Math.min(mcBlock, i1 - ic);
                for (int pc = 0; pc < k; pc += kcBlock) {
                    int kc = Math.min(kcBlock, k - pc);
                    boolean load = accumulate || pc > 0;
                    packA(a, aOff + ic * ars + pc * acs, ars, acs, mc, kc, ap);
                    for (int jc = j0; jc < j1; jc += ncBlock) {
                        int nc = Math.min(ncBlock, j1 - jc);
                        packB(b, bOff + pc * brs + jc * bcs, brs, bcs, kc, nc, bp);
                        for (int ir = 0; ir < mc; ir += mr) {
                            int h = Math.min(mr, mc - ir);
                            int ao = ir * kc;
                            for (int jr = 0; jr < nc; jr += nr) {
                                int w = Math.min(nr, nc - jr);
                                int bo = jr * kc;
                                int co = cOff + (ic + ir) * ldc + jc + jr;
                                if (h == mr && w == nr) {
                                    kernel(kc, ap, ao, bp, bo, c, co, ldc, load);
                                } else {
                                    edgeTile(kc, ap, ao, bp, bo, c, co, ldc, load, h, w, tile);
                                }
                            }
                        }
                    }
                }
            }
            return;
        }
        for (int jc = j0; jc < j1; jc += ncBlock) {
            int nc = Math.min(ncBlock, j1 - jc);
            for (int pc = 0; pc < k; pc += kcBlock) {
                int kc = Math.min(kcBlock, k - pc);
                boolean load = accumulate || pc > 0;
                packB(b, bOff + pc * brs + jc * bcs, brs, bcs, kc, nc, bp);
                for (int ic = i0; ic < i1; ic += mcBlock) {
                    int mc = Math.min(mcBlock, i1 - ic);
                    packA(a, aOff + ic * ars + pc * acs, ars, acs, mc, kc, ap);
                    if (IR_OUTER) {
                    for (int ir = 0; ir < mc; ir += mr) {
                        int h = Math.min(mr, mc - ir);
                        int ao = ir * kc;
                        for (int jr = 0; jr < nc; jr += nr) {
                            int w = Math.min(nr, nc - jr);
                            int bo = jr * kc;
                            int co = cOff + (ic + ir) * ldc + jc + jr;
                            if (h == mr && w == nr) {
                                kernel(kc, ap, ao, bp, bo, c, co, ldc, load);
                            } else {
                                edgeTile(kc, ap, ao, bp, bo, c, co, ldc, load, h, w, tile);
                            }
                        }
                    }
                    } else {
                    for (int jr = 0; jr < nc; jr += nr) {
                        int w = Math.min(nr, nc - jr);
                        int bo = jr * kc;
                        for (int ir = 0; ir < mc; ir += mr) {
                            int h = Math.min(mr, mc - ir);
                            int ao = ir * kc;
                            int co = cOff + (ic + ir) * ldc + jc + jr;
                            if (h == mr && w == nr) {
                                kernel(kc, ap, ao, bp, bo, c, co, ldc, load);
                            } else {
                                edgeTile(kc, ap, ao, bp, bo, c, co, ldc, load, h, w, tile);
                            }
                        }
                    }
                    }
                }
            }
        }
    }

    /** A partial tile: run the full kernel on a scratch tile and copy the valid h×w part. */
    private void edgeTile(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc,
                          boolean load, int h, int w, float[] tile) {
        final int nr = this.nr;
        if (load) {
            for (int i = 0; i < h; i++) System.arraycopy(c, co + i * ldc, tile, i * nr, w);
        }
        kernel(kc, ap, ao, bp, bo, tile, 0, nr, load);
        for (int i = 0; i < h; i++) System.arraycopy(tile, i * nr, c, co + i * ldc, w);
    }

    /** B[0..kc)[0..nc) (from {@code base}) into kc×nr micro-panels, zero-padded to whole panels. */
    void packB(float[] b, int base, int rs, int cs, int kc, int nc, float[] bp) {
        final int nr = this.nr;
        for (int jr = 0; jr < nc; jr += nr) {
            int w = Math.min(nr, nc - jr);
            int dst = jr * kc;
            int src = base + jr * cs;
            if (cs == 1) {
                for (int p = 0; p < kc; p++) {
                    System.arraycopy(b, src + p * rs, bp, dst + p * nr, w);
                }
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
                for (int p = 0; p < kc; p++) java.util.Arrays.fill(bp, dst + p * nr + w, dst + p * nr + nr, 0f);
            }
        }
    }

    /** A[0..mc)[0..kc) (from {@code base}) into mr×kc micro-panels (k-major), zero-padded. */
    void packA(float[] a, int base, int rs, int cs, int mc, int kc, float[] ap) {
        final int mr = this.mr;
        for (int ir = 0; ir < mc; ir += mr) {
            int h = Math.min(mr, mc - ir);
            int dst = ir * kc;
            int src = base + ir * rs;
            if (rs == 1) {
                for (int p = 0; p < kc; p++) {
                    System.arraycopy(a, src + p * cs, ap, dst + p * mr, h);
                }
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
                for (int p = 0; p < kc; p++) java.util.Arrays.fill(ap, dst + p * mr + h, dst + p * mr + mr, 0f);
            }
        }
    }

    static int roundUp(int x, int q) {
        return (x + q - 1) / q * q;
    }
}
