package dev.kiln.codegen.jvm;

import dev.kiln.codegen.jvm.gemm.Gemm;
import dev.kiln.codegen.jvm.gemm.Offsets;
import dev.kiln.ir.DType;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Ix;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled kernel graph on the JVM: generated kernels run in order over Java arrays. Temporaries live in the
 * memory plan's slots, allocated once; each run allocates only its output arrays.
 */
final class JvmProgram implements Program {
    private final KernelGraph graph;
    private final List<Step> steps;
    private final Object[] slotArrays;

    interface Step {
        void run(Object[] buffers);
    }

    private final List<byte[]> code;

    JvmProgram(KernelGraph graph, List<Step> steps, List<byte[]> code, KernelProfile profile) {
        this.graph = graph;
        this.steps = steps;
        this.code = List.copyOf(code);
        this.profile = profile;
        Map<Integer, Integer> slotSize = new HashMap<>();
        Map<Integer, DType> slotType = new HashMap<>();
        for (KernelGraph.BufferInfo b : graph.buffers()) {
            if (b.slot() < 0) continue;
            slotSize.merge(b.slot(), b.shape().numel(), Math::max);
            slotType.put(b.slot(), b.dtype());
        }
        slotArrays = new Object[slotSize.size()];
        slotSize.forEach((slot, size) -> slotArrays[slot] = HostBuffer.allocate(slotType.get(slot), size).array());
        bound = new Object[graph.buffers().size()];
        for (KernelGraph.BufferInfo b : graph.buffers()) if (b.slot() >= 0) bound[b.id()] = slotArrays[b.slot()];
    }

    @Override public KernelGraph graph() { return graph; }

    @Override public List<byte[]> code() { return code; }

    /** Reused across runs: the array of every buffer's Java array, indexed by buffer id. */
    private final Object[] bound;

    @Override public synchronized void runInto(HostBuffer[] inputs, HostBuffer[] outputs) {
        if (inputs.length != graph.inputs().size() || outputs.length != graph.outputs().size()) {
            throw new IllegalArgumentException("program takes " + graph.inputs().size() + " inputs and " + graph.outputs().size()
                    + " outputs, got " + inputs.length + " and " + outputs.length);
        }
        for (int i = 0; i < inputs.length; i++) bound[checked(graph.inputs().get(i), inputs[i], "input", i)] = inputs[i].array();
        for (int i = 0; i < outputs.length; i++) {
            int id = graph.outputs().get(i);
            if (graph.buffer(id).role() != KernelGraph.Role.OUTPUT) {
                throw new IllegalArgumentException("output " + i + " is one of the program's inputs; use run() for such programs");
            }
            bound[checked(id, outputs[i], "output", i)] = outputs[i].array();
        }
        runSteps(bound);
    }

    /** Null unless profiling ({@code -Dkiln.debug=profile}). */
    private final KernelProfile profile;

    private void runSteps(Object[] buffers) {
        if (profile == null) {
            for (Step s : steps) s.run(buffers);
            return;
        }
        for (int i = 0; i < steps.size(); i++) {
            long t = System.nanoTime();
            steps.get(i).run(buffers);
            profile.add(i, KernelProfile.WHOLE, System.nanoTime() - t);
        }
        profile.endRun();
    }

    /** The buffer id, after checking the buffer fits it (the message is built only on failure: this runs every step). */
    private int checked(int id, HostBuffer b, String role, int index) {
        KernelGraph.BufferInfo info = graph.buffer(id);
        if (b.dtype() != info.dtype() || b.length() != info.shape().numel()) {
            throw new IllegalArgumentException(role + " " + index + " is " + b.dtype().torchName() + "[" + b.length() + "], the program expects "
                    + info.dtype().torchName() + info.shape());
        }
        return id;
    }

