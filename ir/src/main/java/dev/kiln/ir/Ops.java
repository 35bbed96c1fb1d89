package dev.kiln.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Builders for IR nodes, shared by autodiff and the DSL: numpy-style broadcasting, shape helpers, and trivial
 * folding (x·1, x+0, identity reshapes) so generated gradient graphs stay readable.
 */
public final class Ops {
    private Ops() {}

    // ---- constants ----------------------------------------------------------------------------------------------

    public static Node scalar(double value, DType dtype) { return Node.of(new Op.Constant(dtype.round(value), dtype)); }

    public static Node full(double value, Shape shape, DType dtype) { return broadcastTo(scalar(value, dtype), shape); }

    public static Node zerosLike(Node x) { return full(0, x.shape(), x.dtype()); }

    public static Node onesLike(Node x) { return full(1, x.shape(), x.dtype()); }

    /** The value of a node that is a broadcast scalar constant, or null. */
    public static Double constantValue(Node n) {
        if (n.op() instanceof Op.Constant c) return c.value();
        if (n.op() instanceof Op.Expand || n.op() instanceof Op.Reshape) return constantValue(n.input(0));
        return null;
    }

    // ---- elementwise --------------------------------------------------------------------------------------------

    /** Unary op; on a broadcast constant it folds to a constant (computed as the interpreter would). */
    public static Node unary(Op.UnaryFn fn, Node x) {
        Double c = constantValue(x);
        if (c != null) return full(Interpreter.unary(fn, c), x.shape(), x.dtype());
        return Node.of(new Op.Unary(fn), x);
    }

    /** Binary op with numpy broadcasting; two broadcast constants fold to a constant. */
    public static Node binary(Op.BinaryFn fn, Node a, Node b) {
        Shape s = broadcastShape(a.shape(), b.shape());
        Double ca = constantValue(a), cb = constantValue(b);
        if (ca != null && cb != null && a.dtype() == b.dtype()) {
            DType t = fn.isComparison() ? DType.BOOL : a.dtype();
            return full(t.round(Interpreter.binary(fn, ca, cb)), s, t);
        }
        return Node.of(new Op.Binary(fn), broadcastTo(a, s), broadcastTo(b, s));
    }

    public static Node add(Node a, Node b) {
        if (isConstant(b, 0) && broadcastShape(a.shape(), b.shape()).equals(a.shape())) return a;
        if (isConstant(a, 0) && broadcastShape(a.shape(), b.shape()).equals(b.shape())) return b;
        return binary(Op.BinaryFn.ADD, a, b);
    }

    public static Node sub(Node a, Node b) {
        if (isConstant(b, 0) && broadcastShape(a.shape(), b.shape()).equals(a.shape())) return a;
        return binary(Op.BinaryFn.SUB, a, b);
    }

    public static Node mul(Node a, Node b) {
        if (isConstant(b, 1) && broadcastShape(a.shape(), b.shape()).equals(a.shape())) return a;
        if (isConstant(a, 1) && broadcastShape(a.shape(), b.shape()).equals(b.shape())) return b;
        return binary(Op.BinaryFn.MUL, a, b);
    }

    public static Node mul(Node a, double b) { return mul(a, scalar(b, a.dtype())); }

    public static Node add(Node a, double b) { return add(a, scalar(b, a.dtype())); }

    public static Node div(Node a, Node b) {
        if (isConstant(b, 1) && broadcastShape(a.shape(), b.shape()).equals(a.shape())) return a;
        return binary(Op.BinaryFn.DIV, a, b);
    }

    /** {@code a^b}; {@code a^1} is {@code a} itself (as Math.pow defines it), so autodiff's {@code a^(2−1)} costs nothing. */
    public static Node pow(Node a, Node b) {
        if (isConstant(b, 1) && broadcastShape(a.shape(), b.shape()).equals(a.shape()) && a.dtype() == b.dtype()) return a;
        return binary(Op.BinaryFn.POW, a, b);
    }

    public static Node max(Node a, Node b) { return binary(Op.BinaryFn.MAX, a, b); }

    public static Node min(Node a, Node b) { return binary(Op.BinaryFn.MIN, a, b); }

    public static Node lt(Node a, Node b) { return binary(Op.BinaryFn.LT, a, b); }

    public static Node gt(Node a, Node b) { return binary(Op.BinaryFn.LT, b, a); }

    public static Node eq(Node a, Node b) { return binary(Op.BinaryFn.EQ, a, b); }

    /** {@code a != b} (bool); NaN differs from everything, itself included. */
    public static Node ne(Node a, Node b) { return not(eq(a, b)); }

    /** Logical not of a bool node. */
    public static Node not(Node bool) { return eq(bool, scalar(0, DType.BOOL)); }

