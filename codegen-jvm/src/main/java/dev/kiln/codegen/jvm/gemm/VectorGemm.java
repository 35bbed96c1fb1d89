package dev.kiln.codegen.jvm.gemm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API implementation. Needs {@code --add-modules jdk.incubator.vector}; only
 * {@link GemmSelect} loads it (reflectively, after checking that the module is in the boot layer).
 *
 * <p>Micro-kernel: MR rows × NR columns of C held in vector registers; per k-step it loads NR/lanes
 * vectors of the packed B row, broadcasts each of the MR packed A values and issues one FMA per
 * accumulator. The default on AVX-512 is 8×32 with 512-bit vectors (16 zmm accumulators; Zen 4
 * double-pumps them at 32 flop/cycle); with 256-bit vectors (AVX2) it is 6×16 (12 ymm accumulators).
 *
 * <p>Blocking (defaults measured on Zen 4, 32 KiB L1d / 1 MiB L2): KC = 512 (A micro-panel
 * 8×512 floats = 16 KiB stays in L1 while the B micro-panels stream past; fewer passes over C),
 * NC = 256 (B block 512×256 floats = 512 KiB stays in L2), MC = 1024 (A block 2 MiB, from L3,
 * packed once per k block). KC 256/384/512 and NC 128/256/512 were within noise of each other on
 * this VM; KC 512 was best by a few percent at 1024³. System properties
 * {@code kiln.gemm.kernel} (0 = 8×32/512, 1 = 6×16/256, 2 = 6×32/512, 3 = 12×32/512), {@code kiln.gemm.mc}, {@code kiln.gemm.kc}, {@code kiln.gemm.nc}
 * override them (read once, when the class loads).
 */
final class VectorGemm extends BlockedGemm {

    static final VectorSpecies<Float> S512 = FloatVector.SPECIES_512;
    static final VectorSpecies<Float> S256 = FloatVector.SPECIES_256;

    static final int K8X32_512 = 0;
    static final int K6X16_256 = 1;
    static final int K6X32_512 = 2;
    static final int K12X32_512 = 3;
    /** Number of kernels (ids 0 .. KERNELS-1). */
    static final int KERNELS = 4;
    static final int DEFAULT_MC = 1024, DEFAULT_KC = 512, DEFAULT_NC = 256;

    /** The default instance, or null when the hardware has no 256-bit (or wider) float vectors. */
    static final VectorGemm INSTANCE = createDefault();

    private static VectorGemm createDefault() {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        Integer forced = Integer.getInteger("kiln.gemm.kernel");
        if (forced == null && bits < 256) return null;
        int kernel = forced != null ? forced : bits >= 512 ? K8X32_512 : K6X16_256;
        return new VectorGemm(kernel,
                Integer.getInteger("kiln.gemm.mc", DEFAULT_MC),
                Integer.getInteger("kiln.gemm.kc", DEFAULT_KC),
                Integer.getInteger("kiln.gemm.nc", DEFAULT_NC));
    }

    final int kernelId;
    private final boolean scalarWhenTiny;

    /** A given kernel and blocking (mc, nc rounded down to multiples of the micro-tile). */
    VectorGemm(int kernel, int mc, int kc, int nc) {
        this(kernel, mc, kc, nc, true);
    }

    /** {@code scalarWhenTiny}: problems of at most {@link #SMALL_WORK} multiply-adds go to the scalar code. */
    VectorGemm(int kernel, int mc, int kc, int nc, boolean scalarWhenTiny) {
        super(mrOf(kernel), nrOf(kernel), Math.max(1, mc / mrOf(kernel)) * mrOf(kernel), kc,
                Math.max(1, nc / nrOf(kernel)) * nrOf(kernel));
        this.kernelId = kernel;
        this.scalarWhenTiny = scalarWhenTiny;
    }

    @Override
    public String name() {
        return "vector-" + nameOf(kernelId) + " (mc=" + mcBlock + " kc=" + kcBlock + " nc=" + ncBlock + ")";
    }

    @Override
    BlockedGemm small() {
        return scalarWhenTiny ? ScalarGemm.INSTANCE : this;
    }

    @Override
    void packB(float[] b, int base, int rs, int cs, int kc, int nc, float[] bp, int bpOff) {
        final int nr = this.nr;
        int full = nc / nr * nr;
        if (cs == 1 && nr % 8 == 0) {
            // row-major B: each k-step's NR values are contiguous. Row by row, so B is read in address order and each
            // row's columns go to their panels; panel by panel, every k-step read a new page (a 1024² B: 212 → 159 µs)
            for (int p = 0; p < kc; p++) {
                int s = base + p * rs, d = bpOff + p * nr;
                for (int jr = 0; jr < full; jr += nr) {
                    for (int v = 0; v < nr; v += 8) FloatVector.fromArray(S256, b, s + jr + v).intoArray(bp, d + jr * kc + v);
                }
            }
        } else if (rs == 1 && nr % 8 == 0) {
            // B^T view: columns are contiguous; transpose 8×8 blocks (8 columns × 8 k-steps)
            int k8 = kc & ~7;
            for (int jr = 0; jr < full; jr += nr) {
                int dst = bpOff + jr * kc;
                for (int j = 0; j < nr; j += 8) {
                    int src = base + (jr + j) * cs;
                    for (int p = 0; p < k8; p += 8) transpose8(b, src + p, cs, bp, dst + p * nr + j, nr);
                    for (int p = k8; p < kc; p++) {
                        for (int jj = 0; jj < 8; jj++) bp[dst + p * nr + j + jj] = b[src + p + jj * cs];
                    }
                }
            }
        } else {
            full = 0;
        }
        if (full < nc && full + SHORT_TILE >= nc && nr % 8 == 0 && nr >= 16) {
            packShortTile(b, base + full * cs, rs, cs, kc, nc - full, bp, bpOff + full * kc);
        } else if (full < nc) {
            packBScalar(b, base + full * cs, rs, cs, kc, nc - full, bp, bpOff + full * kc);
        }
    }

    /**
     * A last B tile of at most this many columns is packed by {@link #packShortTile}. Copying its few floats per k-step
     * through System.arraycopy and Arrays.fill, or through a scalar loop of unknown trip count, cost 5 ns per k-step
     * (seed002's last 4 columns of B, 2 × 500 k-steps: 6.4 µs; masked loads: 2.6 µs).
     */
    static final int SHORT_TILE = 16;

    /** Packs a tile of w ≤ {@link #SHORT_TILE} columns: per k-step a masked load (zeros past w) or two, then zero vectors. */
    private void packShortTile(float[] b, int base, int rs, int cs, int kc, int w, float[] bp, int dst) {
        final int nr = this.nr;
        FloatVector zero = FloatVector.zero(S256);
        if (cs != 1) {
            for (int p = 0; p < kc; p++) {
                int s = base + p * rs, d = dst + p * nr;
                for (int v = 0; v < nr; v += 8) zero.intoArray(bp, d + v);
                for (int j = 0; j < w; j++) bp[d + j] = b[s + j * cs];
            }
            return;
        }
        if (w <= 8) {
            VectorMask<Float> used = S256.indexInRange(0, w);
            for (int p = 0; p < kc; p++) {
                int d = dst + p * nr;
                FloatVector.fromArray(S256, b, base + p * rs, used).intoArray(bp, d);
                for (int v = 8; v < nr; v += 8) zero.intoArray(bp, d + v);
            }
            return;
        }
        VectorMask<Float> high = S256.indexInRange(8, w);
        for (int p = 0; p < kc; p++) {
            int s = base + p * rs, d = dst + p * nr;
            FloatVector.fromArray(S256, b, s).intoArray(bp, d);
            FloatVector.fromArray(S256, b, s + 8, high).intoArray(bp, d + 8);
            for (int v = 16; v < nr; v += 8) zero.intoArray(bp, d + v);
        }
    }