    @Override public synchronized List<HostBuffer> run(List<HostBuffer> inputs) {
        if (inputs.size() != graph.inputs().size()) {
            throw new IllegalArgumentException("program takes " + graph.inputs().size() + " inputs, got " + inputs.size());
        }
        Object[] buffers = new Object[graph.buffers().size()];
        for (int i = 0; i < inputs.size(); i++) {
            KernelGraph.BufferInfo b = graph.buffer(graph.inputs().get(i));
            HostBuffer in = inputs.get(i);
            if (in.dtype() != b.dtype() || in.length() != b.shape().numel()) {
                throw new IllegalArgumentException("input " + i + " is " + in.dtype().torchName() + "[" + in.length() + "], the program expects "
                        + b.dtype().torchName() + b.shape());
            }
            buffers[b.id()] = in.array();
        }
        for (KernelGraph.BufferInfo b : graph.buffers()) {
            if (b.slot() >= 0) buffers[b.id()] = slotArrays[b.slot()];
            else if (b.role() == KernelGraph.Role.OUTPUT) buffers[b.id()] = HostBuffer.allocate(b.dtype(), b.shape().numel()).array();
        }
        runSteps(buffers);
        List<HostBuffer> out = new ArrayList<>();
        for (int id : graph.outputs()) out.add(HostBuffer.wrap(graph.buffer(id).dtype(), buffers[id]));
        return out;
    }

    /** A pointwise or reduction kernel, its parallel axis split across threads. */
    static Step loop(LoopKernel kernel, int extent, long work) {
        return buffers -> {
            if (Threads.serial(extent, work)) kernel.run(buffers, 0, extent);
            else Threads.forRange(extent, work, (lo, hi) -> kernel.run(buffers, lo, hi));
        };
    }

