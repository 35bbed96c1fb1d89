package dev.kiln.codegen.jvm;

import dev.kiln.ir.DType;
import dev.kiln.ir.Op;
import dev.kiln.ir.Shape;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Ix;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;

import org.objectweb.asm.Type;
import org.objectweb.asm.commons.Method;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A pointwise value that is a sum of zero-padded terms, computed term by term over each term's own box of indices
 * instead of index by index through every term's bounds. A convolution's input gradient folds its columns back onto
 * the image this way (col2im: each kernel offset adds its slab, shifted into place): gathered, every element tests and
 * mostly skips 25 masked loads; as boxes, each offset adds 10-wide rows into a 14×14 plane that stays in the L1 cache,
 * with no masks (LeNet's fold: 0.75 ms → 0.22–0.28 ms per step). Planes whose rows fill vectors go one output row at a
 * time in registers instead ({@link RowsInVectors}: LeNet's fold now).
 *
 * <p>Applies to a kernel with one float32 store whose value is a left-nested chain {@code ((t0 + t1) + t2) + …} of at
 * least {@link #MIN_TERMS} terms, each a zero-filled {@link Expr.Masked} whose bounds all read {@code var + c} (or a term
 * without bounds), when the axes the bounds constrain come after the parallel axis and span at most {@link #MAX_BLOCK}
 * elements. For each index of the other (outer) axes the block is zeroed, then every term adds its value over its box,
 * in chain order, so each element gets the same additions in the same order. The one difference: where the chain's
 * value is −0.0 (every term −0.0 inside its box; a term outside its box adds +0.0, which makes both +0.0), it is +0.0
 * here, as the block starts at +0.0.
 */
final class BoxSum {
    /** Fewer terms than this are cheaper gathered (a single padded add is an ordinary fused pointwise op). */
    static final int MIN_TERMS = 4;

    /**
     * The largest block (product of the constrained axes' extents) worth revisiting once per term: 256 KiB, within the
     * L2 cache (LeNet's 14×14 planes, 784 bytes, stay in L1).
     */
    static final int MAX_BLOCK = 65536;

    /** One term: its value (valid inside its box, unguarded) and the box, inclusive, over axes {@code first ..}. */
    record Term(Expr value, long[] lo, long[] hi) {}

    final Shape shape;
    final int output;
    final int first;                                 // the first axis a bound constrains
    private final List<Term> terms;

    private BoxSum(Shape shape, int output, int first, List<Term> terms) {
        this.shape = shape;
        this.output = output;
        this.first = first;
        this.terms = terms;
    }

    /** The box form of {@code p} (parallel axis {@code par}), or null when it doesn't apply. */
    static BoxSum of(Kernel.Pointwise p, int par, KernelGraph graph) {
        if (p.stores().size() != 1 || graph.buffer(p.stores().get(0).output()).dtype() != DType.F32) return null;
        List<Expr> chain = new ArrayList<>();
        Expr x = p.stores().get(0).value();
        while (x instanceof Expr.Binary b && b.fn() == Op.BinaryFn.ADD && b.dtype() == DType.F32) {
            chain.add(0, b.b());
            x = b.a();
        }
        chain.add(0, x);
        if (chain.size() < MIN_TERMS || x.dtype() != DType.F32) return null;

        Shape s = p.shape();
        int rank = s.rank(), first = rank;
        List<Term> terms = new ArrayList<>();
        for (Expr t : chain) {
            long[] lo = new long[rank], hi = new long[rank];
            for (int a = 0; a < rank; a++) hi[a] = s.dim(a) - 1;
            Expr value = t;
            if (t instanceof Expr.Masked m) {
                if (Double.doubleToRawLongBits(m.fill()) != 0) return null;
                for (Expr.Bound b : m.bounds()) {
                    int axis = singleVariable(b.index());
                    if (axis < 0) return null;
                    long c = b.index().constantPart();
                    lo[axis] = Math.max(lo[axis], b.lo() - c);
                    hi[axis] = Math.min(hi[axis], b.hi() - c);
                    first = Math.min(first, axis);
                }
                value = m.x();
            } else if (t instanceof Expr.Const c && Double.doubleToRawLongBits(c.value()) == 0) {
                continue;                                      // a term out of range everywhere
            }
            terms.add(new Term(value, lo, hi));
        }
        if (first == rank || par >= first) return null;
        long block = 1;
        for (int a = first; a < rank; a++) block *= s.dim(a);
        if (block > MAX_BLOCK) return null;
        return new BoxSum(s, p.stores().get(0).output(), first, terms);
    }

    /** The axis of an index {@code var + c} (one loop variable, coefficient 1), else -1. */
    private static int singleVariable(Ix index) {
        if (index.terms().size() != 1) return -1;
        Ix.Term t = index.terms().get(0);
        return t.coef() == 1 && t.atom() instanceof Ix.Var v ? v.id() : -1;
    }

    /** Loop variables of the term loop and of a term's load shift (the kernel's own are 0 .. rank−1). */
    static final int TERM = 100, SHIFT = 101;

    /**
     * The loops: outer axes (the parallel one over [lo, hi)), then per outer index the block zeroed and each term added
     * over its box. Terms that load one buffer at indices differing by a constant (a fold's kernel offsets) run as one
     * loop over tables of shifts and boxes; others are unrolled, in scalar code (the JIT stops compiling vector
     * operations well in a method with dozens of vector loops: unrolled in vectors, LeNet's fold took 1.4 ms).
     */
    void emit(KernelEmitter e, int par, boolean vectors, KernelGraph graph, IntTables tables) {
        List<Integer> blockAxes = new ArrayList<>();
        Ix offset = KernelCompiler.offset(shape), blockStart = offset;
        int blockSize = 1;
        for (int a = first; a < shape.rank(); a++) {
            blockAxes.add(a);
            blockStart = blockStart.substitute(a, Ix.constant(0));
            blockSize *= shape.dim(a);
        }
        List<Term> live = terms.stream().filter(t -> !empty(t)).toList();
        Expr.Load shared = sharedLoad(live);
        Runnable rows = vectors && shared != null ? RowsInVectors.of(this, live, shared, graph, tables, e, par) : null;
        if (rows != null) {                                    // each row in registers, stored once (no fill needed)
            List<Integer> outside = new ArrayList<>(blockAxes);
            int planeAxis = RowsInVectors.planeAxis(this, par);
            if (planeAxis >= 0) outside.add(planeAxis);
            KernelCompiler.nest(e, shape, outside, par, 0, List.of(), rows);
            return;
        }
        Runnable addTerms = shared != null ? termLoop(e, live, shared, offset, vectors, graph, tables) : () -> {
            for (Term t : live) unrolled(e, t, first, offset, plus(offset, t.value));
        };
        Ix start = blockStart, end = blockStart.plus(blockSize);
        KernelCompiler.nest(e, shape, blockAxes, par, 0, List.of(), () -> {
            e.g.loadLocal(e.bufferLocal(output));               // the block is contiguous: Arrays.fill(out, start, end, 0)
            e.ix(start);
            e.ix(end);
            e.g.push(0f);
            e.g.invokeStatic(Type.getType(Arrays.class), Method.getMethod("void fill(float[], int, int, float)"));
            addTerms.run();
        });
    }

    private boolean empty(Term t) {
        for (int a = first; a < shape.rank(); a++) if (t.lo[a] > t.hi[a]) return true;
        return false;
    }

    /** {@code out[offset] + value}. */
    Expr plus(Ix offset, Expr value) {
        return new Expr.Binary(Op.BinaryFn.ADD, new Expr.Load(output, offset, DType.F32), value, DType.F32);
    }

    /** The load every term's value is, up to a constant shift of its index; null when the terms differ otherwise. */
    private static Expr.Load sharedLoad(List<Term> terms) {
        Expr.Load shared = null;
        for (Term t : terms) {
            if (!(t.value instanceof Expr.Load l) || l.dtype() != DType.F32) return null;
            if (shared == null) {
                shared = l;
            } else if (l.buffer() != shared.buffer() || !unshifted(l.index()).equals(unshifted(shared.index()))) {
                return null;
            }
        }
        return shared;
    }

    static Ix unshifted(Ix index) { return index.plus(-index.constantPart()); }

    /**
     * The terms' constant shifts of the shared load: each term's, less the least ({@code relative}, a table), and the
     * load as one index in variable {@link #SHIFT} (which is bound to a term's relative shift).
     */
    record Shifts(int[] relative, Ix load) {
        static Shifts of(List<Term> live, Expr.Load shared) {
            long min = Long.MAX_VALUE, max = Long.MIN_VALUE;
            for (Term t : live) {
                long c = ((Expr.Load) t.value).index().constantPart();
                min = Math.min(min, c);
                max = Math.max(max, c);
            }
            int[] relative = new int[live.size()];
            for (int i = 0; i < relative.length; i++) relative[i] = (int) (((Expr.Load) live.get(i).value).index().constantPart() - min);
            return new Shifts(relative, unshifted(shared.index()).plus(min).plus(Ix.var(SHIFT, (int) (max - min) + 1)));
        }
    }

    /**
     * The terms as one loop (variable {@link #TERM}) over int tables (static fields of the class): each term's shift of the shared
     * load (as variable {@link #SHIFT}) and its box.
     */
    private Runnable termLoop(KernelEmitter e, List<Term> live, Expr.Load shared, Ix offset, boolean vectors, KernelGraph graph,
                              IntTables tables) {
        Shifts shifts = Shifts.of(live, shared);
        int shiftTable = tables.local(e.g, shifts.relative());
        int last = shape.rank() - 1;
        int widest = 0, narrowest = Integer.MAX_VALUE;
        for (Term t : live) {
            widest = Math.max(widest, (int) (t.hi[last] - t.lo[last] + 1));
            narrowest = Math.min(narrowest, (int) (t.hi[last] - t.lo[last] + 1));
        }
        int width = widest == narrowest && widest <= 4 * VectorLoop.LANES ? widest : -1;   // straight-line rows
        int[] loTables = new int[shape.rank()], endTables = new int[shape.rank()];
        for (int a = first; a < shape.rank(); a++) {
            int axis = a;
            loTables[a] = tables.local(e.g, live.stream().mapToInt(t -> (int) t.lo[axis]).toArray());
            if (a < last || width < 0) endTables[a] = tables.local(e.g, live.stream().mapToInt(t -> (int) t.hi[axis] + 1).toArray());
        }
        Expr sum = plus(offset, new Expr.Load(shared.buffer(), shifts.load(), DType.F32));
        List<Kernel.Store> stores = List.of(new Kernel.Store(output, sum));
        boolean inVectors = vectors && VectorLoop.supports(stores, last, widest, false, shape.numel(), graph);
        return () -> e.loop(TERM, e.constant(0), e.constant(live.size()), () -> e.scoped(() -> {
            e.tableAt(shiftTable, TERM).run();
            int shift = e.g.newLocal(Type.INT_TYPE);
            e.g.storeLocal(shift);
            e.bindVar(SHIFT, shift);
            tabled(e, stores, loTables, endTables, first, offset, inVectors, width);
        }));
    }

    /** The current term's box from the tables, axes {@code axis ..}; rows straight-line when all are {@code width} wide. */
    private void tabled(KernelEmitter e, List<Kernel.Store> stores, int[] lo, int[] end, int axis, Ix offset, boolean inVectors, int width) {
        int last = shape.rank() - 1;
        if (axis < last) {
            e.loop(axis, e.tableAt(lo[axis], TERM), e.tableAt(end[axis], TERM),
                    () -> e.scoped(() -> tabled(e, stores, lo, end, axis + 1, offset, inVectors, width)));
            return;
        }
        Expr value = stores.get(0).value();
        Runnable scalar = () -> e.store(output, offset, DType.F32, () -> e.expr(value));
        if (width > 0) {                          // no loop: a row of 10 took twice as long as a stepped loop
            int start = e.g.newLocal(Type.INT_TYPE);
            e.tableAt(lo[last], TERM).run();
            e.g.storeLocal(start);
            int at = 0;
            for (; inVectors && at + VectorLoop.LANES <= width; at += VectorLoop.LANES) {
                e.bindVarToSum(last, start, at);
                e.scoped(() -> VectorLoop.step(e, stores, last, offset));
            }
            for (; at < width; at++) {
                e.bindVarToSum(last, start, at);
                e.scoped(scalar);
            }
        } else if (inVectors) {
            VectorLoop.emit(e, stores, last, offset, e.tableAt(lo[last], TERM), e.tableAt(end[last], TERM), scalar);
        } else {
            e.loop(last, e.tableAt(lo[last], TERM), e.tableAt(end[last], TERM), () -> e.scoped(scalar));
        }
    }

    /** {@code out[offset] = sum} over term {@code t}'s box, axes {@code axis ..}, in scalar code. */
    private void unrolled(KernelEmitter e, Term t, int axis, Ix offset, Expr sum) {
        Runnable body = axis == shape.rank() - 1
                ? () -> e.store(output, offset, DType.F32, () -> e.expr(sum))
                : () -> unrolled(e, t, axis + 1, offset, sum);
        e.loop(axis, e.constant((int) t.lo[axis]), e.constant((int) t.hi[axis] + 1), () -> e.scoped(body));
    }

    @Override public String toString() {
        return "box sum of " + terms.size() + " terms over axes " + first + ".." + (shape.rank() - 1) + " of " + shape
                + ": " + terms.stream().map(t -> Arrays.toString(Arrays.copyOfRange(t.lo, first, shape.rank())) + "-"
                + Arrays.toString(Arrays.copyOfRange(t.hi, first, shape.rank()))).toList();
    }
}