    /** Logical and of bool nodes (broadcasting). */
    public static Node and(Node a, Node b) { return where(a, b, scalar(0, DType.BOOL)); }

    /** Logical or of bool nodes (broadcasting). */
    public static Node or(Node a, Node b) { return where(a, scalar(1, DType.BOOL), b); }

    public static Node neg(Node x) { return unary(Op.UnaryFn.NEG, x); }

    /** Elementwise select; a constant condition picks its side (autodiff's masks of constant operands fold away). */
    public static Node where(Node cond, Node a, Node b) {
        Shape s = broadcastShape(broadcastShape(cond.shape(), a.shape()), b.shape());
        Double c = constantValue(cond);
        if (c != null && a.dtype() == b.dtype()) return broadcastTo(c != 0 ? a : b, s);
        return Node.of(new Op.Where(), broadcastTo(cond, s), broadcastTo(a, s), broadcastTo(b, s));
    }

    public static Node cast(Node x, DType to) { return x.dtype() == to ? x : Node.of(new Op.Cast(to), x); }

    // ---- reductions ---------------------------------------------------------------------------------------------

    public static Node sum(Node x, List<Integer> axes, boolean keepDims) { return reduce(Op.ReduceFn.SUM, x, axes, keepDims); }

    public static Node max(Node x, List<Integer> axes, boolean keepDims) { return reduce(Op.ReduceFn.MAX, x, axes, keepDims); }

    public static Node reduce(Op.ReduceFn fn, Node x, List<Integer> axes, boolean keepDims) {
        List<Integer> sorted = new ArrayList<>(axes);
        Collections.sort(sorted);
        if (sorted.isEmpty()) return x;
        return Node.of(new Op.Reduce(fn, sorted, keepDims), x);
    }