    /**
     * A contraction: operands read in place when they are strided views of a buffer, gathered by the GEMM core through
     * offset tables when they are other plain reads whose rows and columns separate (a convolution's patches), else
     * packed by generated code. Large NCHW convolutions without an epilogue run one product per image
     * ({@link ImageBlocks}); convolutions with more than {@link #TRANSPOSED_MIN_M} output channels run transposed when the
     * core reads their patches in place ({@link #transposes}). Products with few rows and patches as B go to
     * {@link RunProduct} first (LeNet's conv1: its forward convolution and weight gradient).
     */
    static Step contraction(Kernel.Contraction c, ContractionKernel generated, KernelGraph graph, KernelProfile profile, int step) {
        Step runs = RunProduct.of(c, generated, graph, profile, step);
        if (runs != null) return runs;
        DType t = c.a().dtype();
        int rows = generated.panelRows(), cols = generated.panelCols();      // 0: not in panels, but row- or column-major
        boolean aColumns = rows == 0 && generated.aColumnMajor(), bColumns = cols == 0 && generated.bColumnMajor();
        Operand a = Operand.of(c.a(), c, Kernel.Contraction.M, Kernel.Contraction.K, Kernel.Contraction.N, rows == 0, true);
        Operand b = Operand.of(c.b(), c, Kernel.Contraction.K, Kernel.Contraction.N, Kernel.Contraction.M, cols == 0, false);
        boolean indexed = (a != null && a.rows != null) || (b != null && b.rows != null);
        if (indexed && (t != DType.F32 || (a == null && rows > 0) || (b == null && cols > 0))) {
            // the other operand comes from a generated packer in panel layout: keep both on generated packers
            if (a != null && a.rows != null) a = null;
            if (b != null && b.rows != null) b = null;
            indexed = false;
        }
        Operand aIn = a, bIn = b;
        boolean viaTables = indexed;
        Offsets aRows = indexed ? Operand.rowTable(a, c.m(), aColumns ? 1 : c.k()) : null;
        Offsets aCols = indexed ? Operand.colTable(a, c.k(), aColumns ? c.m() : 1) : null;
        Offsets bRows = indexed ? Operand.rowTable(b, c.k(), bColumns ? 1 : c.n()) : null;
        Offsets bCols = indexed ? Operand.colTable(b, c.n(), bColumns ? c.k() : 1) : null;
        Ix rowMajor = Ix.var(Kernel.Contraction.B, c.batch()).times((long) c.m() * c.n())
                .plus(Ix.var(Kernel.Contraction.M, c.m()).times(c.n())).plus(Ix.var(Kernel.Contraction.N, c.n()));
        boolean inPlace = c.outIndex().equals(rowMajor) && graph.buffer(c.output()).dtype() == t;
        boolean plainStore = inPlace && c.epilogue() instanceof Expr.Acc;
        Object packA = a == null ? HostBuffer.allocate(t, padded(c.m(), rows) * c.k()).array() : null;
        Object packB = b == null ? HostBuffer.allocate(t, padded(c.n(), cols) * c.k()).array() : null;
        boolean aPanels = a == null && rows > 0, bPanels = b == null && cols > 0;

        // few output channels (more than TRANSPOSED_MIN_M, at most one panel) and patches whose one side runs along image
        // rows while the other, the filter taps, is scattered: C^T = B^T·A^T, so the core reads the patches in place row
        // by row against one panel of the other operand (BlockedGemm.readsRowsInPlace) instead of packing them. A weight
        // gradient's patches have the taps as columns; a forward convolution's have them as depth (LeNet's conv2 in the
        // step: 630-660 -> 492-502 us with the transpose back). C^T goes back straight into the output when it has no
        // epilogue.
        boolean transposed = viaTables && transposes(c, b);
        float[] productT = transposed ? new float[c.m() * c.n()] : null;
        ProductOutput output = transposed ? ProductOutput.of(c, graph) : null;
        boolean direct = output != null && output.direct(), noEpilogue = plainStore || direct;
        Object temp = inPlace || direct ? null : HostBuffer.allocate(t, c.m() * c.n()).array();
        long work = (long) c.m() * c.n();
        ImageBlocks images = t == DType.F32 && aIn != null && bIn != null ? ImageBlocks.of(c, bIn, bCols) : null;
        if (images != null) return images.step(c, aIn, bIn, aRows, aCols, bRows, profile, step);
        return buffers -> {
            for (int batch = 0; batch < c.batch(); batch++) {
                long t0 = profile == null ? 0 : System.nanoTime();
                Object aArr, bArr;
                int aOff, ars, acs, bOff, brs, bcs;
                if (aIn != null) { aArr = buffers[aIn.buffer]; aOff = aIn.offset(batch); ars = aIn.rowStride; acs = aIn.colStride; }
                else { generated.packA(buffers, batch, packA); aArr = packA; aOff = 0; ars = aColumns ? 1 : c.k(); acs = aColumns ? c.m() : 1; }
                if (bIn != null) { bArr = buffers[bIn.buffer]; bOff = bIn.offset(batch); brs = bIn.rowStride; bcs = bIn.colStride; }
                else { generated.packB(buffers, batch, packB); bArr = packB; bOff = 0; brs = bColumns ? 1 : c.n(); bcs = bColumns ? c.k() : 1; }
                Object cArr = inPlace ? buffers[c.output()] : temp;
                int cOff = inPlace ? batch * c.m() * c.n() : 0;
                long t1 = profile == null ? 0 : System.nanoTime();
                if (transposed) {
                    Gemm.best().sgemmIndexed(c.n(), c.m(), c.k(), (float[]) bArr, bOff, bCols, bRows, (float[]) aArr, aOff, aCols, aRows,
                            productT, 0, c.m(), false, Threads.parallelism());
                    Gemm.best().untranspose(productT, c.m(), c.n(), (float[]) (direct ? buffers[c.output()] : cArr),
                            direct ? output.offset(batch) : cOff, output.rows(), output.cols());
                } else if (viaTables) {
                    Gemm.best().sgemmIndexed(c.m(), c.n(), c.k(), (float[]) aArr, aOff, aRows, aCols,
                            (float[]) bArr, bOff, bRows, bCols, (float[]) cArr, cOff, c.n(), false, Threads.parallelism());
                } else if (aPanels || bPanels) {
                    Gemm.best().sgemmPanels(c.m(), c.n(), c.k(), (float[]) aArr, aOff, ars, acs, aPanels, (float[]) bArr, bOff, brs, bcs, bPanels,
                            (float[]) cArr, cOff, c.n(), false, Threads.parallelism());
                } else {
                    multiply(t, c.m(), c.n(), c.k(), aArr, aOff, ars, acs, bArr, bOff, brs, bcs, cArr, cOff);
                }
                long t2 = profile == null ? 0 : System.nanoTime();
                if (!noEpilogue) epilogue(generated, buffers, batch, cArr, cOff, c.m(), work);
                if (profile != null) profile.addContraction(step, t0, t1, t2, System.nanoTime());
            }
        };
    }

