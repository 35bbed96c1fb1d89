package dev.kiln.ir.kernel;

import dev.kiln.ir.DType;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Questions about kernels, and the kernel IR's text form. */
public final class Kernels {
    private Kernels() {}

    /** The expressions of a kernel, in evaluation order. */
    public static List<Expr> expressions(Kernel k) {
        return switch (k) {
            case Kernel.Pointwise p -> p.stores().stream().map(Kernel.Store::value).toList();
            case Kernel.Reduction r -> List.of(r.body(), r.epilogue());
            case Kernel.Contraction c -> List.of(c.a(), c.b(), c.epilogue());
        };
    }

    /** Buffers a kernel reads. */
    public static Set<Integer> reads(Kernel k) {
        Set<Integer> ids = new LinkedHashSet<>();
        for (Expr e : expressions(k)) ids.addAll(reads(e));
        return ids;
    }

    /** Buffers an expression reads. */
    public static Set<Integer> reads(Expr e) {
        Set<Integer> ids = new LinkedHashSet<>();
        for (Expr.Load l : loads(e)) ids.add(l.buffer());
        return ids;
    }

    /** The loads of an expression, in evaluation order. */
    public static List<Expr.Load> loads(Expr e) {
        List<Expr.Load> loads = new ArrayList<>();
        collectLoads(e, loads);
        return loads;
    }

    private static void collectLoads(Expr e, List<Expr.Load> loads) {
        switch (e) {
            case Expr.Load l -> loads.add(l);
            case Expr.Const c -> { }
            case Expr.Acc a -> { }
            case Expr.Unary u -> collectLoads(u.x(), loads);
            case Expr.Binary b -> { collectLoads(b.a(), loads); collectLoads(b.b(), loads); }
            case Expr.Where w -> { collectLoads(w.cond(), loads); collectLoads(w.a(), loads); collectLoads(w.b(), loads); }
            case Expr.Cast c -> collectLoads(c.x(), loads);
            case Expr.Masked m -> collectLoads(m.x(), loads);
            case Expr.Random r -> collectLoads(r.seed(), loads);
        }
    }

    /** {@code e} with loop variable {@code var} replaced by {@code value} in every index. */
    public static Expr substitute(Expr e, int var, Ix value) {
        return mapIndices(e, ix -> ix.substitute(var, value));
    }

    /**
     * {@code inner} guarded by {@code bounds}: the fill constant when some bound can never hold, {@code inner} itself when
     * all always hold, else a mask of the bounds that can fail around {@code inner} simplified under them (see
     * {@link #within}). {@code inner} is only built when it can be reached.
     */
    public static Expr guard(List<Expr.Bound> bounds, java.util.function.Supplier<Expr> inner, double fill, DType dtype) {
        List<Expr.Bound> needed = new ArrayList<>();
        for (Expr.Bound b : bounds) {
            if (b.index().max() < b.lo() || b.index().min() > b.hi()) return new Expr.Const(fill, dtype);
            if (b.index().min() < b.lo() || b.index().max() > b.hi()) needed.add(b);
        }
        Expr x = inner.get();
        return needed.isEmpty() ? x : new Expr.Masked(needed, within(x, needed), fill, dtype);
    }

    /**
     * {@code e} as evaluated where every bound holds: each bound of the form {@code lo ≤ c·v + k ≤ hi} narrows loop
     * variable v's range, and every index inside is simplified with the narrower ranges (see {@link Ix#within}).
     */
    public static Expr within(Expr e, List<Expr.Bound> bounds) {
        List<Ix.Range> ranges = new ArrayList<>();
        for (Expr.Bound b : bounds) {
            Ix.Range range = b.index().solveForVar(b.lo(), b.hi());
            if (range != null) ranges.add(range);
        }
        return ranges.isEmpty() ? e : mapIndices(e, ix -> ix.within(ranges));
    }

    /** {@code k} with every buffer id it writes or reads mapped through {@code id}. */
    public static Kernel withBuffers(Kernel k, java.util.function.IntUnaryOperator id) {
        return switch (k) {
            case Kernel.Pointwise p -> new Kernel.Pointwise(p.shape(), p.stores().stream()
                    .map(st -> new Kernel.Store(id.applyAsInt(st.output()), withBuffers(st.value(), id))).toList());
            case Kernel.Reduction r -> new Kernel.Reduction(id.applyAsInt(r.output()), r.domain(), r.axes(), r.fn(),
                    withBuffers(r.body(), id), withBuffers(r.epilogue(), id), r.outIndex());
            case Kernel.Contraction c -> new Kernel.Contraction(id.applyAsInt(c.output()), c.batch(), c.m(), c.n(), c.k(),
                    withBuffers(c.a(), id), withBuffers(c.b(), id), withBuffers(c.epilogue(), id), c.outIndex(), c.nFactors(), c.kFactors());
        };
    }

    /** {@code e} with every load's buffer id mapped through {@code id}. */
    public static Expr withBuffers(Expr e, java.util.function.IntUnaryOperator id) {
        return e instanceof Expr.Load l ? new Expr.Load(id.applyAsInt(l.buffer()), l.index(), l.dtype())
                : withChildren(e, x -> withBuffers(x, id));
    }

