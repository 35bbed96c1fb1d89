package dev.kiln.ir;

import java.util.ArrayList;
import java.util.List;

/** The shape and dtype rule of every op, checked when a node is built. */
final class ShapeInference {
    record Type(Shape shape, DType dtype) {}

    private ShapeInference() {}

    static Type infer(Op op, List<Node> in) {
        return switch (op) {
            case Op.Leaf l -> { arity(op, in, 0); yield new Type(l.shape(), l.dtype()); }
            case Op.Constant c -> { arity(op, in, 0); yield new Type(Shape.scalar(), c.dtype()); }
            case Op.RandomUniform r -> {
                arity(op, in, 1);
                require(in.get(0).shape().rank() == 0 && in.get(0).dtype() == DType.I64, op, in, "the seed must be an int64 scalar");
                yield new Type(r.shape(), DType.F32);
            }
            case Op.Cast c -> { arity(op, in, 1); yield new Type(in.get(0).shape(), c.to()); }
            case Op.Unary u -> {
                arity(op, in, 1);
                boolean needsFloat = switch (u.fn()) {
                    case NEG, ABS, SIGN, RELU -> false;
                    case RECIPROCAL, EXP, LOG, SQRT, TANH, SIGMOID -> true;
                };
                require(!needsFloat || in.get(0).dtype().isFloating(), op, in, "needs a floating-point input");
                require(in.get(0).dtype() != DType.BOOL, op, in, "does not take bool");
                yield new Type(in.get(0).shape(), in.get(0).dtype());
            }
            case Op.Binary b -> {
                arity(op, in, 2);
                sameShape(op, in, 0, 1);
                sameDType(op, in, 0, 1);
                yield new Type(in.get(0).shape(), b.fn().isComparison() ? DType.BOOL : in.get(0).dtype());
            }
            case Op.Where w -> {
                arity(op, in, 3);
                require(in.get(0).dtype() == DType.BOOL, op, in, "the condition must be bool");
                sameShape(op, in, 0, 1);
                sameShape(op, in, 0, 2);
                sameDType(op, in, 1, 2);
                yield new Type(in.get(0).shape(), in.get(1).dtype());
            }
            case Op.Reduce r -> { arity(op, in, 1); yield new Type(reduce(r, in), in.get(0).dtype()); }
            case Op.Reshape r -> {
                arity(op, in, 1);
                require(r.shape().numel() == in.get(0).shape().numel(), op, in,
                        "cannot reshape to " + r.shape() + " (" + r.shape().numel() + " elements vs " + in.get(0).shape().numel() + ")");
                yield new Type(r.shape(), in.get(0).dtype());
            }
            case Op.Permute p -> { arity(op, in, 1); yield new Type(permute(p, in), in.get(0).dtype()); }
            case Op.Expand e -> { arity(op, in, 1); yield new Type(expand(e, in), in.get(0).dtype()); }
            case Op.Slice s -> { arity(op, in, 1); yield new Type(slice(s, in), in.get(0).dtype()); }
            case Op.Pad p -> { arity(op, in, 1); yield new Type(pad(p, in), in.get(0).dtype()); }
            case Op.MatMul m -> { arity(op, in, 2); sameDType(op, in, 0, 1); yield new Type(matmul(m, in), in.get(0).dtype()); }
            case Op.Conv2d c -> { arity(op, in, 2); sameDType(op, in, 0, 1); yield new Type(conv2d(c, in), in.get(0).dtype()); }
        };
    }

    private static Shape reduce(Op.Reduce r, List<Node> in) {
        Shape s = in.get(0).shape();
        int previous = -1;
        for (int a : r.axes()) {
            require(a > previous && a < s.rank(), r, in, "axes " + r.axes() + " must be sorted, distinct and below rank " + s.rank());
            previous = a;
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < s.rank(); i++) {
            if (!r.axes().contains(i)) out.add(s.dim(i));
            else if (r.keepDims()) out.add(1);
        }
        return shapeOf(out);
    }

    private static Shape permute(Op.Permute p, List<Node> in) {
        Shape s = in.get(0).shape();
        List<Integer> order = p.order();
        boolean[] seen = new boolean[s.rank()];
        require(order.size() == s.rank(), p, in, "order " + order + " must list each of the " + s.rank() + " axes once");
        int[] out = new int[s.rank()];
        for (int i = 0; i < order.size(); i++) {
            int a = order.get(i);
            require(a >= 0 && a < s.rank() && !seen[a], p, in, "order " + order + " must list each of the " + s.rank() + " axes once");
            seen[a] = true;
            out[i] = s.dim(a);
        }
        return Shape.of(out);
    }

    private static Shape expand(Op.Expand e, List<Node> in) {
        Shape s = in.get(0).shape();
        Shape t = e.shape();
        require(t.rank() == s.rank(), e, in, "target " + t + " must have the input's rank");
        for (int i = 0; i < s.rank(); i++) {
            require(s.dim(i) == t.dim(i) || s.dim(i) == 1, e, in, "cannot expand " + s + " to " + t + ": axis " + i + " is " + s.dim(i) + ", not 1");
        }
        return t;
    }