    /** The generated epilogue over rows [0, m) of the product at {@code c[cOff ..]}, split across threads when it pays. */
    static void epilogue(ContractionKernel generated, Object[] buffers, int batch, Object c, int cOff, int m, long work) {
        if (Threads.serial(m, work)) generated.epilogue(buffers, batch, c, cOff, 0, m);
        else Threads.forRange(m, work, (lo, hi) -> generated.epilogue(buffers, batch, c, cOff, lo, hi));
    }

    /** Whether the contraction runs transposed (see {@link #contraction}), given its B read in place (or null). */
    static boolean transposes(Kernel.Contraction c, Operand b) {
        if (b == null || b.rows == null || c.m() <= TRANSPOSED_MIN_M) return false;
        boolean tapsAsColumns = !b.cols.mostlyContiguous() && b.rows.mostlyContiguous();    // a weight gradient
        boolean tapsAsDepth = b.cols.mostlyContiguous() && !b.rows.mostlyContiguous();      // a forward convolution
        // the forward one needs the core's narrow rows kernel (Gemm.readsRowsNarrowly), else the core packs the
        // transposed patches one element at a time
        return (tapsAsColumns && c.m() <= Gemm.best().panelCols()) || (tapsAsDepth && Gemm.best().readsRowsNarrowly(c.m()));
    }

    /**
     * Convolutions with at most this many output channels stay untransposed: LeNet's conv1 weight gradient (6 channels)
     * gained little (970 → 865 µs) and, transposed beside conv2, made the step's JIT-compiled code erratic; its forward
     * convolution would cover 6 channels with a tile of 8 and transpose 300k values back (no gain over ImageBlocks).
     */
    static final int TRANSPOSED_MIN_M = 8;

    /** {@code size} rounded up to whole panels of {@code width} (unchanged when 0: row-major). */
    static int padded(int size, int width) {
        return width == 0 ? size : (size + width - 1) / width * width;
    }

    private static void multiply(DType t, int m, int n, int k, Object a, int aOff, int ars, int acs, Object b, int bOff, int brs, int bcs, Object c, int cOff) {
        switch (t) {
            case F32 -> Gemm.best().sgemm(m, n, k, (float[]) a, aOff, ars, acs, (float[]) b, bOff, brs, bcs, (float[]) c, cOff, n, false, Threads.parallelism());
            case F64 -> SmallGemm.dgemm(m, n, k, (double[]) a, aOff, ars, acs, (double[]) b, bOff, brs, bcs, (double[]) c, cOff, n);
            case I64 -> SmallGemm.lgemm(m, n, k, (long[]) a, aOff, ars, acs, (long[]) b, bOff, brs, bcs, (long[]) c, cOff, n);
            case I32 -> SmallGemm.igemm(m, n, k, (int[]) a, aOff, ars, acs, (int[]) b, bOff, brs, bcs, (int[]) c, cOff, n);
            case BOOL -> throw new IllegalArgumentException("matmul/conv2d of bool tensors is not supported; convert to a number type first");
        }
    }

    /**
     * A convolution whose output is row-major image by image ([M][OH·OW] per image, the NCHW layout) and needs no
     * epilogue: one product per image writes its image's outputs in place. The one product over all images side by side
     * would write a temporary [M][N·OH·OW] that a second pass (the epilogue) permutes into NCHW, which cost as much as a
     * third of the product (LeNet's conv1: 133 µs of 620). Images go to threads whole, each on one thread, so the bits
     * don't depend on the thread count. Only for images of at least {@link #MIN_COLUMNS} output positions: with fewer,
     * each image's partial B panel and packing A again per image cost more than the permute pass saves (LeNet's conv2,
     * 100 positions per image: 781 → 882 µs, where conv1, 784 per image, went 622 → 540 µs).
     *
     * @param columns output positions per image (the per-image n)
     * @param shifts  per image, what its B columns add to the first image's
     * @param cols    the first image's B column offsets
     */
    record ImageBlocks(int count, int columns, int[] shifts, Offsets cols) {
        static final int MIN_COLUMNS = 256;

