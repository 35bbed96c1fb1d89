package dev.kiln.codegen.jvm;

import dev.kiln.codegen.jvm.JvmProgram.Operand;
import dev.kiln.codegen.jvm.gemm.Offsets;
import dev.kiln.ir.DType;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Ix;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;

/**
 * Where a contraction's product element (i, j) goes: straight into the output at {@code offset(batch) + rows[i] +
 * cols[j]} ({@code direct}: no epilogue, and an output index that separates into a row offset plus a column offset, as
 * an NCHW image does), else into a row-major m × n product ({@code rows[i] = i·n}, {@code cols[j] = j}) that the
 * generated epilogue reads.
 */
record ProductOutput(boolean direct, int[] rows, int[] cols, int[] offsets) {

    static ProductOutput of(Kernel.Contraction c, KernelGraph graph) {
        Ix index = c.outIndex();
        if (c.epilogue() instanceof Expr.Acc && graph.buffer(c.output()).dtype() == DType.F32 && Operand.separable(index, c)) {
            int[] offsets = new int[c.batch()];
            long[] at = new long[4];
            for (int batch = 0; batch < offsets.length; batch++) {
                at[Kernel.Contraction.B] = batch;
                offsets[batch] = Math.toIntExact(index.evaluate(at));
            }
            return new ProductOutput(true, Operand.table(index, Kernel.Contraction.M, c.m()).values(),
                    Operand.table(index, Kernel.Contraction.N, c.n()).values(), offsets);
        }
        return new ProductOutput(false, Offsets.strided(c.m(), c.n()).values(), Offsets.strided(c.n(), 1).values(), null);
    }

    /** The output offset of the batch's element (0, 0) (direct only). */
    int offset(int batch) { return offsets[batch]; }
}