    private static Shape slice(Op.Slice sl, List<Node> in) {
        Shape s = in.get(0).shape();
        require(sl.start().size() == s.rank() && sl.stop().size() == s.rank() && sl.step().size() == s.rank(), sl, in,
                "start/stop/step need one entry per axis (rank " + s.rank() + ")");
        int[] out = new int[s.rank()];
        for (int i = 0; i < s.rank(); i++) {
            int start = sl.start().get(i), stop = sl.stop().get(i), step = sl.step().get(i);
            require(step != 0, sl, in, "step on axis " + i + " is 0");
            int n = step > 0 ? Math.max(0, ceilDiv(stop - start, step)) : Math.max(0, ceilDiv(start - stop, -step));
            if (n > 0) {
                int last = start + (n - 1) * step;
                require(start >= 0 && start < s.dim(i) && last >= 0 && last < s.dim(i), sl, in,
                        "axis " + i + " range " + start + ":" + stop + ":" + step + " is out of bounds for size " + s.dim(i));
            }
            out[i] = n;
        }
        return Shape.of(out);
    }

    private static Shape pad(Op.Pad p, List<Node> in) {
        Shape s = in.get(0).shape();
        require(p.before().size() == s.rank() && p.after().size() == s.rank(), p, in, "before/after need one entry per axis (rank " + s.rank() + ")");
        int[] out = new int[s.rank()];
        for (int i = 0; i < s.rank(); i++) {
            require(p.before().get(i) >= 0 && p.after().get(i) >= 0, p, in, "pad amounts must be non-negative: " + p.before() + " / " + p.after());
            out[i] = s.dim(i) + p.before().get(i) + p.after().get(i);
        }
        return Shape.of(out);
    }

    private static Shape matmul(Op.MatMul m, List<Node> in) {
        Shape a = in.get(0).shape(), b = in.get(1).shape();
        require(a.rank() >= 2 && a.rank() == b.rank(), m, in, "needs two operands of equal rank ≥ 2");
        int r = a.rank();
        for (int i = 0; i < r - 2; i++) require(a.dim(i) == b.dim(i), m, in, "batch dimensions differ");
        require(a.dim(r - 1) == b.dim(r - 2), m, in, "inner dimensions differ (" + a.dim(r - 1) + " vs " + b.dim(r - 2) + ")");
        int[] out = a.dims();
        out[r - 1] = b.dim(r - 1);
        return Shape.of(out);
    }

    private static Shape conv2d(Op.Conv2d c, List<Node> in) {
        Shape x = in.get(0).shape(), w = in.get(1).shape();
        require(x.rank() == 4 && w.rank() == 4, c, in, "input must be [N, C, H, W] and weight [O, C, KH, KW]");
        require(x.dim(1) == w.dim(1), c, in, "input has " + x.dim(1) + " channels but the weight expects " + w.dim(1));
        require(c.strideH() > 0 && c.strideW() > 0 && c.dilationH() > 0 && c.dilationW() > 0 && c.padH() >= 0 && c.padW() >= 0, c, in,
                "stride and dilation must be positive, padding non-negative");
        int oh = convOut(x.dim(2), w.dim(2), c.strideH(), c.padH(), c.dilationH());
        int ow = convOut(x.dim(3), w.dim(3), c.strideW(), c.padW(), c.dilationW());
        require(oh > 0 && ow > 0, c, in, "kernel " + w.dim(2) + "x" + w.dim(3) + " does not fit the padded input " + x.dim(2) + "x" + x.dim(3));
        return Shape.of(x.dim(0), w.dim(0), oh, ow);
    }

    static int convOut(int size, int kernel, int stride, int pad, int dilation) {
        int span = size + 2 * pad - dilation * (kernel - 1) - 1;
        return span < 0 ? 0 : span / stride + 1;
    }

    private static int ceilDiv(int a, int b) { return Math.floorDiv(a + b - 1, b); }

    private static Shape shapeOf(List<Integer> dims) { return Shape.of(dims.stream().mapToInt(Integer::intValue).toArray()); }

    private static void arity(Op op, List<Node> in, int n) {
        require(in.size() == n, op, in, "takes " + n + " input(s), got " + in.size());
    }

    private static void sameShape(Op op, List<Node> in, int i, int j) {
        require(in.get(i).shape().equals(in.get(j).shape()), op, in, "operand shapes differ");
    }

    private static void sameDType(Op op, List<Node> in, int i, int j) {
        require(in.get(i).dtype() == in.get(j).dtype(), op, in,
                "operand dtypes differ (" + in.get(i).dtype().torchName() + " vs " + in.get(j).dtype().torchName() + ")");
    }

    private static void require(boolean ok, Op op, List<Node> in, String reason) {
        if (ok) return;
        StringBuilder m = new StringBuilder(op.name()).append(" of ");
        if (in.isEmpty()) m.append("no inputs");
        for (int i = 0; i < in.size(); i++) {
            if (i > 0) m.append(" and ");
            m.append(in.get(i).shape());
        }
        m.append(": ").append(reason);
        throw ShapeException.inScope(m.toString());
    }
}