    @Override
    void packA(float[] a, int base, int rs, int cs, int mc, int kc, float[] ap, int apOff) {
        final int mr = this.mr;
        int full = mc / mr * mr;
        if (cs == 1 && mr == 8) {
            // row-major A: transpose 8×8 blocks (8 rows × 8 k-steps) into the k-major micro-panel
            int k8 = kc & ~7;
            for (int ir = 0; ir < full; ir += 8) {
                int dst = apOff + ir * kc, src = base + ir * rs;
                for (int p = 0; p < k8; p += 8) transpose8(a, src + p, rs, ap, dst + p * 8, 8);
                for (int p = k8; p < kc; p++) {
                    for (int r = 0; r < 8; r++) ap[dst + p * 8 + r] = a[src + p + r * rs];
                }
            }
        } else if (rs == 1 && mr == 8) {
            // A^T view: each k-step's 8 rows are contiguous
            for (int ir = 0; ir < full; ir += 8) {
                int dst = apOff + ir * kc, src = base + ir;
                for (int p = 0; p < kc; p++) FloatVector.fromArray(S256, a, src + p * cs).intoArray(ap, dst + p * 8);
            }
        } else {
            full = 0;
        }
        if (full < mc) packAScalar(a, base + full * rs, rs, cs, mc - full, kc, ap, apOff + full * kc);
    }

    /**
     * Whole panels, 8 rows of A per k-step: where 8 consecutive depths are 8 consecutive addresses (a weight gradient's
     * output-gradient rows), 8×8 transposes of plain loads; elsewhere gathers.
     */
    @Override
    void packAIndexed(float[] a, int offset, int[] rows, int r0, int[] cols, int p0, int mc, int kc, float[] ap, int apOff,
                      boolean depthRuns) {
        int full = mr == 8 ? mc / 8 * 8 : 0;
        for (int ir = 0; ir < full; ir += 8) {
            int dst = apOff + ir * kc;
            if (depthRuns) {
                packByDepth(a, offset, cols, p0, rows, r0 + ir, 8, kc, ap, dst, 8);
            } else {
                for (int p = 0; p < kc; p++) FloatVector.fromArray(S256, a, offset + cols[p0 + p], rows, r0 + ir).intoArray(ap, dst + p * 8);
            }
        }
        if (full < mc && mr == 8 && depthRuns) packByDepth(a, offset, cols, p0, rows, r0 + full, mc - full, kc, ap, apOff + full * kc, 8);
        else if (full < mc) super.packAIndexed(a, offset, rows, r0 + full, cols, p0, mc - full, kc, ap, apOff + full * kc, depthRuns);
    }

    /**
     * Whole panels, 32 columns of B per k-step in halves of 16: a plain load where the 16 columns are consecutive
     * addresses (a convolution's output row); else 8×8 transposes where depths run consecutively (a weight gradient's
     * patches: along an input row), else gathers.
     */
    @Override
    void packBIndexed(float[] b, int offset, int[] rows, int p0, int[] cols, int j0, int kc, int nc, float[] bp, int bpOff,
                      boolean depthRuns) {
        int full = nr == 32 ? nc / 32 * 32 : 0;
        for (int jr = 0; jr < full; jr += 32) {
            int dst = bpOff + jr * kc;
            for (int half = 0; half < 32; half += 16) {
                int j = j0 + jr + half, d = dst + half;
                if (runLength(cols, j, 16) == 16) {
                    // 16 consecutive offsets (a convolution's output row): a plain load instead of a gather
                    int s = offset + cols[j];
                    for (int p = 0; p < kc; p++) FloatVector.fromArray(S512, b, s + rows[p0 + p]).intoArray(bp, d + p * 32);
                } else if (depthRuns) {
                    packByDepth(b, offset, rows, p0, cols, j, 8, kc, bp, d, 32);
                    packByDepth(b, offset, rows, p0, cols, j + 8, 8, kc, bp, d + 8, 32);
                } else {
                    // a run ends inside the 16: its 8-column groups that are consecutive still load plainly (conv1's
                    // rows of 28: 6 in 7), the others gather
                    for (int g = j; g < j + 16; g += 8) {
                        int dg = d + g - j;
                        if (runLength(cols, g, 8) == 8) {
                            int s = offset + cols[g];
                            for (int p = 0; p < kc; p++) FloatVector.fromArray(S256, b, s + rows[p0 + p]).intoArray(bp, dg + p * 32);
                        } else {
                            for (int p = 0; p < kc; p++) FloatVector.fromArray(S256, b, offset + rows[p0 + p], cols, g).intoArray(bp, dg + p * 32);
                        }
                    }
                }
            }
        }
        if (full < nc && nr == 32 && depthRuns) {
            // the last, partial panel: every group of 8 its kernel may read (cover), unused lanes repeating a used one
            int rest = nc - full, width = cover(mr, rest) & 0xFFFF, dst = bpOff + full * kc;
            for (int g = 0; g < width; g += 8) {
                int used = Math.max(1, Math.min(8, rest - g)), first = rest > g ? j0 + full + g : j0 + full;
                packByDepth(b, offset, rows, p0, cols, first, rest > g ? used : 1, kc, bp, dst + g, 32);
            }
        } else if (full < nc) {
            super.packBIndexed(b, offset, rows, p0, cols, j0 + full, kc, nc - full, bp, bpOff + full * kc, depthRuns);
        }
    }

    /**
     * 8 lanes of a panel, kc deep: {@code dst[d + p·dStride + r] = src[offset + depth[d0 + p] + lanes[l0 + r]]} for the
     * {@code used} lanes r; the others (a partial panel's padding, whose products are discarded) repeat lane 0, or with
     * one lane used keep what the buffer held (a copy per depth beats a transpose that would fill 7 unused lanes). Each lane
     * reads consecutive addresses along a run of consecutive depths, so 8 depths are one 8×8 transpose. A run shorter
     * than 8 (the end of an image row: conv1's rows of 28 end in 4) is transposed too, reading on past it, and only its
     * depths are kept: the next depths' transposes overwrite the rest. Only where that would read past {@code src} or
     * write past depth kc do depths go one at a time.
     */
    private static void packByDepth(float[] src, int offset, int[] depth, int d0, int[] lanes, int l0, int used, int kc,
                                    float[] dst, int d, int dStride) {
        int o0 = lanes[l0], o1 = lanes[l0 + (used > 1 ? 1 : 0)], o2 = lanes[l0 + (used > 2 ? 2 : 0)], o3 = lanes[l0 + (used > 3 ? 3 : 0)];
        int o4 = lanes[l0 + (used > 4 ? 4 : 0)], o5 = lanes[l0 + (used > 5 ? 5 : 0)], o6 = lanes[l0 + (used > 6 ? 6 : 0)];
        int o7 = lanes[l0 + (used > 7 ? 7 : 0)];
        if (used == 1) {
            // a single lane (conv1's 25th filter tap): its padding keeps what the buffer held, as it is never used
            for (int p = 0; p < kc; p++) dst[d + p * dStride] = src[offset + depth[d0 + p] + o0];
            return;
        }
        int last = Math.max(Math.max(Math.max(o0, o1), Math.max(o2, o3)), Math.max(Math.max(o4, o5), Math.max(o6, o7)));
        int readable = src.length - 8 - last;                   // a transpose at depth offset `at` reads up to at + last + 7
        int p = 0;
        while (p < kc) {
            int at = offset + depth[d0 + p], out = d + p * dStride;
            int run = p + 8 <= kc ? runLength(depth, d0 + p, 8) : 0;         // 0: too near depth kc for a transpose
            if (run == 8 || run > 0 && at <= readable) {
                transpose8(src, at + o0, at + o1, at + o2, at + o3, at + o4, at + o5, at + o6, at + o7, dst, out, dStride);
                p += run;
            } else {
                dst[out] = src[at + o0]; dst[out + 1] = src[at + o1]; dst[out + 2] = src[at + o2]; dst[out + 3] = src[at + o3];
                dst[out + 4] = src[at + o4]; dst[out + 5] = src[at + o5]; dst[out + 6] = src[at + o6]; dst[out + 7] = src[at + o7];
                p++;
            }
        }
    }

    /** How many of the {@code max} entries from {@code from} continue {@code v[from]} by one each (1 to max). */
    private static int runLength(int[] v, int from, int max) {
        int first = v[from], n = 1;
        while (n < max && v[from + n] == first + n) n++;
        return n;
    }

