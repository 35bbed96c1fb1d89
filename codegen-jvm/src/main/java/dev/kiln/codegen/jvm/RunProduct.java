package dev.kiln.codegen.jvm;

import dev.kiln.codegen.jvm.JvmProgram.Operand;
import dev.kiln.codegen.jvm.gemm.ColumnRuns;
import dev.kiln.codegen.jvm.gemm.Offsets;
import dev.kiln.codegen.jvm.gemm.RunGemm;
import dev.kiln.ir.DType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;

/**
 * A float32 contraction with few rows whose B is read through offset tables with its columns in runs, such as a
 * convolution's patches (a weight gradient's columns are the filter taps, in runs along filter rows; a forward
 * convolution's are output positions, in runs along output rows): run by {@link RunGemm}, which reads B in place, where
 * the GEMM core would pack all of its k × n values for a handful of rows to share. LeNet's conv1 in the training step
 * (bench profile): weight gradient, 6 × 25 outputs over 50,176 depths, 680 → 265-287 µs; forward, 6 × 50,176 outputs
 * over 25 depths, 430 → 265-293 µs.
 * A is read in place when it is a plain read, else packed by the generated code (in whatever layout that writes). C goes
 * straight to the output when there is no epilogue and the output index separates into row and column offsets, else to
 * a row-major product that the generated epilogue reads, as for the core.
 */
final class RunProduct {
    private RunProduct() {}

    /**
     * Only products of at most this many rows: LeNet's conv2 (16 channels) ran slower than on the core both forward
     * (984 vs 630 µs) and as a weight gradient (936 vs 490 µs): its runs of 5 or 10 fill 62.5% of the lanes, and the
     * core's packed panels pay for themselves when 16 rows share them. (Measured with blocks of 2 rows × 6 vectors.)
     */
    static final int MAX_ROWS = 8;

    /**
     * Products less deep than this only when their vectors are stored whole ({@link ColumnRuns#whole}): a short depth
     * leaves little work per block to pay for copying partial vectors' lanes. LeNet's conv1 forward (k = 25, runs of 28)
     * stores whole vectors: 430 → 265-293 µs against the core's per-image products.
     */
    static final int MIN_DEPTH = 1024;

    /**
     * What a product runs on: B read in place, its columns' vectors, and where C goes. Only the columns' share of useful
     * lanes is weighed against {@link ColumnRuns#MIN_UTILIZATION}, not the rows or vectors an edge block repeats: with at
     * most 8 rows those are of the order of what the core's row tiles and column panels compute for nothing.
     */
    record Plan(Operand b, ColumnRuns runs, ProductOutput out) {}

    /** The plan, or null when the contraction stays on the GEMM core. */
    static Plan plan(Kernel.Contraction c, KernelGraph graph) {
        if (!RunGemm.available() || c.a().dtype() != DType.F32 || c.m() > MAX_ROWS) return null;
        Operand b = Operand.inPlace(c.b(), c, Kernel.Contraction.K, Kernel.Contraction.N, Kernel.Contraction.M);
        if (b == null || b.rows == null) return null;                                  // only patches: plain matrices keep the core
        long low = Long.MAX_VALUE, high = Long.MIN_VALUE;
        for (int batch = 0; batch < c.batch(); batch++) {
            low = Math.min(low, (long) b.offset(batch) + b.rows.min());
            high = Math.max(high, (long) b.offset(batch) + b.rows.max());
        }
        ProductOutput out = ProductOutput.of(c, graph);
        ColumnRuns runs = ColumnRuns.of(b.cols.values(), out.cols(), low, high, graph.buffer(b.buffer).shape().numel());
        if (runs == null || runs.utilization() < ColumnRuns.MIN_UTILIZATION || (c.k() < MIN_DEPTH && !runs.whole())) return null;
        return new Plan(b, runs, out);
    }

    /** The step, or null when the contraction isn't one for {@link RunGemm}. */
    static JvmProgram.Step of(Kernel.Contraction c, ContractionKernel generated, KernelGraph graph, KernelProfile profile, int step) {
        Plan plan = plan(c, graph);
        if (plan == null) return null;
        Operand b = plan.b();
        ColumnRuns runs = plan.runs();
        ProductOutput out = plan.out();
        Operand a = Operand.inPlace(c.a(), c, Kernel.Contraction.M, Kernel.Contraction.K, Kernel.Contraction.N);
        int panel = generated.panelRows();
        float[] packed = a == null ? new float[JvmProgram.padded(c.m(), panel) * c.k()] : null;
        int[] aRows = (a != null ? Operand.rowTable(a, c.m(), 0) : packedRows(c, panel, generated.aColumnMajor())).values();
        int[] aCols = (a != null ? Operand.colTable(a, c.k(), 0) : packedCols(c, panel, generated.aColumnMajor())).values();
        int[] bRows = b.rows.values();
        float[] product = out.direct() ? null : new float[c.m() * c.n()];
        int blocks = RunGemm.blocks(c.m(), runs);
        long work = (long) c.m() * c.n() * c.k();
        return buffers -> {
            for (int batch = 0; batch < c.batch(); batch++) {
                long t0 = profile == null ? 0 : System.nanoTime();
                float[] x;
                int aOffset;
                if (a != null) { x = (float[]) buffers[a.buffer]; aOffset = a.offset(batch); }
                else { generated.packA(buffers, batch, packed); x = packed; aOffset = 0; }
                float[] y = (float[]) buffers[b.buffer];
                int bOffset = b.offset(batch);
                float[] z = out.direct() ? (float[]) buffers[c.output()] : product;
                int cOffset = out.direct() ? out.offset(batch) : 0;
                long t1 = profile == null ? 0 : System.nanoTime();
                if (Threads.serial(blocks, work)) RunGemm.multiply(c.m(), c.k(), x, aOffset, aRows, aCols, y, bOffset, bRows, runs, z, cOffset, out.rows(), 0, blocks);
                else Threads.forRange(blocks, work, (lo, hi) ->
                        RunGemm.multiply(c.m(), c.k(), x, aOffset, aRows, aCols, y, bOffset, bRows, runs, z, cOffset, out.rows(), lo, hi));
                long t2 = profile == null ? 0 : System.nanoTime();
                if (!out.direct()) JvmProgram.epilogue(generated, buffers, batch, product, 0, c.m(), (long) c.m() * c.n());
                if (profile != null) profile.addContraction(step, t0, t1, t2, System.nanoTime());
            }
        };
    }

    /** Row offsets of A as the generated packer writes it: panels of {@code panel} rows, or column- or row-major. */
    private static Offsets packedRows(Kernel.Contraction c, int panel, boolean columnMajor) {
        if (panel == 0) return Offsets.strided(c.m(), columnMajor ? 1 : c.k());
        int[] rows = new int[c.m()];
        for (int i = 0; i < rows.length; i++) rows[i] = i / panel * panel * c.k() + i % panel;
        return Offsets.of(rows);
    }

    private static Offsets packedCols(Kernel.Contraction c, int panel, boolean columnMajor) {
        return Offsets.strided(c.k(), panel > 0 ? panel : columnMajor ? c.m() : 1);
    }
}