        /** The per-image split of {@code c}, or null when its output isn't NCHW-like or B's columns don't repeat per image. */
        static ImageBlocks of(Kernel.Contraction c, Operand b, Offsets bCols) {
            List<Integer> f = c.nFactors();
            if (c.batch() != 1 || f.size() < 2 || f.get(0) < 2 || !(c.epilogue() instanceof Expr.Acc)) return null;
            int count = f.get(0), columns = c.n() / count;
            if (columns < MIN_COLUMNS) return null;
            Ix digits = c.outIndex().substitute(Kernel.Contraction.N, KernelCompiler.Factored.of(f, 10).flat());
            Ix perImage = Ix.var(10, count).times((long) c.m() * columns)
                    .plus(Ix.var(Kernel.Contraction.M, c.m()).times(columns))
                    .plus(KernelCompiler.Factored.of(f.subList(1, f.size()), 11).flat());
            if (!digits.equals(perImage)) return null;
            int[] all = bCols != null ? bCols.values() : Offsets.strided(c.n(), b.colStride).values();
            int[] shifts = new int[count];
            for (int i = 0; i < count; i++) {
                shifts[i] = all[i * columns] - all[0];
                for (int j = 0; j < columns; j++) if (all[i * columns + j] - all[j] != shifts[i]) return null;
            }
            return new ImageBlocks(count, columns, shifts, Offsets.of(java.util.Arrays.copyOf(all, columns)));
        }

