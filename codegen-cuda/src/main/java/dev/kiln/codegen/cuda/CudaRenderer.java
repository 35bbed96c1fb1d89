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
 *       shuffles and a shared-memory step ({@code kiln_block_fold}); thread 0 runs the epilogue;</li>
 *   <li>contraction (matmul, and convolutions as implicit GEMMs): 64×64 output tiles per block of 256 threads, the
 *       operands' 64×16 and 16×64 slices staged in shared memory (their expressions do the im2col indexing, zero
 *       outside the matrix), each thread accumulating a 4×4 register block, then the fused epilogue.</li>
 * </ul>
 * Scalar semantics follow the JVM backend (see kiln_prelude.cuh): float32 sums accumulate in double, Java's NaN rules
 * for max/min, saturating float→int casts, wrap-around integer arithmetic, the same counter-based RNG. Two deliberate
 * differences: an integer division by zero gives 0 (the JVM throws), and sums add in a different order (results agree
 * to rounding, not bit for bit). Contractions accumulate in their dtype with FMA.
 */
public final class CudaRenderer {
    static final int POINTWISE_BLOCK = 256;
    static final int TILE_M = 64, TILE_N = 64, TILE_K = 16, GEMM_THREADS = 256, MICRO = 4;
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

    /** Renders every kernel of {@code graph}; function names are {@code prefix + "k" + index}. */
    public static CudaSource render(KernelGraph graph, String prefix) {
        StringBuilder src = new StringBuilder();
        List<Launch> launches = new ArrayList<>();
        for (int i = 0; i < graph.kernels().size(); i++) {
            Kernel k = graph.kernels().get(i);
            String name = prefix + "k" + i;
            List<Integer> buffers = new ArrayList<>(k.outputs());          // outputs first, then what it reads
            for (int id : Kernels.reads(k)) if (!buffers.contains(id)) buffers.add(id);
            CWriter w = new CWriter();
            w.line("// " + Kernels.format(k).replace("\n", "\n// "));
            String signature = "extern \"C\" __global__ void __launch_bounds__(" + threads(k) + ") " + name + "("
                    + parameters(graph, buffers, k.outputs().size()) + ")";
            Launch launch = switch (k) {
                case Kernel.Pointwise p -> pointwise(w, signature, p, graph, name, buffers);
                case Kernel.Reduction r -> reduction(w, signature, r, graph, name, buffers);
                case Kernel.Contraction c -> contraction(w, signature, c, graph, name, buffers);
            };
            src.append(w).append('\n');
            launches.add(launch);
        }
        return new CudaSource(src.toString(), launches);
    }

    private static int threads(Kernel k) {
        return switch (k) {
            case Kernel.Pointwise p -> POINTWISE_BLOCK;
            case Kernel.Reduction r -> reductionBlock(r);
            case Kernel.Contraction c -> GEMM_THREADS;
        };
    }

    private static String parameters(KernelGraph graph, List<Integer> buffers, int outputs) {
        List<String> params = new ArrayList<>();
        for (int i = 0; i < buffers.size(); i++) {
            int id = buffers.get(i);
            String type = CTypes.element(graph.buffer(id).dtype());
            params.add((i < outputs ? type : "const " + type) + "* __restrict__ b" + id);
        }
        return String.join(", ", params);
    }

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