    private static final VectorShuffle<Float> UNPACK_LO = VectorShuffle.fromValues(S256, 0, 8, 1, 9, 4, 12, 5, 13);
    private static final VectorShuffle<Float> UNPACK_HI = VectorShuffle.fromValues(S256, 2, 10, 3, 11, 6, 14, 7, 15);
    private static final VectorShuffle<Float> PAIRS_LO = VectorShuffle.fromValues(S256, 0, 1, 8, 9, 4, 5, 12, 13);
    private static final VectorShuffle<Float> PAIRS_HI = VectorShuffle.fromValues(S256, 2, 3, 10, 11, 6, 7, 14, 15);
    private static final VectorShuffle<Float> HALVES_LO = VectorShuffle.fromValues(S256, 0, 1, 2, 3, 8, 9, 10, 11);
    private static final VectorShuffle<Float> HALVES_HI = VectorShuffle.fromValues(S256, 4, 5, 6, 7, 12, 13, 14, 15);

    /**
     * By 8 × 8 transposes where 8 consecutive columns land on consecutive elements and the rows are evenly spaced at
     * least 8 apart (an NCHW image's channels, a row of pixels; see {@link #untransposesInBlocks}): LeNet's conv2 forward
     * put 6400 × 16 values back in 85 µs one at a time, ~35 µs this way.
     */
    @Override
    public void untranspose(float[] t, int m, int n, float[] out, int offset, int[] rows, int[] cols) {
        int j = 0;
        if (untransposesInBlocks(m, rows)) {
            int whole = m / 8 * 8, spacing = rows[1] - rows[0];
            for (; j + 8 <= n; j += 8) {
                int c0 = cols[j];
                boolean consecutive = true;
                for (int q = 1; q < 8; q++) consecutive &= cols[j + q] == c0 + q;
                if (!consecutive) {
                    Gemm.untransposeScalar(t, m, j, j + 8, out, offset, rows, cols);
                    continue;
                }
                for (int i = 0; i < whole; i += 8) transpose8(t, j * m + i, m, out, offset + rows[i] + c0, spacing);
                for (int i = whole; i < m; i++) {
                    for (int q = 0; q < 8; q++) out[offset + rows[i] + c0 + q] = t[(j + q) * m + i];
                }
            }
        }
        Gemm.untransposeScalar(t, m, j, n, out, offset, rows, cols);
    }

    /**
     * Whether {@link #untranspose} moves blocks for these rows: at least 8 of them, evenly spaced, and at least 8 apart so
     * that a block's 8 columns never reach the next row's (its writes then go to distinct elements, as one at a time).
     */
    static boolean untransposesInBlocks(int m, int[] rows) {
        if (m < 8) return false;
        int spacing = rows[1] - rows[0];
        if (Math.abs((long) spacing) < 8) return false;
        for (int i = 2; i < m; i++) if (rows[i] - rows[i - 1] != spacing) return false;
        return true;
    }

    /** dst[d + q*dStride + r] = src[s + r*sStride + q] for r, q in 0..8 (an 8×8 transpose). */
    static void transpose8(float[] src, int s, int sStride, float[] dst, int d, int dStride) {
        transpose8(src, s, s + sStride, s + 2 * sStride, s + 3 * sStride, s + 4 * sStride, s + 5 * sStride, s + 6 * sStride,
                s + 7 * sStride, dst, d, dStride);
    }

    /**
     * dst[d + q*dStride + r] = src[s_r + q] for r, q in 0..8. Only offsets cross the call: vectors passed to a method
     * that C2 doesn't inline would be boxed.
     */
    static void transpose8(float[] src, int s0, int s1, int s2, int s3, int s4, int s5, int s6, int s7,
                                   float[] dst, int d, int dStride) {
        FloatVector r0 = FloatVector.fromArray(S256, src, s0);
        FloatVector r1 = FloatVector.fromArray(S256, src, s1);
        FloatVector r2 = FloatVector.fromArray(S256, src, s2);
        FloatVector r3 = FloatVector.fromArray(S256, src, s3);
        FloatVector r4 = FloatVector.fromArray(S256, src, s4);
        FloatVector r5 = FloatVector.fromArray(S256, src, s5);
        FloatVector r6 = FloatVector.fromArray(S256, src, s6);
        FloatVector r7 = FloatVector.fromArray(S256, src, s7);
        FloatVector t0 = r0.rearrange(UNPACK_LO, r1), t1 = r0.rearrange(UNPACK_HI, r1);
        FloatVector t2 = r2.rearrange(UNPACK_LO, r3), t3 = r2.rearrange(UNPACK_HI, r3);
        FloatVector t4 = r4.rearrange(UNPACK_LO, r5), t5 = r4.rearrange(UNPACK_HI, r5);
        FloatVector t6 = r6.rearrange(UNPACK_LO, r7), t7 = r6.rearrange(UNPACK_HI, r7);
        FloatVector u0 = t0.rearrange(PAIRS_LO, t2), u1 = t0.rearrange(PAIRS_HI, t2);
        FloatVector u2 = t1.rearrange(PAIRS_LO, t3), u3 = t1.rearrange(PAIRS_HI, t3);
        FloatVector u4 = t4.rearrange(PAIRS_LO, t6), u5 = t4.rearrange(PAIRS_HI, t6);
        FloatVector u6 = t5.rearrange(PAIRS_LO, t7), u7 = t5.rearrange(PAIRS_HI, t7);
        u0.rearrange(HALVES_LO, u4).intoArray(dst, d);
        u1.rearrange(HALVES_LO, u5).intoArray(dst, d + dStride);
        u2.rearrange(HALVES_LO, u6).intoArray(dst, d + 2 * dStride);
        u3.rearrange(HALVES_LO, u7).intoArray(dst, d + 3 * dStride);
        u0.rearrange(HALVES_HI, u4).intoArray(dst, d + 4 * dStride);
        u1.rearrange(HALVES_HI, u5).intoArray(dst, d + 5 * dStride);
        u2.rearrange(HALVES_HI, u6).intoArray(dst, d + 6 * dStride);
        u3.rearrange(HALVES_HI, u7).intoArray(dst, d + 7 * dStride);
    }


    // ---- Kernels: one accumulator variable per vector register, written out (regular code). ----

    static int mrOf(int kernel) {
        return switch (kernel) {
            case K8X32_512 -> 8;
            case K6X16_256 -> 6;
            case K6X32_512 -> 6;
            case K12X32_512 -> 12;
            default -> throw new IllegalArgumentException("kernel " + kernel);
        };
    }

    static int nrOf(int kernel) {
        return switch (kernel) {
            case K8X32_512 -> 32;
            case K6X16_256 -> 16;
            case K6X32_512 -> 32;
            case K12X32_512 -> 32;
            default -> throw new IllegalArgumentException("kernel " + kernel);
        };
    }

    static String nameOf(int kernel) {
        return switch (kernel) {
            case K8X32_512 -> "k8x32";
            case K6X16_256 -> "k6x16";
            case K6X32_512 -> "k6x32";
            case K12X32_512 -> "k12x32";
            default -> throw new IllegalArgumentException("kernel " + kernel);
        };
    }

    @Override
    void kernel(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        switch (kernelId) {
            case K8X32_512 -> k8x32(kc, ap, ao, bp, bo, c, co, ldc, load);
            case K6X16_256 -> k6x16(kc, ap, ao, bp, bo, c, co, ldc, load);
            case K6X32_512 -> k6x32(kc, ap, ao, 6, bp, bo, c, co, ldc, load);
            case K12X32_512 -> k12x32(kc, ap, ao, bp, bo, c, co, ldc, load);
            default -> throw new IllegalStateException();
        }
    }

    @Override
    boolean readsBInPlace() { return kernelId == K8X32_512; }

    @Override
    void stridedKernel(int kc, float[] ap, int ao, float[] bp, int bo, int bs, float[] c, int co, int ldc, boolean load) {
        k8x32Strided(kc, ap, ao, bp, bo, bs, c, co, ldc, load);
    }