        Step step(Kernel.Contraction c, Operand a, Operand b, Offsets aRows, Offsets aCols, Offsets bRows, KernelProfile profile, int step) {
            Offsets ar = aRows != null ? aRows : Operand.rowTable(a, c.m(), 0), ac = aCols != null ? aCols : Operand.colTable(a, c.k(), 0);
            Offsets br = bRows != null ? bRows : Operand.rowTable(b, c.k(), 0);
            int plane = c.m() * columns;
            return buffers -> {
                long t0 = profile == null ? 0 : System.nanoTime();
                float[] aArr = (float[]) buffers[a.buffer], bArr = (float[]) buffers[b.buffer], out = (float[]) buffers[c.output()];
                int aOff = a.offset(0), bOff = b.offset(0);
                Threads.RangeBody images = (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        Gemm.best().sgemmIndexed(c.m(), columns, c.k(), aArr, aOff, ar, ac, bArr, bOff + shifts[i], br, cols,
                                out, i * plane, columns, false, dev.kiln.codegen.jvm.gemm.Parallelism.SINGLE);
                    }
                };
                if (Threads.serial(count, (long) c.m() * c.n() * c.k())) images.run(0, count);
                else Threads.forRange(count, (long) c.m() * c.n() * c.k(), images);
                if (profile != null) profile.add(step, KernelProfile.GEMM, System.nanoTime() - t0);
            };
        }
    }

    /**
     * An operand that is a plain read of one buffer: element (row, col) at offset(batch) + row·rowStride + col·colStride
     * (strided), or at offset(batch) + rows[row] + cols[col] (indexed: rows and columns separate, as in a convolution's
     * patches once n and k are written as their factors' digits).
     */
    static final class Operand {
        final int buffer, rowStride, colStride;
        /** Null for a strided operand. */
        final Offsets rows, cols;
        private final Ix index;
        private final long base;
        private final Long batchStride;
        private final long[] vars = new long[4];

        private Operand(int buffer, Ix index, int rowStride, int colStride, Offsets rows, Offsets cols) {
            this.buffer = buffer;
            this.index = index;
            this.rowStride = rowStride;
            this.colStride = colStride;
            this.rows = rows;
            this.cols = cols;
            this.base = index.evaluate(new long[4]);
            this.batchStride = index.linearCoefficient(Kernel.Contraction.B);
        }

        /**
         * The operand read in place (strided or indexed), or null when generated code must pack it. Indexed only where
         * the core packs it fast: along a panel (A's rows, B's columns) when mostly contiguous and the generated packer
         * would write row-major (the core then packs a second time), as for conv forward patches (runs of a whole output
         * row); or along the depth when that is mostly contiguous, by 8×8 transposes, as for a weight gradient's output
         * gradient and patches (runs along an image row). Otherwise (filter rows of 5 both ways) the generated packer
         * is faster than gathers.
         */
        static Operand of(Expr e, Kernel.Contraction c, int rowVar, int colVar, int otherVar, boolean rowMajorPack, boolean isA) {
            Operand x = inPlace(e, c, rowVar, colVar, otherVar);
            if (x == null || x.rows == null) return x;
            Offsets along = isA ? x.rows : x.cols, depth = isA ? x.cols : x.rows;
            return (rowMajorPack && along.mostlyContiguous()) || depth.mostlyContiguous() ? x : null;
        }

        /** The operand read in place, strided or indexed, whether or not the GEMM core gathers it fast; null if it isn't a plain read. */
        static Operand inPlace(Expr e, Kernel.Contraction c, int rowVar, int colVar, int otherVar) {
            if (!(e instanceof Expr.Load l) || l.index().mentions(otherVar)) return null;
            Long rs = l.index().linearCoefficient(rowVar), cs = l.index().linearCoefficient(colVar);
            if (rs != null && cs != null) return new Operand(l.buffer(), l.index(), (int) (long) rs, (int) (long) cs, null, null);
            if (!separable(l.index(), c)) return null;
            return new Operand(l.buffer(), l.index(), 0, 0, table(l.index(), rowVar, extent(c, rowVar)), table(l.index(), colVar, extent(c, colVar)));
        }

        /** Whether the index is affine in B, M and the digits of n and k (no division or remainder left). */
        static boolean separable(Ix index, Kernel.Contraction c) {
            Ix digits = index.substitute(Kernel.Contraction.N, KernelCompiler.Factored.of(c.nFactors(), 10).flat())
                    .substitute(Kernel.Contraction.K, KernelCompiler.Factored.of(c.kFactors(), 20).flat());
            return digits.terms().stream().allMatch(term -> term.atom() instanceof Ix.Var);
        }

        private static int extent(Kernel.Contraction c, int var) {
            return switch (var) {
                case Kernel.Contraction.M -> c.m();
                case Kernel.Contraction.N -> c.n();
                default -> c.k();
            };
        }

        /** index(var = i) − index(0) for every i: the offsets one variable contributes (the others at 0). */
        static Offsets table(Ix index, int var, int extent) {
            long[] at = new long[4];
            long zero = index.evaluate(at);
            int[] offsets = new int[extent];
            for (int i = 0; i < extent; i++) {
                at[var] = i;
                offsets[i] = Math.toIntExact(index.evaluate(at) - zero);
            }
            return Offsets.of(offsets);
        }

        /** The row offsets of an operand: its table, its stride's, or (null: a generated row-major pack) {@code rowStride}'s. */
        static Offsets rowTable(Operand x, int count, int rowStride) {
            return x == null ? Offsets.strided(count, rowStride) : x.rows != null ? x.rows : Offsets.strided(count, x.rowStride);
        }

        static Offsets colTable(Operand x, int count, int colStride) {
            return x == null ? Offsets.strided(count, colStride) : x.cols != null ? x.cols : Offsets.strided(count, x.colStride);
        }

        /** The offset of the batch's matrix (no allocation: programs run one at a time). */
        int offset(int batch) {
            if (batchStride != null) return (int) (base + batchStride * batch);
            vars[Kernel.Contraction.B] = batch;
            return (int) index.evaluate(vars);
        }
    }
}