    /** Every axis of x, for full reductions. */
    public static List<Integer> allAxes(Node x) {
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < x.shape().rank(); i++) axes.add(i);
        return axes;
    }

    // ---- movement -----------------------------------------------------------------------------------------------

    public static Node reshape(Node x, Shape shape) { return x.shape().equals(shape) ? x : Node.of(new Op.Reshape(shape), x); }

    /**
     * Permutes axes, folding a permutation of a permutation into one, and writing the transpose of a matrix product
     * as the product of the transposes ({@code (A·B)ᵀ = Bᵀ·Aᵀ}) so the product comes out in the layout it is read in.
     */
    public static Node permute(Node x, List<Integer> order) {
        boolean identity = true;
        for (int i = 0; i < order.size(); i++) identity &= order.get(i) == i;
        if (identity && order.size() == x.shape().rank()) return x;
        if (x.op() instanceof Op.Permute inner) {
            List<Integer> combined = new ArrayList<>();
            for (int o : order) combined.add(inner.order().get(o));
            return permute(x.input(0), combined);
        }
        if (x.op() instanceof Op.MatMul && swapsLastTwoOnly(order)) return matmul(transposeLast(x.input(1)), transposeLast(x.input(0)));
        return Node.of(new Op.Permute(order), x);
    }

    private static boolean swapsLastTwoOnly(List<Integer> order) {
        int r = order.size();
        for (int i = 0; i < r - 2; i++) if (order.get(i) != i) return false;
        return r >= 2 && order.get(r - 2) == r - 1 && order.get(r - 1) == r - 2;
    }

    /** The order that undoes {@code order}. */
    public static List<Integer> inversePermutation(List<Integer> order) {
        Integer[] inv = new Integer[order.size()];
        for (int i = 0; i < order.size(); i++) inv[order.get(i)] = i;
        return List.of(inv);
    }

    /** Swaps the last two axes. */
    public static Node transposeLast(Node x) {
        int r = x.shape().rank();
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < r; i++) order.add(i);
        Collections.swap(order, r - 2, r - 1);
        return permute(x, order);
    }

    public static Node expand(Node x, Shape shape) { return x.shape().equals(shape) ? x : Node.of(new Op.Expand(shape), x); }

    /** Numpy broadcasting: align trailing axes; sizes must match or be 1. */
    public static Shape broadcastShape(Shape a, Shape b) {
        int r = Math.max(a.rank(), b.rank());
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.rank() ? 1 : a.dim(i - (r - a.rank()));
            int db = i < r - b.rank() ? 1 : b.dim(i - (r - b.rank()));
            if (da != db && da != 1 && db != 1) {
                throw ShapeException.inScope("broadcast of " + a + " and " + b + ": sizes " + da + " and " + db
                        + " on axis " + i + " differ and neither is 1");
            }
            out[i] = da == 1 ? db : da;
        }
        return Shape.of(out);
    }

    public static Node broadcastTo(Node x, Shape shape) {
        Shape s = x.shape();
        if (s.equals(shape)) return x;
        if (s.rank() > shape.rank()) throw new ShapeException("cannot broadcast " + s + " to lower-rank " + shape);
        int[] padded = new int[shape.rank()];
        java.util.Arrays.fill(padded, 1);
        for (int i = 0; i < s.rank(); i++) padded[shape.rank() - s.rank() + i] = s.dim(i);
        return expand(reshape(x, Shape.of(padded)), shape);
    }

    /** The reverse of broadcasting {@code shape} to x's shape: sums over broadcast axes. */
    public static Node sumTo(Node x, Shape shape) {
        Shape s = x.shape();
        if (s.equals(shape)) return x;
        int lead = s.rank() - shape.rank();
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < s.rank(); i++) {
            if (i < lead || (shape.dim(i - lead) == 1 && s.dim(i) != 1)) axes.add(i);
        }
        return reshape(sum(x, axes, true), shape);
    }

    public static Node slice(Node x, List<Integer> start, List<Integer> stop, List<Integer> step) {
        Node n = Node.of(new Op.Slice(start, stop, step), x);
        return n.shape().equals(x.shape()) && step.stream().allMatch(s -> s == 1) ? x : n;
    }

    /** Elements {@code [from, to)} of one axis. */
    public static Node narrow(Node x, int axis, int from, int to) {
        int r = x.shape().rank();
        List<Integer> start = new ArrayList<>(Collections.nCopies(r, 0));
        List<Integer> stop = new ArrayList<>(x.shape().dims().length);
        for (int d : x.shape().dims()) stop.add(d);
        List<Integer> step = Collections.nCopies(r, 1);
        start.set(axis, from);
        stop.set(axis, to);
        return slice(x, start, stop, step);
    }

    public static Node pad(Node x, List<Integer> before, List<Integer> after, double value) {
        boolean none = before.stream().allMatch(v -> v == 0) && after.stream().allMatch(v -> v == 0);
        return none ? x : Node.of(new Op.Pad(before, after, value), x);
    }

    /** Pads by positive amounts and crops by negative ones, with zeros. */
    public static Node padOrCrop(Node x, List<Integer> before, List<Integer> after) {
        int r = x.shape().rank();
        List<Integer> padB = new ArrayList<>(), padA = new ArrayList<>(), start = new ArrayList<>(), stop = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            padB.add(Math.max(0, before.get(i)));
            padA.add(Math.max(0, after.get(i)));
            start.add(Math.max(0, -before.get(i)));
            stop.add(x.shape().dim(i) - Math.max(0, -after.get(i)));
        }
        Node cropped = slice(x, start, stop, Collections.nCopies(r, 1));
        return pad(cropped, padB, padA, 0);
    }

    /** Reverses the given axes. */
    public static Node flip(Node x, List<Integer> axes) {
        int r = x.shape().rank();
        List<Integer> start = new ArrayList<>(), stop = new ArrayList<>(), step = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            boolean f = axes.contains(i);
            start.add(f ? x.shape().dim(i) - 1 : 0);
            stop.add(f ? -1 : x.shape().dim(i));
            step.add(f ? -1 : 1);
        }
        return slice(x, start, stop, step);
    }

    /** Inserts {@code factor - 1} zeros between neighbouring elements along {@code axis}: size n becomes (n-1)·factor+1. */
    public static Node dilate(Node x, int axis, int factor) {
        if (factor == 1) return x;
        int[] d = x.shape().dims();
        int n = d[axis];
        // [.., n, ..] → [.., n, 1, ..] → pad to [.., n, factor, ..] → [.., n·factor, ..] → keep the first (n-1)·factor+1
        int[] split = new int[d.length + 1];
        for (int i = 0, j = 0; i < d.length; i++) {
            split[j++] = d[i];
            if (i == axis) split[j++] = 1;
        }
        Node s = reshape(x, Shape.of(split));
        List<Integer> before = Collections.nCopies(split.length, 0);
        List<Integer> after = new ArrayList<>(before);
        after.set(axis + 1, factor - 1);
        Node padded = pad(s, before, after, 0);
        Node merged = reshape(padded, x.shape().with(axis, n * factor));
        return narrow(merged, axis, 0, (n - 1) * factor + 1);
    }

    // ---- contractions -------------------------------------------------------------------------------------------

    public static Node matmul(Node a, Node b) { return Node.of(new Op.MatMul(), a, b); }

    public static Node conv2d(Node x, Node w, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW) {
        return Node.of(new Op.Conv2d(strideH, strideW, padH, padW, dilationH, dilationW), x, w);
    }

    private static boolean isConstant(Node n, double v) {
        Double c = constantValue(n);
        return c != null && c == v;
    }
}
