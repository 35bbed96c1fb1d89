package dev.kiln.codegen.jvm;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Ix;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.GeneratorAdapter;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link BoxSum} over planes (its boxes constrain the last two axes) computed one output row at a time, the row in
 * vector registers: for each term whose box covers the row, in chain order, the term's row is loaded whole and its lanes
 * outside the box are cleared to +0.0 (a bitwise and with a constant lane mask), then added. A row is stored once, after
 * its last term. Term by term over boxes, the 10-wide rows of LeNet's fold overlapped the rows the term before had just
 * stored a column further on, and each of those loads waited for the stores (store forwarding fails on a partial
 * overlap): 190 µs alone and 210–260 in the training step; row by row 130–140 alone and 150–175 in the step.
 *
 * <p>Same bits as the box form: an element gets its terms' values in chain order, starting from +0.0, and the cleared
 * lanes add +0.0, which changes no sum that starts at +0.0 (it never becomes −0.0: x + y is −0.0 only when both are).
 * A cleared lane never passes on what was loaded there (not even NaN).
 *
 * <p>Applies when the terms load one buffer (at indices a constant apart), linearly in every loop variable and
 * contiguously along the row; a row is at least a vector wide and at most {@link #MAX_VECTORS} (the last vector
 * overlaps the one before when the width isn't a multiple of 8); the terms covering each row are consecutive in the
 * chain (so the row's term loop is a range, with no test per term); and every whole-row load stays inside the buffer.
 */
final class RowsInVectors {
    /** The most vectors a row takes (each is an accumulator held across the row's terms). */
    static final int MAX_VECTORS = 4;

    /** The most terms (each is an entry of two int tables, which the class initializer fills: a method of ≤ 64 KiB). */
    static final int MAX_TERMS = 2048;

    private static final Type VECTOR = VectorLoop.VECTOR;

    private RowsInVectors() {}

    /** The loops over one plane (the caller loops over the outer axes), or null when the form doesn't apply. */
    static Runnable of(BoxSum box, List<BoxSum.Term> live, Expr.Load shared, KernelGraph graph, IntTables tables, KernelEmitter e) {
        int rank = box.shape.rank(), rowAxis = rank - 2, colAxis = rank - 1;
        if (box.first != rowAxis || live.isEmpty() || shared.buffer() == box.output) return null;
        int height = box.shape.dim(rowAxis), width = box.shape.dim(colAxis);
        if (width < VectorLoop.LANES || width > MAX_VECTORS * VectorLoop.LANES) return null;
        Ix index = BoxSum.unshifted(shared.index());
        Long along = index.linearCoefficient(colAxis);
        if (along == null || along != 1 || !linear(index, rank)) return null;
        Expr sum = box.plus(KernelCompiler.offset(box.shape), shared);
        if (!VectorLoop.supports(List.of(new Kernel.Store(box.output, sum)), colAxis, width, false, box.shape.numel(), graph)) return null;
        if (live.size() > MAX_TERMS) return null;

        int[] starts = starts(width);
        int terms = live.size(), vectors = starts.length;
        int[] from = new int[height], to = new int[height];
        for (int r = 0; r < height; r++) {
            from[r] = -1;
            to[r] = -1;
            for (int t = 0; t < terms; t++) {
                BoxSum.Term term = live.get(t);
                if (term.lo()[rowAxis] > r || r > term.hi()[rowAxis]) continue;
                if (to[r] >= 0 && to[r] != t) return null;               // the row's terms aren't consecutive
                if (from[r] < 0) from[r] = t;
                to[r] = t + 1;
            }
            if (from[r] < 0) from[r] = to[r] = 0;
        }

        long length = graph.buffer(shared.buffer()).shape().numel();
        long[] span = span(index, rowAxis, colAxis);
        Long rowStride = index.linearCoefficient(rowAxis);
        List<List<Long>> boxes = new ArrayList<>();                  // the terms' distinct column ranges
        int[] maskAt = new int[terms];
        for (int t = 0; t < terms; t++) {
            BoxSum.Term term = live.get(t);
            long shift = ((Expr.Load) term.value()).index().constantPart();
            long rows0 = rowStride * term.lo()[rowAxis], rows1 = rowStride * term.hi()[rowAxis];
            long lo = shift + span[0] + Math.min(rows0, rows1), hi = shift + span[1] + Math.max(rows0, rows1) + width - 1;
            if (lo < 0 || hi >= length) return null;                       // a whole-row load would leave the buffer
            List<Long> columns = List.of(term.lo()[colAxis], term.hi()[colAxis]);
            if (!boxes.contains(columns)) boxes.add(columns);
            maskAt[t] = boxes.indexOf(columns) * vectors * VectorLoop.LANES;
        }
        int[] bits = new int[boxes.size() * vectors * VectorLoop.LANES];   // per column range and vector: a lane mask
        for (int b = 0; b < boxes.size(); b++) {
            for (int v = 0; v < vectors; v++) {
                for (int lane = 0; lane < VectorLoop.LANES; lane++) {
                    long col = starts[v] + lane;
                    bits[(b * vectors + v) * VectorLoop.LANES + lane] = boxes.get(b).get(0) <= col && col <= boxes.get(b).get(1) ? -1 : 0;
                }
            }
        }
        BoxSum.Shifts shifts = BoxSum.Shifts.of(live, shared);
        Ix out = KernelCompiler.offset(box.shape);
        int fromTable = tables.local(e.g, from), toTable = tables.local(e.g, to), shiftTable = tables.local(e.g, shifts.relative());
        int maskTable = tables.local(e.g, maskAt), bitTable = tables.local(e.g, bits);
        return () -> e.loop(rowAxis, e.constant(0), e.constant(height), () -> e.scoped(() -> {
            GeneratorAdapter g = e.g;
            int[] acc = new int[vectors];
            for (int a = 0; a < acc.length; a++) {
                acc[a] = g.newLocal(VECTOR);
                g.push(0f);
                VectorCode.emit(g, "broadcast");
                g.storeLocal(acc[a]);
            }
            e.loop(BoxSum.TERM, e.tableAt(fromTable, rowAxis), e.tableAt(toTable, rowAxis), () -> e.scoped(() -> {
                e.tableAt(shiftTable, BoxSum.TERM).run();
                int shift = g.newLocal(Type.INT_TYPE);
                g.storeLocal(shift);
                e.bindVar(BoxSum.SHIFT, shift);
                for (int v = 0; v < vectors; v++) {
                    int vector = v, accumulator = acc[v];
                    e.scoped(() -> {
                        e.bindVarTo(colAxis, starts[vector]);
                        g.loadLocal(accumulator);
                        g.loadLocal(e.bufferLocal(shared.buffer()));
                        e.ix(shifts.load());
                        g.loadLocal(bitTable);
                        e.tableAt(maskTable, BoxSum.TERM).run();
                        g.push(vector * VectorLoop.LANES);
                        g.math(GeneratorAdapter.ADD, Type.INT_TYPE);
                        VectorCode.emit(g, "loadLanes");
                        VectorCode.emit(g, "add");
                        g.storeLocal(accumulator);
                    });
                }
            }));
            for (int v = 0; v < vectors; v++) {
                int vector = v, accumulator = acc[v];
                e.scoped(() -> {
                    e.bindVarTo(colAxis, starts[vector]);
                    g.loadLocal(accumulator);
                    VectorLoop.store(e, box.output, out);
                });
            }
        }));
    }

    /** Where a row's vectors start: every 8 columns, the last one ending at the row's end. */
    static int[] starts(int width) {
        List<Integer> starts = new ArrayList<>();
        for (int c = 0; c + VectorLoop.LANES <= width; c += VectorLoop.LANES) starts.add(c);
        if (width % VectorLoop.LANES != 0) starts.add(width - VectorLoop.LANES);
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Whether every term of {@code index} is a loop variable times a coefficient. */
    private static boolean linear(Ix index, int rank) {
        for (Ix.Term t : index.terms()) if (!(t.atom() instanceof Ix.Var v) || v.id() >= rank) return false;
        return true;
    }

    /** The least and greatest value of {@code index} over every loop variable but the row and column ones. */
    private static long[] span(Ix index, int rowAxis, int colAxis) {
        Ix outer = index.substitute(rowAxis, Ix.constant(0)).substitute(colAxis, Ix.constant(0));
        return new long[] {outer.min(), outer.max()};
    }
}
