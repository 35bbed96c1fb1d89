package dev.kiln.codegen.cuda;

import dev.kiln.ir.DType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Kernel IR → CUDA C, one {@code __global__} function per kernel, from the same IR the JVM backend compiles:
 * <ul>
 *   <li>pointwise: one thread per output element (256 per block), loop variables decoded from the flat index;</li>
 *   <li>reduction: one block per output element; its threads stride over the reduced elements, then fold with warp
 *       shuffles and a shared-memory step ({@code kiln_block_fold}); thread 0 runs the epilogue. Short reductions (at
 *       most {@link #THREAD_REDUCTION_MAX} elements, a pooling window) run one thread per output instead;</li>
 *   <li>contraction (matmul, and convolutions as implicit GEMMs): 64×64 output tiles per block of 256 threads (128×128
 *       for large products, see {@link Tile}), the operands' slices staged in shared memory (their expressions do the
 *       im2col indexing, zero outside the matrix), each thread accumulating a 4×4 (8×8) register block, then the fused
 *       epilogue. When the tiles are too few to fill the GPU and k is long (weight gradients), k is split: partial
 *       tiles to scratch, then a pointwise pass sums them in order and runs the epilogue.</li>
 * </ul>
 * Scalar semantics follow the JVM backend (see kiln_prelude.cuh): float32 sums accumulate in double, Java's NaN rules
 * for max/min, saturating float→int casts, wrap-around integer arithmetic, the same counter-based RNG. Two deliberate
 * differences: an integer division by zero gives 0 (the JVM throws), and sums add in a different order (results agree
 * to rounding, not bit for bit). Contractions accumulate in their dtype with FMA.
 */
public final class CudaRenderer {
    static final int POINTWISE_BLOCK = 256;
    static final int GEMM_THREADS = 256;

    /**
     * A contraction's blocking: a tile of {@code m}×{@code n} outputs per block of 256 threads (16×16), each thread a
     * {@code micro}×{@code micro} register block, k staged {@code k} deep in shared memory. A thread's rows (and
     * columns) come in runs of 4 consecutive ones, 64 apart ({@link #offset}): its shared-memory reads are 16-byte
     * vectors, and a half-warp's 16 runs cover 64 consecutive floats without bank conflicts.
     */
    record Tile(int m, int n, int k, int micro) {
        Tile {
            // 16×16 threads, each micro×micro in runs of 4 (offset), and every thread stages whole elements of a slice
            if (m != 16 * micro || n != 16 * micro || micro % 4 != 0 || m * k % GEMM_THREADS != 0) {
                throw new IllegalArgumentException("tile " + m + "×" + n + "×" + k + " with " + micro + "×" + micro + " per thread");
            }
        }

        /** The small tile: LeNet-sized products fill the GPU with more blocks. */
        static final Tile SMALL = new Tile(64, 64, 16, 4);
        /**
         * The large tile, for products with ≥ 256 such tiles: 64 FMAs per 16 shared-memory reads instead of 16 per 8.
         * 8 deep, not 16: on the H100 sgemm 4096 took 3.7 ms against 4.6 (more registers for the prefetched slice).
         */
        static final Tile LARGE = new Tile(128, 128, 8, 8);

        /** LARGE for products at least a large tile wide both ways with enough such tiles to fill the GPU, else SMALL. */
        static Tile of(Kernel.Contraction c) {
            long large = (long) ceilDiv(c.m(), LARGE.m) * ceilDiv(c.n(), LARGE.n) * c.batch();
            return c.m() >= LARGE.m && c.n() >= LARGE.n && large >= LARGE_TILE_MIN_BLOCKS ? LARGE : SMALL;
        }

        /** The offset within the tile of element {@code i} of thread {@code t}'s rows (or columns): runs of 4, 64 apart. */
        static String offset(String t, String i) { return "(" + i + " >> 2) * 64 + " + t + " * 4 + (" + i + " & 3)"; }
    }

    /** A reduction over at most this many elements per output (a pooling window, a row of logits) runs one thread per output. */
    static final int THREAD_REDUCTION_MAX = 64;
    /** A split contraction aims at this many blocks (about two per SM of an H100), its splits SPLIT_MIN_K deep or more. */
    static final int SPLIT_BLOCKS = 256, SPLIT_MIN_K = 128;
    /** How many large tiles a product needs before it takes them (fewer would leave SMs idle). */
    static final int LARGE_TILE_MIN_BLOCKS = 256;
    private static final int GRID_YZ_MAX = 65535;

    private CudaRenderer() {}

    /** The helpers every rendered kernel uses (kiln_prelude.cuh). */
    public static String prelude() { return resource("kiln_prelude.cuh"); }

    /** The host shim's header (kiln_host_shim.h): CUDA built-ins for C++ so rendered kernels run on the CPU. */
    public static String hostShim() { return resource("kiln_host_shim.h"); }

    private static String resource(String name) {
        try (InputStream in = CudaRenderer.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException(name + " is missing from the codegen-cuda jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Renders every kernel of {@code graph}; function names are {@code prefix + "k" + index} (a split contraction's two
     * are suffixed {@code _part} and {@code _sum}).
     */
    public static CudaSource render(KernelGraph graph, String prefix) {
        StringBuilder src = new StringBuilder();
        List<Launch> launches = new ArrayList<>();
        List<Long> scratch = new ArrayList<>();
        for (int i = 0; i < graph.kernels().size(); i++) {
            Kernel k = graph.kernels().get(i);
            String name = prefix + "k" + i;
            List<Integer> buffers = new ArrayList<>(k.outputs());          // outputs first, then what it reads
            for (int id : Kernels.reads(k)) if (!buffers.contains(id)) buffers.add(id);
            CWriter w = new CWriter();
            w.line("// " + Kernels.format(k).replace("\n", "\n// "));
            switch (k) {
                case Kernel.Pointwise p -> launches.add(pointwise(w, p, graph, name, i, buffers));
                case Kernel.Reduction r -> launches.add(reduction(w, r, graph, name, i, buffers));
                case Kernel.Contraction c -> launches.addAll(contraction(w, c, graph, name, i, buffers, scratch));
            }
            src.append(w).append('\n');
        }
        return new CudaSource(src.toString(), launches, scratch);
    }

    /** {@code extern "C" __global__ void name(...)}: the first {@code outputs} entries writable, scratch typed {@code scratchType}. */
    private static String signature(String name, int threads, KernelGraph graph, List<Integer> entries, int outputs, DType scratchType) {
        return "extern \"C\" __global__ void __launch_bounds__(" + threads + ") " + name + "("
                + parameters(graph, entries, outputs, scratchType) + ")";
    }

    private static String parameters(KernelGraph graph, List<Integer> entries, int outputs, DType scratchType) {
        List<String> params = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            int id = entries.get(i);
            String type = CTypes.element(id >= 0 ? graph.buffer(id).dtype() : scratchType);
            params.add((i < outputs ? type : "const " + type) + "* __restrict__ " + parameterName(id));
        }
        return String.join(", ", params);
    }

    /** {@code b<id>} for a graph buffer, {@code w<index>} for scratch. */
    static String parameterName(int entry) { return entry >= 0 ? "b" + entry : "w" + Launch.scratchIndex(entry); }

    /** Declares {@code const int i<axis> = ...} for each axis of {@code shape} (extent > 1) decoded from flat index {@code flat}. */
    private static void decode(CWriter w, Shape shape, List<Integer> axes, String flat) {
        long stride = 1;
        long[] strides = new long[axes.size()];
        for (int j = axes.size() - 1; j >= 0; j--) {
            strides[j] = stride;
            stride *= shape.dim(axes.get(j));
        }
        for (int j = 0; j < axes.size(); j++) {
            int axis = axes.get(j);
            int extent = shape.dim(axis);
            if (extent == 1) continue;
            String q = strides[j] == 1 ? flat : flat + " / " + strides[j];
            boolean outermost = strides[j] * extent == stride;
            w.line("const int i" + axis + " = " + (outermost ? q : "(" + q + ") % " + extent) + ";");
        }
    }

    private static String store(KernelGraph graph, int buffer, String index, String value) {
        DType t = graph.buffer(buffer).dtype();
        return "b" + buffer + "[" + index + "] = " + (t == DType.BOOL ? "(unsigned char) " + value : value) + ";";
    }

    // ---- pointwise ----------------------------------------------------------------------------------------------

    private static Launch pointwise(CWriter w, Kernel.Pointwise p, KernelGraph graph, String name, int kernel, List<Integer> buffers) {
        long n = p.shape().numel();
        w.open(signature(name, POINTWISE_BLOCK, graph, buffers, p.outputs().size(), null));
        w.line("const int t = blockIdx.x * " + POINTWISE_BLOCK + " + threadIdx.x;");
        w.line("if (t >= " + n + ") return;");
        decode(w, p.shape(), axes(p.shape().rank()), "t");
        ExprWriter e = new ExprWriter(w);
        for (Kernel.Store st : p.stores()) w.line(store(graph, st.output(), "t", e.expr(st.value())));
        w.close();
        return new Launch(name, kernel, blocks(n), 1, 1, POINTWISE_BLOCK, buffers);
    }

    private static List<Integer> axes(int rank) {
        List<Integer> a = new ArrayList<>();
        for (int i = 0; i < rank; i++) a.add(i);
        return a;
    }

    // ---- reduction ----------------------------------------------------------------------------------------------

    private static int reductionBlock(Kernel.Reduction r) {
        long reduced = 1;
        for (int a : r.axes()) reduced *= r.domain().dim(a);
        return (int) Math.min(256, Math.max(32, (reduced + 31) / 32 * 32));
    }

    private static Launch reduction(CWriter w, Kernel.Reduction r, KernelGraph graph, String name, int kernel, List<Integer> buffers) {
        Shape d = r.domain();
        List<Integer> kept = new ArrayList<>();
        long outputs = 1, reduced = 1;
        for (int a = 0; a < d.rank(); a++) {
            if (r.axes().contains(a)) reduced *= d.dim(a);
            else {
                kept.add(a);
                outputs *= d.dim(a);
            }
        }
        DType t = r.body().dtype();
        DType accType = switch (r.fn()) {
            case SUM -> t.isFloating() ? DType.F64 : DType.I64;
            case MAX -> t;
        };
        String acc = CTypes.value(accType);
        String identity = switch (r.fn()) {
            case SUM -> CTypes.literal(0, accType);
            case MAX -> switch (accType) {
                case F32, F64 -> CTypes.literal(Double.NEGATIVE_INFINITY, accType);
                case I32 -> CTypes.literal(Integer.MIN_VALUE, accType);
                case I64 -> CTypes.literal(Long.MIN_VALUE, accType);
                case BOOL -> "0";
            };
        };
        String op = r.fn() == dev.kiln.ir.Op.ReduceFn.SUM ? "KilnSum()" : "KilnMax()";
        if (outputs > Integer.MAX_VALUE) throw new IllegalArgumentException("reduction with " + outputs + " outputs: the CUDA renderer handles at most 2^31-1");
        boolean perThread = reduced <= THREAD_REDUCTION_MAX;
        int block = perThread ? POINTWISE_BLOCK : reductionBlock(r);
        ExprWriter e = new ExprWriter(w);
        w.open(signature(name, block, graph, buffers, 1, null));
        if (perThread) {
            w.line("const int p = blockIdx.x * " + POINTWISE_BLOCK + " + threadIdx.x;");
            w.line("if (p >= " + outputs + ") return;");
        } else {
            w.line("const int p = blockIdx.x;");
        }
        decode(w, d, kept, "p");
        w.line(acc + " acc = " + identity + ";");
        w.open(perThread ? "for (int r = 0; r < " + reduced + "; r++)" : "for (int r = threadIdx.x; r < " + reduced + "; r += " + block + ")");
        decode(w, d, r.axes(), "r");
        e.scoped(() -> w.line("acc = " + op + "(acc, " + CTypes.convert(e.expr(r.body()), t, accType) + ");"));
        w.close();
        if (!perThread) {
            w.line("acc = kiln_block_fold(acc, " + identity + ", " + op + ");");
            w.open("if (threadIdx.x == 0)");
        }
        w.line("const " + CTypes.value(t) + " folded = " + CTypes.convert("acc", accType, t) + ";");
        e.accumulator("folded");
        e.scoped(() -> w.line(store(graph, r.output(), ExprWriter.ix(r.outIndex()), e.expr(r.epilogue()))));
        if (!perThread) w.close();
        w.close();
        return perThread ? new Launch(name, kernel, blocks(outputs), 1, 1, POINTWISE_BLOCK, buffers)
                : new Launch(name, kernel, (int) outputs, 1, 1, block, buffers);
    }

    // ---- contraction --------------------------------------------------------------------------------------------

    /**
     * A contraction whose tiles alone would leave most of the GPU idle (a convolution's weight gradient: a few output
     * tiles, a sum over every pixel of the batch) is split along k: {@code _part} computes each split's tile products
     * into scratch, {@code _sum} adds the splits in order (deterministic, no atomics) and runs the epilogue.
     */
    private static List<Launch> contraction(CWriter w, Kernel.Contraction c, KernelGraph graph, String name, int kernel, List<Integer> buffers,
                                            List<Long> scratch) {
        Tile tile = Tile.of(c);
        int gridX = ceilDiv(c.n(), tile.n()), gridY = ceilDiv(c.m(), tile.m());
        int splits = splits(c, (long) gridX * gridY * c.batch());
        int kPer = splits == 1 ? c.k() : ceilDiv(ceilDiv(c.k(), splits), tile.k()) * tile.k();
        splits = splits == 1 ? 1 : ceilDiv(c.k(), kPer);
        if (gridY > GRID_YZ_MAX || (long) c.batch() * splits > GRID_YZ_MAX) {
            throw new IllegalArgumentException("contraction with m=" + c.m() + ", batch=" + c.batch() + ": the CUDA renderer handles m ≤ "
                    + (long) GRID_YZ_MAX * tile.m() + " and batch ≤ " + GRID_YZ_MAX / splits);
        }
        DType t = c.a().dtype();
        String type = CTypes.value(t);
        ExprWriter e = new ExprWriter(w);
        if (splits == 1) {
            w.open(signature(name, GEMM_THREADS, graph, buffers, 1, null));
            if (c.batch() > 1) w.line("const int i" + Kernel.Contraction.B + " = blockIdx.z;");
            tileProduct(w, e, c, tile, "0", String.valueOf(c.k()));
            eachTileElement(w, c, tile, () -> {
                w.line("const " + type + " sum = acc[i][j];");
                epilogue(w, e, c, graph);
            });
            w.close();
            return List.of(new Launch(name, kernel, gridX, gridY, c.batch(), GEMM_THREADS, buffers));
        }
        int ws = Launch.scratch(scratch.size());
        long outputs = (long) c.batch() * c.m() * c.n();
        scratch.add(splits * outputs * t.byteSize());
        List<Integer> reads = buffers.subList(1, buffers.size());
        List<Integer> partParams = new ArrayList<>(List.of(ws));
        partParams.addAll(reads);
        w.open(signature(name + "_part", GEMM_THREADS, graph, partParams, 1, t));
        w.line("const int split = blockIdx.z % " + splits + ";");
        if (c.batch() > 1) w.line("const int i" + Kernel.Contraction.B + " = blockIdx.z / " + splits + ";");
        tileProduct(w, e, c, tile, "split * " + kPer, "split == " + (splits - 1) + " ? " + c.k() + " : split * " + kPer + " + " + kPer);
        // 32-bit is enough: a split product has fewer than SPLIT_BLOCKS tiles, at most 2^20 outputs
        String flat = (c.batch() > 1 ? "(i" + Kernel.Contraction.B + " * " + c.m() + " + i1)" : "i1") + " * " + c.n() + " + i2";
        eachTileElement(w, c, tile, () -> w.line(parameterName(ws) + "[split * " + outputs + "LL + " + flat + "] = acc[i][j];"));
        w.close();
        List<Integer> sumParams = new ArrayList<>(List.of(c.output(), ws));
        sumParams.addAll(reads);
        w.open(signature(name + "_sum", POINTWISE_BLOCK, graph, sumParams, 1, t));
        w.line("const long long t = (long long) blockIdx.x * " + POINTWISE_BLOCK + " + threadIdx.x;");
        w.line("if (t >= " + outputs + "LL) return;");
        // i1 and i2 always, as eachTileElement declares them for the unsplit epilogue (decode skips extent-1 axes)
        if (c.batch() > 1) w.line("const int i" + Kernel.Contraction.B + " = t / " + (long) c.m() * c.n() + "LL;");
        w.line("const int i" + Kernel.Contraction.M + " = (t / " + c.n() + ") % " + c.m() + ", i" + Kernel.Contraction.N + " = t % " + c.n() + ";");
        w.line(type + " sum = " + CTypes.literal(0, t) + ";");
        w.line("for (int s = 0; s < " + splits + "; s++) sum += " + parameterName(ws) + "[s * " + outputs + "LL + t];");
        epilogue(w, e, c, graph);
        w.close();
        return List.of(new Launch(name + "_part", kernel, gridX, gridY, c.batch() * splits, GEMM_THREADS, partParams),
                new Launch(name + "_sum", kernel, blocks(outputs), 1, 1, POINTWISE_BLOCK, sumParams));
    }

    /**
     * How many k-splits to ask for: enough for about {@link #SPLIT_BLOCKS} blocks, each split at least
     * {@link #SPLIT_MIN_K} deep (but the last, which takes what is left); 1 when the tiles alone fill the GPU, there
     * are none (an empty output), or k is short.
     */
    static int splits(Kernel.Contraction c, long tiles) {
        if (tiles == 0 || tiles >= SPLIT_BLOCKS) return 1;
        return (int) Math.max(1, Math.min(SPLIT_BLOCKS / tiles, c.k() / SPLIT_MIN_K));
    }

    /**
     * Declares {@code acc[micro][micro]}, this thread's block of the tile at (blockIdx.y, blockIdx.x) summed over k in
     * [{@code kBegin}, {@code kEnd}): the operands' slices staged in shared memory (their expressions do the im2col
     * indexing, zero outside the matrix), each of the 256 threads accumulating its register block with FMAs.
     */
    private static void tileProduct(CWriter w, ExprWriter e, Kernel.Contraction c, Tile tile, String kBegin, String kEnd) {
        DType t = c.a().dtype();
        String type = CTypes.value(t), zero = CTypes.literal(0, t);
        int cols = tile.n() / tile.micro(), micro = tile.micro();   // 16 × 16 threads
        // A is stored k-major from k-consecutive loads: 4 floats of padding per row spread a warp's stores over the banks
        // (all 32 for the large tile's 8 rows; the small tile's 16 rows meet 2 to a bank)
        w.line("__shared__ __align__(16) " + type + " As[" + tile.k() + "][" + (tile.m() + 4) + "];");
        w.line("__shared__ __align__(16) " + type + " Bs[" + tile.k() + "][" + tile.n() + "];");
        w.line("const int tid = threadIdx.x, tx = tid % " + cols + ", ty = tid / " + cols + ";");
        w.line("const int m0 = blockIdx.y * " + tile.m() + ", n0 = blockIdx.x * " + tile.n() + ";");
        w.line(type + " acc[" + micro + "][" + micro + "];");
        w.line("for (int i = 0; i < " + micro + "; i++) for (int j = 0; j < " + micro + "; j++) acc[i][j] = " + zero + ";");
        w.line("const int kEnd = " + kEnd + ";");
        // The next slice is fetched into registers while this one is multiplied, so global loads overlap the FMAs.
        w.line(type + " ra[" + tile.m() * tile.k() / GEMM_THREADS + "], rb[" + tile.k() * tile.n() / GEMM_THREADS + "];");
        fetch(w, e, c, tile, kBegin, type, zero);
        w.open("for (int k0 = " + kBegin + "; k0 < kEnd; k0 += " + tile.k() + ")");
        w.line("#pragma unroll");
        w.line("for (int r = 0; r < " + tile.m() * tile.k() / GEMM_THREADS + "; r++) { const int e = tid + r * " + GEMM_THREADS
                + "; As[e % " + tile.k() + "][e / " + tile.k() + "] = ra[r]; }");
        w.line("#pragma unroll");
        w.line("for (int r = 0; r < " + tile.k() * tile.n() / GEMM_THREADS + "; r++) { const int e = tid + r * " + GEMM_THREADS
                + "; Bs[e / " + tile.n() + "][e % " + tile.n() + "] = rb[r]; }");
        w.line("__syncthreads();");
        w.open("if (k0 + " + tile.k() + " < kEnd)");
        fetch(w, e, c, tile, "k0 + " + tile.k(), type, zero);
        w.close();
        w.line("#pragma unroll");
        w.open("for (int kk = 0; kk < " + tile.k() + "; kk++)");
        w.line(type + " a[" + micro + "], b[" + micro + "];");
        w.line("for (int i = 0; i < " + micro + "; i++) a[i] = As[kk][" + Tile.offset("ty", "i") + "];");
        w.line("for (int j = 0; j < " + micro + "; j++) b[j] = Bs[kk][" + Tile.offset("tx", "j") + "];");
        w.line("for (int i = 0; i < " + micro + "; i++) for (int j = 0; j < " + micro + "; j++) acc[i][j] += a[i] * b[j];");
        w.close();
        w.line("__syncthreads();");
        w.close();
    }

    /**
     * Loads the operands' slice at k = {@code k0} into registers {@code ra} (A: consecutive threads take consecutive k,
     * so row-major operands are read contiguously) and {@code rb} (B: consecutive n).
     */
    private static void fetch(CWriter w, ExprWriter e, Kernel.Contraction c, Tile tile, String k0, String type, String zero) {
        w.line("#pragma unroll");
        w.open("for (int r = 0; r < " + tile.m() * tile.k() / GEMM_THREADS + "; r++)");
        w.line("const int e = tid + r * " + GEMM_THREADS + ";");
        w.line("const int i" + Kernel.Contraction.M + " = m0 + e / " + tile.k() + ", i" + Kernel.Contraction.K + " = " + k0 + " + e % " + tile.k() + ";");
        stage(w, e, c.a(), "ra[r]", "i1 < " + c.m() + " && i3 < kEnd", type, zero);
        w.close();
        w.line("#pragma unroll");
        w.open("for (int r = 0; r < " + tile.k() * tile.n() / GEMM_THREADS + "; r++)");
        w.line("const int e = tid + r * " + GEMM_THREADS + ";");
        w.line("const int i" + Kernel.Contraction.K + " = " + k0 + " + e / " + tile.n() + ", i" + Kernel.Contraction.N + " = n0 + e % " + tile.n() + ";");
        stage(w, e, c.b(), "rb[r]", "i3 < kEnd && i2 < " + c.n(), type, zero);
        w.close();
    }

    /** {@code body} once per element (i, j) of this thread's register block inside the output, i1 and i2 declared. */
    private static void eachTileElement(CWriter w, Kernel.Contraction c, Tile tile, Runnable body) {
        w.open("for (int i = 0; i < " + tile.micro() + "; i++)");
        w.open("for (int j = 0; j < " + tile.micro() + "; j++)");
        w.line("const int i" + Kernel.Contraction.M + " = m0 + " + Tile.offset("ty", "i") + ", i" + Kernel.Contraction.N + " = n0 + " + Tile.offset("tx", "j") + ";");
        w.line("if (i1 >= " + c.m() + " || i2 >= " + c.n() + ") continue;");
        body.run();
        w.close();
        w.close();
    }

    /** Stores the epilogue of the product {@code sum} at (i0, i1, i2). */
    private static void epilogue(CWriter w, ExprWriter e, Kernel.Contraction c, KernelGraph graph) {
        e.accumulator("sum");
        e.scoped(() -> w.line(store(graph, c.output(), ExprWriter.ix(c.outIndex()), e.expr(c.epilogue()))));
    }

    private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }

    /** Blocks of {@link #POINTWISE_BLOCK} threads for one thread per element; the element index must fit an int. */
    private static int blocks(long threads) {
        if (threads > Integer.MAX_VALUE - POINTWISE_BLOCK) {
            throw new IllegalArgumentException(threads + " elements in one kernel: the CUDA renderer handles at most "
                    + (Integer.MAX_VALUE - POINTWISE_BLOCK) + " (a 32-bit thread index)");
        }
        return (int) ((threads + POINTWISE_BLOCK - 1) / POINTWISE_BLOCK);
    }

    /** {@code target = inside ? operand : 0}, the operand's expression evaluated only inside the matrix. */
    private static void stage(CWriter w, ExprWriter e, Expr operand, String target, String inside, String type, String zero) {
        w.line(type + " staged = " + zero + ";");
        w.open("if (" + inside + ")");
        e.scoped(() -> w.line("staged = " + e.expr(operand) + ";"));
        w.close();
        w.line(target + " = staged;");
    }
}