    @Override
    int narrowColumns() { return kernelId == K8X32_512 ? 4 : 0; }

    /**
     * Up to 4 columns of up to 4 row tiles, lanes along the rows: per k-step each tile's packed A panel is one 8-lane
     * vector and each column's B value a broadcast shared by the tiles, 16 independent FMA chains. Tiles past
     * {@code count} repeat the last one's panel and aren't stored; C goes through {@code tile} as column vectors.
     */
    @Override
    void narrowTiles(int kc, float[] ap, int ao, int aStride, int count, float[] bp, int bo, float[] c, int co, int ldc,
                     boolean load, int w, float[] tile) {
        final int a0 = ao, a1 = ao + Math.min(1, count - 1) * aStride, a2 = ao + Math.min(2, count - 1) * aStride,
                a3 = ao + Math.min(3, count - 1) * aStride;
        FloatVector c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33;
        if (load) {
            for (int t = 0; t < 4; t++) {
                for (int j = 0; j < 4; j++) {
                    for (int r = 0; r < 8; r++) tile[(t * 4 + j) * 8 + r] = t < count && j < w ? c[co + (t * 8 + r) * ldc + j] : 0f;
                }
            }
            c00 = FloatVector.fromArray(S256, tile, 0); c01 = FloatVector.fromArray(S256, tile, 8); c02 = FloatVector.fromArray(S256, tile, 16); c03 = FloatVector.fromArray(S256, tile, 24);
            c10 = FloatVector.fromArray(S256, tile, 32); c11 = FloatVector.fromArray(S256, tile, 40); c12 = FloatVector.fromArray(S256, tile, 48); c13 = FloatVector.fromArray(S256, tile, 56);
            c20 = FloatVector.fromArray(S256, tile, 64); c21 = FloatVector.fromArray(S256, tile, 72); c22 = FloatVector.fromArray(S256, tile, 80); c23 = FloatVector.fromArray(S256, tile, 88);
            c30 = FloatVector.fromArray(S256, tile, 96); c31 = FloatVector.fromArray(S256, tile, 104); c32 = FloatVector.fromArray(S256, tile, 112); c33 = FloatVector.fromArray(S256, tile, 120);
        } else {
            FloatVector z = FloatVector.zero(S256);
            c00 = z; c01 = z; c02 = z; c03 = z; c10 = z; c11 = z; c12 = z; c13 = z; c20 = z; c21 = z; c22 = z; c23 = z; c30 = z; c31 = z; c32 = z; c33 = z;
        }
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * 32, ai = p * 8;
            FloatVector b0 = FloatVector.broadcast(S256, bp[bi]), b1 = FloatVector.broadcast(S256, bp[bi + 1]);
            FloatVector b2 = FloatVector.broadcast(S256, bp[bi + 2]), b3 = FloatVector.broadcast(S256, bp[bi + 3]);
            FloatVector x0 = FloatVector.fromArray(S256, ap, a0 + ai);
            c00 = x0.fma(b0, c00); c01 = x0.fma(b1, c01); c02 = x0.fma(b2, c02); c03 = x0.fma(b3, c03);
            FloatVector x1 = FloatVector.fromArray(S256, ap, a1 + ai);
            c10 = x1.fma(b0, c10); c11 = x1.fma(b1, c11); c12 = x1.fma(b2, c12); c13 = x1.fma(b3, c13);
            FloatVector x2 = FloatVector.fromArray(S256, ap, a2 + ai);
            c20 = x2.fma(b0, c20); c21 = x2.fma(b1, c21); c22 = x2.fma(b2, c22); c23 = x2.fma(b3, c23);
            FloatVector x3 = FloatVector.fromArray(S256, ap, a3 + ai);
            c30 = x3.fma(b0, c30); c31 = x3.fma(b1, c31); c32 = x3.fma(b2, c32); c33 = x3.fma(b3, c33);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, 8); c02.intoArray(tile, 16); c03.intoArray(tile, 24);
        c10.intoArray(tile, 32); c11.intoArray(tile, 40); c12.intoArray(tile, 48); c13.intoArray(tile, 56);
        c20.intoArray(tile, 64); c21.intoArray(tile, 72); c22.intoArray(tile, 80); c23.intoArray(tile, 88);
        c30.intoArray(tile, 96); c31.intoArray(tile, 104); c32.intoArray(tile, 112); c33.intoArray(tile, 120);
        for (int t = 0; t < count; t++) {
            for (int r = 0; r < 8; r++) {
                for (int j = 0; j < w; j++) c[co + (t * 8 + r) * ldc + j] = tile[(t * 4 + j) * 8 + r];
            }
        }
    }

    /** On AVX-512's 8×32 tiles: 8×16 for at most 16 columns, 6×32 for at most 6 rows (LeNet's conv1 has 6 channels). */
    @Override
    int cover(int h, int w) {
        if (kernelId != K8X32_512) return super.cover(h, w);
        return w <= 8 ? 8 << 16 | 8 : w <= 16 ? 8 << 16 | 16 : h <= 6 ? 6 << 16 | 32 : 8 << 16 | 32;
    }

    @Override
    void partialKernel(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load, int rows, int cols) {
        if (kernelId != K8X32_512 || rows == 8 && cols == 32) kernel(kc, ap, ao, bp, bo, c, co, ldc, load);
        else if (cols == 16) k8x16(kc, ap, ao, bp, bo, c, co, ldc, load);
        else if (cols == 8) k8x8(kc, ap, ao, bp, bo, c, co, ldc, load);
        else k6x32(kc, ap, ao, 8, bp, bo, c, co, ldc, load);
    }

    // ---- Kernels reading A in place through row offsets and a depth table (a weight gradient's patches) ----

    @Override
    int rowsKernelWidth(int n) {
        return kernelId != K8X32_512 ? 0 : n <= 8 ? 8 : n <= 16 ? 16 : 32;
    }

    @Override
    void rowsKernel(int kc, float[] a, int[] rows, int[] depth, int d0, float[] bp, int bo, int bs, float[] c, int co, int ldc,
                    boolean load, int cols) {
        // tiles narrower than a panel never read B in place (BlockedGemm.bInPlace needs n ≥ nr): their step is the panel's
        if (cols < PANEL && bs != PANEL) throw new IllegalStateException("a " + cols + "-column rows tile needs B in panels of " + PANEL);
        switch (cols) {
            case 8 -> k8x8r(kc, a, rows, depth, d0, bp, bo, c, co, ldc, load);
            case 16 -> k8x16r(kc, a, rows, depth, d0, bp, bo, c, co, ldc, load);
            default -> k8x32r(kc, a, rows, depth, d0, bp, bo, bs, c, co, ldc, load);
        }
    }

    /**
     * The B panel width of the rows kernels (this core's nr). The 8- and 16-column ones step through B by this constant:
     * with the step a variable, the JIT checks B's bounds at every depth step (LeNet's conv2 forward tiles: 390 → 335 µs
     * in a loop of their own).
     */
    private static final int PANEL = nrOf(K8X32_512);

    /**
     * 8×8, 8×16 and 8×32 tiles whose A rows are read in place, {@code a[rows[r] + depth[d0 + p]]}: one depth-table
     * read per k-step on top of the packed kernels' loads (the kernels stay FMA-bound), and no packing of A, whose rows
     * (filter taps) would pack one element at a time.
     */
    static void k8x8r(int kc, float[] a, int[] rows, int[] depth, int d0, float[] bp, int bo, float[] c, int co, int ldc,
                       boolean load) {
        final int o0 = rows[0], o1 = rows[1], o2 = rows[2], o3 = rows[3], o4 = rows[4], o5 = rows[5], o6 = rows[6], o7 = rows[7];
        FloatVector c00, c10, c20, c30, c40, c50, c60, c70;
        if (load) {
            c00 = FloatVector.fromArray(S256, c, co + 0 * ldc);
            c10 = FloatVector.fromArray(S256, c, co + 1 * ldc);
            c20 = FloatVector.fromArray(S256, c, co + 2 * ldc);
            c30 = FloatVector.fromArray(S256, c, co + 3 * ldc);
            c40 = FloatVector.fromArray(S256, c, co + 4 * ldc);
            c50 = FloatVector.fromArray(S256, c, co + 5 * ldc);
            c60 = FloatVector.fromArray(S256, c, co + 6 * ldc);
            c70 = FloatVector.fromArray(S256, c, co + 7 * ldc);
        } else {
            FloatVector z = FloatVector.zero(S256);
            c00 = z; c10 = z; c20 = z; c30 = z; c40 = z; c50 = z; c60 = z; c70 = z;
        }
        final int bBase = bo - d0 * PANEL;                 // B's index in the loop variable, with a constant step
        for (int p = d0, end = d0 + kc; p < end; p++) {
            int q = depth[p], bi = bBase + p * PANEL;
            FloatVector b0 = FloatVector.fromArray(S256, bp, bi);
            FloatVector a0 = FloatVector.broadcast(S256, a[o0 + q]);
            c00 = b0.fma(a0, c00);
            FloatVector a1 = FloatVector.broadcast(S256, a[o1 + q]);
            c10 = b0.fma(a1, c10);
            FloatVector a2 = FloatVector.broadcast(S256, a[o2 + q]);
            c20 = b0.fma(a2, c20);
            FloatVector a3 = FloatVector.broadcast(S256, a[o3 + q]);
            c30 = b0.fma(a3, c30);
            FloatVector a4 = FloatVector.broadcast(S256, a[o4 + q]);
            c40 = b0.fma(a4, c40);
            FloatVector a5 = FloatVector.broadcast(S256, a[o5 + q]);
            c50 = b0.fma(a5, c50);
            FloatVector a6 = FloatVector.broadcast(S256, a[o6 + q]);
            c60 = b0.fma(a6, c60);
            FloatVector a7 = FloatVector.broadcast(S256, a[o7 + q]);
            c70 = b0.fma(a7, c70);
        }
        c00.intoArray(c, co + 0 * ldc);
        c10.intoArray(c, co + 1 * ldc);
        c20.intoArray(c, co + 2 * ldc);
        c30.intoArray(c, co + 3 * ldc);
        c40.intoArray(c, co + 4 * ldc);
        c50.intoArray(c, co + 5 * ldc);
        c60.intoArray(c, co + 6 * ldc);
        c70.intoArray(c, co + 7 * ldc);
    }

    /**
     * 8×16 with A read in place, in 256-bit halves (16 ymm accumulators): the same fma chains as one zmm per row, 13%
     * faster on Zen 4 (a transposed 16-channel convolution: 433 → 377 µs), whose 512-bit broadcasts and fmas split in two.
     */
    static void k8x16r(int kc, float[] a, int[] rows, int[] depth, int d0, float[] bp, int bo, float[] c, int co, int ldc,
                       boolean load) {
        final int o0 = rows[0], o1 = rows[1], o2 = rows[2], o3 = rows[3], o4 = rows[4], o5 = rows[5], o6 = rows[6], o7 = rows[7];
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (load) {
            c00 = FloatVector.fromArray(S256, c, co + 0 * ldc); c01 = FloatVector.fromArray(S256, c, co + 0 * ldc + 8);
            c10 = FloatVector.fromArray(S256, c, co + 1 * ldc); c11 = FloatVector.fromArray(S256, c, co + 1 * ldc + 8);
            c20 = FloatVector.fromArray(S256, c, co + 2 * ldc); c21 = FloatVector.fromArray(S256, c, co + 2 * ldc + 8);
            c30 = FloatVector.fromArray(S256, c, co + 3 * ldc); c31 = FloatVector.fromArray(S256, c, co + 3 * ldc + 8);
            c40 = FloatVector.fromArray(S256, c, co + 4 * ldc); c41 = FloatVector.fromArray(S256, c, co + 4 * ldc + 8);
            c50 = FloatVector.fromArray(S256, c, co + 5 * ldc); c51 = FloatVector.fromArray(S256, c, co + 5 * ldc + 8);
            c60 = FloatVector.fromArray(S256, c, co + 6 * ldc); c61 = FloatVector.fromArray(S256, c, co + 6 * ldc + 8);
            c70 = FloatVector.fromArray(S256, c, co + 7 * ldc); c71 = FloatVector.fromArray(S256, c, co + 7 * ldc + 8);
        } else {
            FloatVector z = FloatVector.zero(S256);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
            c40 = z; c41 = z; c50 = z; c51 = z; c60 = z; c61 = z; c70 = z; c71 = z;
        }
        final int bBase = bo - d0 * PANEL;                 // B's index in the loop variable, with a constant step
        for (int p = d0, end = d0 + kc; p < end; p++) {
            int q = depth[p], bi = bBase + p * PANEL;
            FloatVector b0 = FloatVector.fromArray(S256, bp, bi), b1 = FloatVector.fromArray(S256, bp, bi + 8);
            FloatVector x = FloatVector.broadcast(S256, a[o0 + q]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(S256, a[o1 + q]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(S256, a[o2 + q]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(S256, a[o3 + q]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(S256, a[o4 + q]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(S256, a[o5 + q]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51);
            x = FloatVector.broadcast(S256, a[o6 + q]);
            c60 = b0.fma(x, c60); c61 = b1.fma(x, c61);
            x = FloatVector.broadcast(S256, a[o7 + q]);
            c70 = b0.fma(x, c70); c71 = b1.fma(x, c71);
        }
        c00.intoArray(c, co + 0 * ldc); c01.intoArray(c, co + 0 * ldc + 8);
        c10.intoArray(c, co + 1 * ldc); c11.intoArray(c, co + 1 * ldc + 8);
        c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + 8);
        c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + 8);
        c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + 8);
        c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + 8);
        c60.intoArray(c, co + 6 * ldc); c61.intoArray(c, co + 6 * ldc + 8);
        c70.intoArray(c, co + 7 * ldc); c71.intoArray(c, co + 7 * ldc + 8);
    }

    static void k8x32r(int kc, float[] a, int[] rows, int[] depth, int d0, float[] bp, int bo, int bs, float[] c, int co, int ldc,
                       boolean load) {
        final int o0 = rows[0], o1 = rows[1], o2 = rows[2], o3 = rows[3], o4 = rows[4], o5 = rows[5], o6 = rows[6], o7 = rows[7];
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (load) {
            c00 = FloatVector.fromArray(S512, c, co + 0 * ldc); c01 = FloatVector.fromArray(S512, c, co + 0 * ldc + 16);
            c10 = FloatVector.fromArray(S512, c, co + 1 * ldc); c11 = FloatVector.fromArray(S512, c, co + 1 * ldc + 16);
            c20 = FloatVector.fromArray(S512, c, co + 2 * ldc); c21 = FloatVector.fromArray(S512, c, co + 2 * ldc + 16);
            c30 = FloatVector.fromArray(S512, c, co + 3 * ldc); c31 = FloatVector.fromArray(S512, c, co + 3 * ldc + 16);
            c40 = FloatVector.fromArray(S512, c, co + 4 * ldc); c41 = FloatVector.fromArray(S512, c, co + 4 * ldc + 16);
            c50 = FloatVector.fromArray(S512, c, co + 5 * ldc); c51 = FloatVector.fromArray(S512, c, co + 5 * ldc + 16);
            c60 = FloatVector.fromArray(S512, c, co + 6 * ldc); c61 = FloatVector.fromArray(S512, c, co + 6 * ldc + 16);
            c70 = FloatVector.fromArray(S512, c, co + 7 * ldc); c71 = FloatVector.fromArray(S512, c, co + 7 * ldc + 16);
        } else {
            FloatVector z = FloatVector.zero(S512);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z; c40 = z; c41 = z; c50 = z; c51 = z; c60 = z; c61 = z; c70 = z; c71 = z;
        }
        final int bBase = bo - d0 * bs;
        for (int p = d0, end = d0 + kc; p < end; p++) {
            int q = depth[p], bi = bBase + p * bs;
            FloatVector b0 = FloatVector.fromArray(S512, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S512, bp, bi + 16);
            FloatVector a0 = FloatVector.broadcast(S512, a[o0 + q]);
            c00 = b0.fma(a0, c00); c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S512, a[o1 + q]);
            c10 = b0.fma(a1, c10); c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S512, a[o2 + q]);
            c20 = b0.fma(a2, c20); c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S512, a[o3 + q]);
            c30 = b0.fma(a3, c30); c31 = b1.fma(a3, c31);
            FloatVector a4 = FloatVector.broadcast(S512, a[o4 + q]);
            c40 = b0.fma(a4, c40); c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(S512, a[o5 + q]);
            c50 = b0.fma(a5, c50); c51 = b1.fma(a5, c51);
            FloatVector a6 = FloatVector.broadcast(S512, a[o6 + q]);
            c60 = b0.fma(a6, c60); c61 = b1.fma(a6, c61);
            FloatVector a7 = FloatVector.broadcast(S512, a[o7 + q]);
            c70 = b0.fma(a7, c70); c71 = b1.fma(a7, c71);
        }
        c00.intoArray(c, co + 0 * ldc); c01.intoArray(c, co + 0 * ldc + 16);
        c10.intoArray(c, co + 1 * ldc); c11.intoArray(c, co + 1 * ldc + 16);
        c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + 16);
        c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + 16);
        c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + 16);
        c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + 16);
        c60.intoArray(c, co + 6 * ldc); c61.intoArray(c, co + 6 * ldc + 16);
        c70.intoArray(c, co + 7 * ldc); c71.intoArray(c, co + 7 * ldc + 16);
    }

    /** The first 16 columns of an 8×32 tile: 1 512-bit vector per row of the 32-wide B panel, 8 accumulators. */
    static void k8x16(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c0, c1, c2, c3, c4, c5, c6, c7;
        if (load) {
            c0 = FloatVector.fromArray(S512, c, co + 0 * ldc); c1 = FloatVector.fromArray(S512, c, co + 1 * ldc);
            c2 = FloatVector.fromArray(S512, c, co + 2 * ldc); c3 = FloatVector.fromArray(S512, c, co + 3 * ldc);
            c4 = FloatVector.fromArray(S512, c, co + 4 * ldc); c5 = FloatVector.fromArray(S512, c, co + 5 * ldc);
            c6 = FloatVector.fromArray(S512, c, co + 6 * ldc); c7 = FloatVector.fromArray(S512, c, co + 7 * ldc);
        } else {
            FloatVector z = FloatVector.zero(S512);
            c0 = z; c1 = z; c2 = z; c3 = z; c4 = z; c5 = z; c6 = z; c7 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 8;
            FloatVector b0 = FloatVector.fromArray(S512, bp, bo + p * 32);
            c0 = b0.fma(FloatVector.broadcast(S512, ap[ai + 0]), c0);
            c1 = b0.fma(FloatVector.broadcast(S512, ap[ai + 1]), c1);
            c2 = b0.fma(FloatVector.broadcast(S512, ap[ai + 2]), c2);
            c3 = b0.fma(FloatVector.broadcast(S512, ap[ai + 3]), c3);
            c4 = b0.fma(FloatVector.broadcast(S512, ap[ai + 4]), c4);
            c5 = b0.fma(FloatVector.broadcast(S512, ap[ai + 5]), c5);
            c6 = b0.fma(FloatVector.broadcast(S512, ap[ai + 6]), c6);
            c7 = b0.fma(FloatVector.broadcast(S512, ap[ai + 7]), c7);
        }
        c0.intoArray(c, co + 0 * ldc); c1.intoArray(c, co + 1 * ldc);
        c2.intoArray(c, co + 2 * ldc); c3.intoArray(c, co + 3 * ldc);
        c4.intoArray(c, co + 4 * ldc); c5.intoArray(c, co + 5 * ldc);
        c6.intoArray(c, co + 6 * ldc); c7.intoArray(c, co + 7 * ldc);
    }

    /**
     * The first 8 columns of an 8×32 tile (e.g. n = 100's last 4): 1 256-bit vector per row, 8 accumulators, half the
     * instructions of {@link #k8x16}.
     */
    static void k8x8(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c0, c1, c2, c3, c4, c5, c6, c7;
        if (load) {
            c0 = FloatVector.fromArray(S256, c, co + 0 * ldc); c1 = FloatVector.fromArray(S256, c, co + 1 * ldc);
            c2 = FloatVector.fromArray(S256, c, co + 2 * ldc); c3 = FloatVector.fromArray(S256, c, co + 3 * ldc);
            c4 = FloatVector.fromArray(S256, c, co + 4 * ldc); c5 = FloatVector.fromArray(S256, c, co + 5 * ldc);
            c6 = FloatVector.fromArray(S256, c, co + 6 * ldc); c7 = FloatVector.fromArray(S256, c, co + 7 * ldc);
        } else {
            FloatVector z = FloatVector.zero(S256);
            c0 = z; c1 = z; c2 = z; c3 = z; c4 = z; c5 = z; c6 = z; c7 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 8;
            FloatVector b0 = FloatVector.fromArray(S256, bp, bo + p * 32);
            c0 = b0.fma(FloatVector.broadcast(S256, ap[ai + 0]), c0);
            c1 = b0.fma(FloatVector.broadcast(S256, ap[ai + 1]), c1);
            c2 = b0.fma(FloatVector.broadcast(S256, ap[ai + 2]), c2);
            c3 = b0.fma(FloatVector.broadcast(S256, ap[ai + 3]), c3);
            c4 = b0.fma(FloatVector.broadcast(S256, ap[ai + 4]), c4);
            c5 = b0.fma(FloatVector.broadcast(S256, ap[ai + 5]), c5);
            c6 = b0.fma(FloatVector.broadcast(S256, ap[ai + 6]), c6);
            c7 = b0.fma(FloatVector.broadcast(S256, ap[ai + 7]), c7);
        }
        c0.intoArray(c, co + 0 * ldc); c1.intoArray(c, co + 1 * ldc);
        c2.intoArray(c, co + 2 * ldc); c3.intoArray(c, co + 3 * ldc);
        c4.intoArray(c, co + 4 * ldc); c5.intoArray(c, co + 5 * ldc);
        c6.intoArray(c, co + 6 * ldc); c7.intoArray(c, co + 7 * ldc);
    }

    /** 8×32 micro-kernel: 2 512-bit vectors per row, 16 accumulators, A broadcast, FMA. */
    static void k8x32(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        FloatVector c40, c41, c50, c51, c60, c61, c70, c71;
        if (load) {
            c00 = FloatVector.fromArray(S512, c, co + 0 * ldc); c01 = FloatVector.fromArray(S512, c, co + 0 * ldc + 16);
            c10 = FloatVector.fromArray(S512, c, co + 1 * ldc); c11 = FloatVector.fromArray(S512, c, co + 1 * ldc + 16);
            c20 = FloatVector.fromArray(S512, c, co + 2 * ldc); c21 = FloatVector.fromArray(S512, c, co + 2 * ldc + 16);
            c30 = FloatVector.fromArray(S512, c, co + 3 * ldc); c31 = FloatVector.fromArray(S512, c, co + 3 * ldc + 16);
            c40 = FloatVector.fromArray(S512, c, co + 4 * ldc); c41 = FloatVector.fromArray(S512, c, co + 4 * ldc + 16);
            c50 = FloatVector.fromArray(S512, c, co + 5 * ldc); c51 = FloatVector.fromArray(S512, c, co + 5 * ldc + 16);
            c60 = FloatVector.fromArray(S512, c, co + 6 * ldc); c61 = FloatVector.fromArray(S512, c, co + 6 * ldc + 16);
            c70 = FloatVector.fromArray(S512, c, co + 7 * ldc); c71 = FloatVector.fromArray(S512, c, co + 7 * ldc + 16);
        } else {
            FloatVector z = FloatVector.zero(S512);
            c00 = z; c01 = z;
            c10 = z; c11 = z;
            c20 = z; c21 = z;
            c30 = z; c31 = z;
            c40 = z; c41 = z;
            c50 = z; c51 = z;
            c60 = z; c61 = z;
            c70 = z; c71 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 8, bi = bo + p * 32;
            FloatVector b0 = FloatVector.fromArray(S512, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S512, bp, bi + 16);
            FloatVector a0 = FloatVector.broadcast(S512, ap[ai + 0]);
            c00 = b0.fma(a0, c00); c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S512, ap[ai + 1]);
            c10 = b0.fma(a1, c10); c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S512, ap[ai + 2]);
            c20 = b0.fma(a2, c20); c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S512, ap[ai + 3]);
            c30 = b0.fma(a3, c30); c31 = b1.fma(a3, c31);
            FloatVector a4 = FloatVector.broadcast(S512, ap[ai + 4]);
            c40 = b0.fma(a4, c40); c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(S512, ap[ai + 5]);
            c50 = b0.fma(a5, c50); c51 = b1.fma(a5, c51);
            FloatVector a6 = FloatVector.broadcast(S512, ap[ai + 6]);
            c60 = b0.fma(a6, c60); c61 = b1.fma(a6, c61);
            FloatVector a7 = FloatVector.broadcast(S512, ap[ai + 7]);
            c70 = b0.fma(a7, c70); c71 = b1.fma(a7, c71);
        }
        c00.intoArray(c, co + 0 * ldc); c01.intoArray(c, co + 0 * ldc + 16);
        c10.intoArray(c, co + 1 * ldc); c11.intoArray(c, co + 1 * ldc + 16);
        c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + 16);
        c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + 16);
        c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + 16);
        c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + 16);
        c60.intoArray(c, co + 6 * ldc); c61.intoArray(c, co + 6 * ldc + 16);
        c70.intoArray(c, co + 7 * ldc); c71.intoArray(c, co + 7 * ldc + 16);
    }

    /**
     * {@link #k8x32} reading B in place, {@code bs} apart per k-step (a row-major B's row stride). A separate copy: the
     * packed kernel's constant step lets the JIT fold the addressing (a variable step cost 4% on m = 1000, n = 100, k = 64).
     */
    static void k8x32Strided(int kc, float[] ap, int ao, float[] bp, int bo, int bs, float[] c, int co, int ldc, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        FloatVector c40, c41, c50, c51, c60, c61, c70, c71;
        if (load) {
            c00 = FloatVector.fromArray(S512, c, co + 0 * ldc); c01 = FloatVector.fromArray(S512, c, co + 0 * ldc + 16);
            c10 = FloatVector.fromArray(S512, c, co + 1 * ldc); c11 = FloatVector.fromArray(S512, c, co + 1 * ldc + 16);
            c20 = FloatVector.fromArray(S512, c, co + 2 * ldc); c21 = FloatVector.fromArray(S512, c, co + 2 * ldc + 16);
            c30 = FloatVector.fromArray(S512, c, co + 3 * ldc); c31 = FloatVector.fromArray(S512, c, co + 3 * ldc + 16);
            c40 = FloatVector.fromArray(S512, c, co + 4 * ldc); c41 = FloatVector.fromArray(S512, c, co + 4 * ldc + 16);
            c50 = FloatVector.fromArray(S512, c, co + 5 * ldc); c51 = FloatVector.fromArray(S512, c, co + 5 * ldc + 16);
            c60 = FloatVector.fromArray(S512, c, co + 6 * ldc); c61 = FloatVector.fromArray(S512, c, co + 6 * ldc + 16);
            c70 = FloatVector.fromArray(S512, c, co + 7 * ldc); c71 = FloatVector.fromArray(S512, c, co + 7 * ldc + 16);
        } else {
            FloatVector z = FloatVector.zero(S512);
            c00 = z; c01 = z;
            c10 = z; c11 = z;
            c20 = z; c21 = z;
            c30 = z; c31 = z;
            c40 = z; c41 = z;
            c50 = z; c51 = z;
            c60 = z; c61 = z;
            c70 = z; c71 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 8, bi = bo + p * bs;
            FloatVector b0 = FloatVector.fromArray(S512, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S512, bp, bi + 16);
            FloatVector a0 = FloatVector.broadcast(S512, ap[ai + 0]);
            c00 = b0.fma(a0, c00); c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S512, ap[ai + 1]);
            c10 = b0.fma(a1, c10); c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S512, ap[ai + 2]);
            c20 = b0.fma(a2, c20); c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S512, ap[ai + 3]);
            c30 = b0.fma(a3, c30); c31 = b1.fma(a3, c31);
            FloatVector a4 = FloatVector.broadcast(S512, ap[ai + 4]);
            c40 = b0.fma(a4, c40); c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(S512, ap[ai + 5]);
            c50 = b0.fma(a5, c50); c51 = b1.fma(a5, c51);
            FloatVector a6 = FloatVector.broadcast(S512, ap[ai + 6]);
            c60 = b0.fma(a6, c60); c61 = b1.fma(a6, c61);
            FloatVector a7 = FloatVector.broadcast(S512, ap[ai + 7]);
            c70 = b0.fma(a7, c70); c71 = b1.fma(a7, c71);
        }
        c00.intoArray(c, co + 0 * ldc); c01.intoArray(c, co + 0 * ldc + 16);
        c10.intoArray(c, co + 1 * ldc); c11.intoArray(c, co + 1 * ldc + 16);
        c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + 16);
        c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + 16);
        c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + 16);
        c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + 16);
        c60.intoArray(c, co + 6 * ldc); c61.intoArray(c, co + 6 * ldc + 16);
        c70.intoArray(c, co + 7 * ldc); c71.intoArray(c, co + 7 * ldc + 16);
    }

    /** 6×16 micro-kernel: 2 256-bit vectors per row, 12 accumulators, A broadcast, FMA. */
    static void k6x16(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        FloatVector c40, c41, c50, c51;
        if (load) {
            c00 = FloatVector.fromArray(S256, c, co + 0 * ldc); c01 = FloatVector.fromArray(S256, c, co + 0 * ldc + 8);
            c10 = FloatVector.fromArray(S256, c, co + 1 * ldc); c11 = FloatVector.fromArray(S256, c, co + 1 * ldc + 8);
            c20 = FloatVector.fromArray(S256, c, co + 2 * ldc); c21 = FloatVector.fromArray(S256, c, co + 2 * ldc + 8);
            c30 = FloatVector.fromArray(S256, c, co + 3 * ldc); c31 = FloatVector.fromArray(S256, c, co + 3 * ldc + 8);
            c40 = FloatVector.fromArray(S256, c, co + 4 * ldc); c41 = FloatVector.fromArray(S256, c, co + 4 * ldc + 8);
            c50 = FloatVector.fromArray(S256, c, co + 5 * ldc); c51 = FloatVector.fromArray(S256, c, co + 5 * ldc + 8);
        } else {
            FloatVector z = FloatVector.zero(S256);
            c00 = z; c01 = z;
            c10 = z; c11 = z;
            c20 = z; c21 = z;
            c30 = z; c31 = z;
            c40 = z; c41 = z;
            c50 = z; c51 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 6, bi = bo + p * 16;
            FloatVector b0 = FloatVector.fromArray(S256, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S256, bp, bi + 8);
            FloatVector a0 = FloatVector.broadcast(S256, ap[ai + 0]);
            c00 = b0.fma(a0, c00); c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S256, ap[ai + 1]);
            c10 = b0.fma(a1, c10); c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S256, ap[ai + 2]);
            c20 = b0.fma(a2, c20); c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S256, ap[ai + 3]);
            c30 = b0.fma(a3, c30); c31 = b1.fma(a3, c31);
            FloatVector a4 = FloatVector.broadcast(S256, ap[ai + 4]);
            c40 = b0.fma(a4, c40); c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(S256, ap[ai + 5]);
            c50 = b0.fma(a5, c50); c51 = b1.fma(a5, c51);
        }
        c00.intoArray(c, co + 0 * ldc); c01.intoArray(c, co + 0 * ldc + 8);
        c10.intoArray(c, co + 1 * ldc); c11.intoArray(c, co + 1 * ldc + 8);
        c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + 8);
        c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + 8);
        c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + 8);
        c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + 8);
    }

    /** 6×32 micro-kernel: 2 512-bit vectors per row, 12 accumulators, A broadcast, FMA; A panels {@code as} rows apart per k-step. */
    static void k6x32(int kc, float[] ap, int ao, int as, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        FloatVector c40, c41, c50, c51;
        if (load) {
            c00 = FloatVector.fromArray(S512, c, co + 0 * ldc); c01 = FloatVector.fromArray(S512, c, co + 0 * ldc + 16);
            c10 = FloatVector.fromArray(S512, c, co + 1 * ldc); c11 = FloatVector.fromArray(S512, c, co + 1 * ldc + 16);
            c20 = FloatVector.fromArray(S512, c, co + 2 * ldc); c21 = FloatVector.fromArray(S512, c, co + 2 * ldc + 16);
            c30 = FloatVector.fromArray(S512, c, co + 3 * ldc); c31 = FloatVector.fromArray(S512, c, co + 3 * ldc + 16);
            c40 = FloatVector.fromArray(S512, c, co + 4 * ldc); c41 = FloatVector.fromArray(S512, c, co + 4 * ldc + 16);
            c50 = FloatVector.fromArray(S512, c, co + 5 * ldc); c51 = FloatVector.fromArray(S512, c, co + 5 * ldc + 16);
        } else {
            FloatVector z = FloatVector.zero(S512);
            c00 = z; c01 = z;
            c10 = z; c11 = z;
            c20 = z; c21 = z;
            c30 = z; c31 = z;
            c40 = z; c41 = z;
            c50 = z; c51 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * as, bi = bo + p * 32;
            FloatVector b0 = FloatVector.fromArray(S512, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S512, bp, bi + 16);
            FloatVector a0 = FloatVector.broadcast(S512, ap[ai + 0]);
            c00 = b0.fma(a0, c00); c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S512, ap[ai + 1]);
            c10 = b0.fma(a1, c10); c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S512, ap[ai + 2]);
            c20 = b0.fma(a2, c20); c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S512, ap[ai + 3]);
            c30 = b0.fma(a3, c30); c31 = b1.fma(a3, c31);
            FloatVector a4 = FloatVector.broadcast(S512, ap[ai + 4]);
            c40 = b0.fma(a4, c40); c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(S512, ap[ai + 5]);
            c50 = b0.fma(a5, c50); c51 = b1.fma(a5, c51);
        }
        c00.intoArray(c, co + 0 * ldc); c01.intoArray(c, co + 0 * ldc + 16);
        c10.intoArray(c, co + 1 * ldc); c11.intoArray(c, co + 1 * ldc + 16);
        c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + 16);
        c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + 16);
        c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + 16);
        c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + 16);
    }

    /** 12×32 micro-kernel: 2 512-bit vectors per row, 24 accumulators, A broadcast, FMA. */
    static void k12x32(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        FloatVector c40, c41, c50, c51, c60, c61, c70, c71;
        FloatVector c80, c81, c90, c91, c100, c101, c110, c111;
        if (load) {
            c00 = FloatVector.fromArray(S512, c, co + 0 * ldc); c01 = FloatVector.fromArray(S512, c, co + 0 * ldc + 16);
            c10 = FloatVector.fromArray(S512, c, co + 1 * ldc); c11 = FloatVector.fromArray(S512, c, co + 1 * ldc + 16);
            c20 = FloatVector.fromArray(S512, c, co + 2 * ldc); c21 = FloatVector.fromArray(S512, c, co + 2 * ldc + 16);
            c30 = FloatVector.fromArray(S512, c, co + 3 * ldc); c31 = FloatVector.fromArray(S512, c, co + 3 * ldc + 16);
            c40 = FloatVector.fromArray(S512, c, co + 4 * ldc); c41 = FloatVector.fromArray(S512, c, co + 4 * ldc + 16);
            c50 = FloatVector.fromArray(S512, c, co + 5 * ldc); c51 = FloatVector.fromArray(S512, c, co + 5 * ldc + 16);
            c60 = FloatVector.fromArray(S512, c, co + 6 * ldc); c61 = FloatVector.fromArray(S512, c, co + 6 * ldc + 16);
            c70 = FloatVector.fromArray(S512, c, co + 7 * ldc); c71 = FloatVector.fromArray(S512, c, co + 7 * ldc + 16);
            c80 = FloatVector.fromArray(S512, c, co + 8 * ldc); c81 = FloatVector.fromArray(S512, c, co + 8 * ldc + 16);
            c90 = FloatVector.fromArray(S512, c, co + 9 * ldc); c91 = FloatVector.fromArray(S512, c, co + 9 * ldc + 16);
            c100 = FloatVector.fromArray(S512, c, co + 10 * ldc); c101 = FloatVector.fromArray(S512, c, co + 10 * ldc + 16);
            c110 = FloatVector.fromArray(S512, c, co + 11 * ldc); c111 = FloatVector.fromArray(S512, c, co + 11 * ldc + 16);
        } else {
            FloatVector z = FloatVector.zero(S512);
            c00 = z; c01 = z;
            c10 = z; c11 = z;
            c20 = z; c21 = z;
            c30 = z; c31 = z;
            c40 = z; c41 = z;
            c50 = z; c51 = z;
            c60 = z; c61 = z;
            c70 = z; c71 = z;
            c80 = z; c81 = z;
            c90 = z; c91 = z;
            c100 = z; c101 = z;
            c110 = z; c111 = z;
        }
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 12, bi = bo + p * 32;
            FloatVector b0 = FloatVector.fromArray(S512, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S512, bp, bi + 16);
            FloatVector a0 = FloatVector.broadcast(S512, ap[ai + 0]);
            c00 = b0.fma(a0, c00); c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S512, ap[ai + 1]);
            c10 = b0.fma(a1, c10); c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S512, ap[ai + 2]);
            c20 = b0.fma(a2, c20); c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S512, ap[ai + 3]);
            c30 = b0.fma(a3, c30); c31 = b1.fma(a3, c31);
            FloatVector a4 = FloatVector.broadcast(S512, ap[ai + 4]);
            c40 = b0.fma(a4, c40); c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(S512, ap[ai + 5]);
            c50 = b0.fma(a5, c50); c51 = b1.fma(a5, c51);
            FloatVector a6 = FloatVector.broadcast(S512, ap[ai + 6]);
            c60 = b0.fma(a6, c60); c61 = b1.fma(a6, c61);
            FloatVector a7 = FloatVector.broadcast(S512, ap[ai + 7]);
            c70 = b0.fma(a7, c70); c71 = b1.fma(a7, c71);
            FloatVector a8 = FloatVector.broadcast(S512, ap[ai + 8]);
            c80 = b0.fma(a8, c80); c81 = b1.fma(a8, c81);
            FloatVector a9 = FloatVector.broadcast(S512, ap[ai + 9]);
            c90 = b0.fma(a9, c90); c91 = b1.fma(a9, c91);
            FloatVector a10 = FloatVector.broadcast(S512, ap[ai + 10]);
            c100 = b0.fma(a10, c100); c101 = b1.fma(a10, c101);
            FloatVector a11 = FloatVector.broadcast(S512, ap[ai + 11]);
            c110 = b0.fma(a11, c110); c111 = b1.fma(a11, c111);
        }
        c00.intoArray(c, co + 0 * ldc); c01.intoArray(c, co + 0 * ldc + 16);
        c10.intoArray(c, co + 1 * ldc); c11.intoArray(c, co + 1 * ldc + 16);
        c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + 16);
        c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + 16);
        c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + 16);
        c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + 16);
        c60.intoArray(c, co + 6 * ldc); c61.intoArray(c, co + 6 * ldc + 16);
        c70.intoArray(c, co + 7 * ldc); c71.intoArray(c, co + 7 * ldc + 16);
        c80.intoArray(c, co + 8 * ldc); c81.intoArray(c, co + 8 * ldc + 16);
        c90.intoArray(c, co + 9 * ldc); c91.intoArray(c, co + 9 * ldc + 16);
        c100.intoArray(c, co + 10 * ldc); c101.intoArray(c, co + 10 * ldc + 16);
        c110.intoArray(c, co + 11 * ldc); c111.intoArray(c, co + 11 * ldc + 16);
    }

}
