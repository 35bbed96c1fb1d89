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
 * The same row of {@link #PLANES} neighbouring planes is summed in one term loop, so their add chains overlap.
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

    /**
     * The loops over the planes of one index of the outer axes but the {@link #planeAxis} (the caller loops over those),
     * or null when the form doesn't apply.
     */
    static Runnable of(BoxSum box, List<BoxSum.Term> live, Expr.Load shared, KernelGraph graph, IntTables tables, KernelEmitter e, int par) {
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
        int planeAxis = planeAxis(box, par);
        Rows rows = new Rows(e, box, shared, planeAxis, rowAxis, colAxis, height, starts, shifts, out, fromTable, toTable, shiftTable,
                maskTable, bitTable);
        if (planeAxis < 0) return () -> rows.emit(new int[] {-1});
        int planes = box.shape.dim(planeAxis), whole = planes / PLANES * PLANES;
        return () -> {
            GeneratorAdapter g = e.g;
            int[] group = new int[PLANES];
            for (int p = 0; p < PLANES; p++) group[p] = g.newLocal(Type.INT_TYPE);
            e.loop(GROUP, e.constant(0), e.constant(whole / PLANES), () -> e.scoped(() -> {
                for (int p = 0; p < PLANES; p++) {                 // group[p] = GROUP·PLANES + p
                    e.loadVar(GROUP);
                    g.push(PLANES);
                    g.math(GeneratorAdapter.MUL, Type.INT_TYPE);
                    g.push(p);
                    g.math(GeneratorAdapter.ADD, Type.INT_TYPE);
                    g.storeLocal(group[p]);
                }
                rows.emit(group);
            }));
            if (whole < planes) {
                int[] rest = new int[planes - whole];
                for (int p = 0; p < rest.length; p++) {
                    rest[p] = g.newLocal(Type.INT_TYPE);
                    g.push(whole + p);
                    g.storeLocal(rest[p]);
                }
                e.scoped(() -> rows.emit(rest));
            }
        };
    }

    /**
     * Planes summed side by side, along the axis just before the rows ({@link #planeAxis}): a row's sum is a chain of one
     * add per term, and the row's few vectors alone left the adds waiting on each other (LeNet's fold: ~6 cycles per term
     * and row). The same row of neighbouring planes has the same terms, so their chains interleave in one term loop.
     * LeNet's fold alone (6 planes per image, rows of 2 vectors): 147 µs one plane at a time, 125 two, 128 three, 131
     * six.
     */
    static final int PLANES = 2;

    /** Loop variable of the plane groups. */
    private static final int GROUP = 102;

    /**
     * The axis whose planes are summed {@link #PLANES} at a time, looped over here (the caller's loops leave it out), or
     * −1 when there is none: it is the parallel axis (threads split it) or the planes have no axis of their own.
     */
    static int planeAxis(BoxSum box, int par) {
        int axis = box.shape.rank() - 3;
        return axis >= 0 && axis != par && box.shape.dim(axis) > 1 ? axis : -1;
    }

    /** The rows of some planes at once: their row loop, each row's term loop, and the stores. */
    private record Rows(KernelEmitter e, BoxSum box, Expr.Load shared, int planeAxis, int rowAxis, int colAxis, int height,
                        int[] starts, BoxSum.Shifts shifts, Ix out, int fromTable, int toTable, int shiftTable, int maskTable,
                        int bitTable) {

        /** The loops for planes whose plane-axis index is in each of {@code planes} (one entry −1: the caller's binding). */
        void emit(int[] planes) {
            int vectors = starts.length;
            e.loop(rowAxis, e.constant(0), e.constant(height), () -> e.scoped(() -> {
                GeneratorAdapter g = e.g;
                int[] acc = new int[planes.length * vectors];          // plane p's vector v: acc[p·vectors + v]
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
                    eachVector(planes, acc, (accumulator, vector) -> {
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
                }));
                eachVector(planes, acc, (accumulator, vector) -> {
                    g.loadLocal(accumulator);
                    VectorLoop.store(e, box.output, out);
                });
            }));
        }

        /**
         * {@code body} (the accumulator's local, the vector's number) for each plane and each vector of a row, in a scope
         * with the plane axis bound to the plane and the column to the vector's start.
         */
        private void eachVector(int[] planes, int[] acc, java.util.function.BiConsumer<Integer, Integer> body) {
            int vectors = starts.length;
            for (int p = 0; p < planes.length; p++) {
                for (int v = 0; v < vectors; v++) {
                    int plane = planes[p], vector = v, accumulator = acc[p * vectors + v];
                    e.scoped(() -> {
                        if (plane >= 0) e.bindVar(planeAxis, plane);
                        e.bindVarTo(colAxis, starts[vector]);
                        body.accept(accumulator, vector);
                    });
                }
            }
        }
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