    private static Launch pointwise(CWriter w, String signature, Kernel.Pointwise p, KernelGraph graph, String name, List<Integer> buffers) {
        long n = p.shape().numel();
        w.open(signature);
        w.line("const int t = blockIdx.x * " + POINTWISE_BLOCK + " + threadIdx.x;");
        w.line("if (t >= " + n + ") return;");
        decode(w, p.shape(), axes(p.shape().rank()), "t");
        ExprWriter e = new ExprWriter(w);
        for (Kernel.Store st : p.stores()) w.line(store(graph, st.output(), "t", e.expr(st.value())));
        w.close();
        return new Launch(name, (int) ((n + POINTWISE_BLOCK - 1) / POINTWISE_BLOCK), 1, 1, POINTWISE_BLOCK, buffers);
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

    private static Launch reduction(CWriter w, String signature, Kernel.Reduction r, KernelGraph graph, String name, List<Integer> buffers) {
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
        int block = reductionBlock(r);
        w.open(signature);
        w.line("const int p = blockIdx.x;");
        decode(w, d, kept, "p");
        w.line(acc + " acc = " + identity + ";");
        ExprWriter e = new ExprWriter(w);
        w.open("for (int r = threadIdx.x; r < " + reduced + "; r += " + block + ")");
        decode(w, d, r.axes(), "r");
        e.scoped(() -> w.line("acc = " + op + "(acc, " + CTypes.convert(e.expr(r.body()), t, accType) + ");"));
        w.close();
        w.line("acc = kiln_block_fold(acc, " + identity + ", " + op + ");");
        w.open("if (threadIdx.x == 0)");
        w.line("const " + CTypes.value(t) + " folded = " + CTypes.convert("acc", accType, t) + ";");
        e.accumulator("folded");
        e.scoped(() -> w.line(store(graph, r.output(), ExprWriter.ix(r.outIndex()), e.expr(r.epilogue()))));
        w.close();
        w.close();
        if (outputs > Integer.MAX_VALUE) throw new IllegalArgumentException("reduction with " + outputs + " outputs: the CUDA renderer handles at most 2^31-1");
        return new Launch(name, (int) outputs, 1, 1, block, buffers);
    }

    // ---- contraction --------------------------------------------------------------------------------------------

    private static Launch contraction(CWriter w, String signature, Kernel.Contraction c, KernelGraph graph, String name, List<Integer> buffers) {
        DType t = c.a().dtype();
        String type = CTypes.value(t), zero = CTypes.literal(0, t);
        int rows = TILE_M / MICRO, cols = TILE_N / MICRO;   // 16 × 16 threads, each a 4 × 4 block of the tile
        w.open(signature);
        w.line("__shared__ " + type + " As[" + TILE_K + "][" + TILE_M + "];");
        w.line("__shared__ " + type + " Bs[" + TILE_K + "][" + TILE_N + "];");
        w.line("const int tid = threadIdx.x, tx = tid % " + cols + ", ty = tid / " + cols + ";");
        w.line("const int m0 = blockIdx.y * " + TILE_M + ", n0 = blockIdx.x * " + TILE_N + ";");
        if (c.batch() > 1) w.line("const int i" + Kernel.Contraction.B + " = blockIdx.z;");
        w.line(type + " acc[" + MICRO + "][" + MICRO + "];");
        w.line("for (int i = 0; i < " + MICRO + "; i++) for (int j = 0; j < " + MICRO + "; j++) acc[i][j] = " + zero + ";");
        ExprWriter e = new ExprWriter(w);
        w.open("for (int k0 = 0; k0 < " + c.k() + "; k0 += " + TILE_K + ")");
        // A's slice: consecutive threads take consecutive k (row-major operands read contiguously).
        w.open("for (int e = tid; e < " + TILE_M * TILE_K + "; e += " + GEMM_THREADS + ")");
        w.line("const int i" + Kernel.Contraction.M + " = m0 + e / " + TILE_K + ", i" + Kernel.Contraction.K + " = k0 + e % " + TILE_K + ";");
        stage(w, e, c.a(), "As[e % " + TILE_K + "][e / " + TILE_K + "]", "i1 < " + c.m() + " && i3 < " + c.k(), type, zero);
        w.close();
        w.open("for (int e = tid; e < " + TILE_K * TILE_N + "; e += " + GEMM_THREADS + ")");
        w.line("const int i" + Kernel.Contraction.K + " = k0 + e / " + TILE_N + ", i" + Kernel.Contraction.N + " = n0 + e % " + TILE_N + ";");
        stage(w, e, c.b(), "Bs[e / " + TILE_N + "][e % " + TILE_N + "]", "i3 < " + c.k() + " && i2 < " + c.n(), type, zero);
        w.close();
        w.line("__syncthreads();");
        w.open("for (int kk = 0; kk < " + TILE_K + "; kk++)");
        w.line(type + " a[" + MICRO + "], b[" + MICRO + "];");
        w.line("for (int i = 0; i < " + MICRO + "; i++) a[i] = As[kk][ty + " + rows + " * i];");
        w.line("for (int j = 0; j < " + MICRO + "; j++) b[j] = Bs[kk][tx + " + cols + " * j];");
        w.line("for (int i = 0; i < " + MICRO + "; i++) for (int j = 0; j < " + MICRO + "; j++) acc[i][j] += a[i] * b[j];");
        w.close();
        w.line("__syncthreads();");
        w.close();
        w.open("for (int i = 0; i < " + MICRO + "; i++)");
        w.open("for (int j = 0; j < " + MICRO + "; j++)");
        w.line("const int i" + Kernel.Contraction.M + " = m0 + ty + " + rows + " * i, i" + Kernel.Contraction.N + " = n0 + tx + " + cols + " * j;");
        w.line("if (i1 >= " + c.m() + " || i2 >= " + c.n() + ") continue;");
        w.line("const " + type + " sum = acc[i][j];");
        e.accumulator("sum");
        e.scoped(() -> w.line(store(graph, c.output(), ExprWriter.ix(c.outIndex()), e.expr(c.epilogue()))));
        w.close();
        w.close();
        w.close();
        int gridX = (c.n() + TILE_N - 1) / TILE_N, gridY = (c.m() + TILE_M - 1) / TILE_M;
        if (gridY > GRID_YZ_MAX || c.batch() > GRID_YZ_MAX) {
            throw new IllegalArgumentException("contraction with m=" + c.m() + ", batch=" + c.batch() + ": the CUDA renderer handles m ≤ "
                    + (long) GRID_YZ_MAX * TILE_M + " and batch ≤ " + GRID_YZ_MAX);
        }
        return new Launch(name, gridX, gridY, c.batch(), GEMM_THREADS, buffers);
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