    /** {@code e} with every {@link Expr.Acc} replaced by {@code value}. */
    public static Expr withAccumulator(Expr e, Expr value) {
        return e instanceof Expr.Acc ? value : withChildren(e, x -> withAccumulator(x, value));
    }

    /** {@code e} with {@code f} applied to every index; masks are rebuilt with {@link #guard}. */
    public static Expr mapIndices(Expr e, java.util.function.UnaryOperator<Ix> f) {
        return switch (e) {
            case Expr.Load l -> new Expr.Load(l.buffer(), f.apply(l.index()), l.dtype());
            case Expr.Masked m -> guard(m.bounds().stream().map(b -> new Expr.Bound(f.apply(b.index()), b.lo(), b.hi())).toList(),
                    () -> mapIndices(m.x(), f), m.fill(), m.dtype());
            case Expr.Random r -> new Expr.Random(mapIndices(r.seed(), f), r.salt(), f.apply(r.element()));
            default -> withChildren(e, x -> mapIndices(x, f));
        };
    }

    /** {@code e} rebuilt with {@code f} applied to its direct subexpressions (leaves as they are): the rewrites' shared walk. */
    private static Expr withChildren(Expr e, java.util.function.UnaryOperator<Expr> f) {
        return switch (e) {
            case Expr.Load l -> l;
            case Expr.Const c -> c;
            case Expr.Acc a -> a;
            case Expr.Unary u -> new Expr.Unary(u.fn(), f.apply(u.x()), u.dtype());
            case Expr.Binary b -> new Expr.Binary(b.fn(), f.apply(b.a()), f.apply(b.b()), b.dtype());
            case Expr.Where w -> new Expr.Where(f.apply(w.cond()), f.apply(w.a()), f.apply(w.b()), w.dtype());
            case Expr.Cast c -> new Expr.Cast(f.apply(c.x()), c.dtype());
            case Expr.Masked m -> new Expr.Masked(m.bounds(), f.apply(m.x()), m.fill(), m.dtype());
            case Expr.Random r -> new Expr.Random(f.apply(r.seed()), r.salt(), r.element());
        };
    }

    /** The kernel graph as text: buffers with roles and slots, then one block per kernel. */
    public static String format(KernelGraph g) {
        StringBuilder s = new StringBuilder();
        for (KernelGraph.BufferInfo b : g.buffers()) {
            s.append("b").append(b.id()).append(": ").append(b.role().name().toLowerCase()).append(' ')
                    .append(b.shape()).append(' ').append(b.dtype().torchName());
            if (b.slot() >= 0) s.append(" slot ").append(b.slot());
            s.append('\n');
        }
        s.append("inputs ").append(ids(g.inputs())).append(", outputs ").append(ids(g.outputs())).append('\n');
        for (int i = 0; i < g.kernels().size(); i++) s.append("k").append(i).append(' ').append(format(g.kernels().get(i))).append('\n');
        return s.toString();
    }

    public static String format(Kernel k) {
        return switch (k) {
            case Kernel.Pointwise p -> "pointwise " + p.shape() + p.stores().stream()
                    .map(st -> "\n  b" + st.output() + "[" + offsetText(p.shape()) + "] = " + format(st.value())).collect(Collectors.joining());
            case Kernel.Reduction r -> "reduce_" + r.fn().name().toLowerCase() + " over " + r.domain() + " axes " + r.axes()
                    + "\n  acc = " + format(r.body()) + "\n  b" + r.output() + "[" + r.outIndex() + "] = " + format(r.epilogue());
            case Kernel.Contraction c -> "contraction batch=" + c.batch() + " m=" + c.m() + " n=" + c.n() + " k=" + c.k()
                    + "\n  A(i0,i1,i3) = " + format(c.a()) + "\n  B(i0,i3,i2) = " + format(c.b())
                    + "\n  b" + c.output() + "[" + c.outIndex() + "] = " + format(c.epilogue());
        };
    }

    private static String offsetText(dev.kiln.ir.Shape s) { return Scheduler.offset(Scheduler.vars(s, 0), s).toString(); }

    public static String format(Expr e) {
        return switch (e) {
            case Expr.Load l -> "b" + l.buffer() + "[" + l.index() + "]";
            case Expr.Const c -> c.dtype().isFloating() ? Double.toString(c.value()) : Long.toString((long) c.value());
            case Expr.Acc a -> "acc";
            case Expr.Unary u -> u.fn().name().toLowerCase() + "(" + format(u.x()) + ")";
            case Expr.Binary b -> b.fn().name().toLowerCase() + "(" + format(b.a()) + ", " + format(b.b()) + ")";
            case Expr.Where w -> "where(" + format(w.cond()) + ", " + format(w.a()) + ", " + format(w.b()) + ")";
            case Expr.Cast c -> c.dtype().torchName() + "(" + format(c.x()) + ")";
            case Expr.Masked m -> "masked(" + m.bounds().stream().map(b -> b.lo() + "<=" + b.index() + "<=" + b.hi())
                    .collect(Collectors.joining(" && ")) + ", " + format(m.x()) + ", " + m.fill() + ")";
            case Expr.Random r -> "rand(" + format(r.seed()) + ", " + r.salt() + ", " + r.element() + ")";
        };
    }

    private static String ids(List<Integer> ids) {
        List<String> s = new ArrayList<>();
        for (int id : ids) s.add("b" + id);
        return "[" + String.join(", ", s) + "]";
    }
}
