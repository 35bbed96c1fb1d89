package dev.kiln.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The vector-Jacobian product of every primitive, in one place: given a node and the gradient {@code g} flowing
 * into its output, the gradient flowing into each input (null where none flows). Rules are written in IR, so
 * gradients are graphs themselves and can be differentiated again.
 */
final class Vjp {
    private Vjp() {}

    static Node[] rule(Node n, Node g) {
        List<Node> in = n.inputs();
        return switch (n.op()) {
            case Op.Leaf l -> new Node[0];
            case Op.Constant c -> new Node[0];
            case Op.RandomUniform r -> new Node[] {null};
            case Op.Cast c -> new Node[] {in.get(0).dtype().isFloating() ? Ops.cast(g, in.get(0).dtype()) : null};
            case Op.Unary u -> new Node[] {unary(u.fn(), in.get(0), n, g)};
            case Op.Binary b -> binary(b.fn(), in.get(0), in.get(1), n, g);
            case Op.Where w -> new Node[] {null, Ops.where(in.get(0), g, Ops.zerosLike(g)), Ops.where(in.get(0), Ops.zerosLike(g), g)};
            case Op.Reduce r -> new Node[] {reduce(r, in.get(0), n, g)};
            case Op.Reshape r -> new Node[] {Ops.reshape(g, in.get(0).shape())};
            case Op.Permute p -> new Node[] {Ops.permute(g, Ops.inversePermutation(p.order()))};
            case Op.Expand e -> new Node[] {Ops.sumTo(g, in.get(0).shape())};
            case Op.Slice s -> new Node[] {unslice(s, in.get(0).shape(), g)};
            case Op.Pad p -> new Node[] {unpad(p, in.get(0).shape(), g)};
            case Op.MatMul m -> new Node[] {
                    Ops.matmul(g, Ops.transposeLast(in.get(1))),
                    Ops.matmul(Ops.transposeLast(in.get(0)), g)};
            case Op.Conv2d c -> new Node[] {conv2dInput(c, in.get(0), in.get(1), g), conv2dWeight(c, in.get(0), in.get(1), g)};
        };
    }

    private static Node unary(Op.UnaryFn fn, Node x, Node out, Node g) {
        return switch (fn) {
            case NEG -> Ops.neg(g);
            case RECIPROCAL -> Ops.neg(Ops.mul(g, Ops.mul(out, out)));
            case EXP -> Ops.mul(g, out);
            case LOG -> Ops.div(g, x);
            case SQRT -> Ops.div(g, Ops.mul(out, 2));
            case ABS -> Ops.mul(g, Ops.unary(Op.UnaryFn.SIGN, x));
            case SIGN -> null;
            case TANH -> Ops.mul(g, Ops.sub(Ops.onesLike(out), Ops.mul(out, out)));
            case SIGMOID -> Ops.mul(g, Ops.mul(out, Ops.sub(Ops.onesLike(out), out)));
            case RELU -> Ops.where(Ops.gt(x, Ops.zerosLike(x)), g, Ops.zerosLike(g));
        };
    }

    private static Node[] binary(Op.BinaryFn fn, Node a, Node b, Node out, Node g) {
        return switch (fn) {
            case ADD -> new Node[] {g, g};
            case SUB -> new Node[] {g, Ops.neg(g)};
            case MUL -> new Node[] {Ops.mul(g, b), Ops.mul(g, a)};
            case DIV -> new Node[] {Ops.div(g, b), Ops.neg(Ops.div(Ops.mul(g, out), b))};
            // ties split the gradient evenly, as torch.maximum/minimum do
            case MAX -> split(g, Ops.gt(a, b), Ops.eq(a, b));
            case MIN -> split(g, Ops.lt(a, b), Ops.eq(a, b));
            case POW -> pow(a, b, out, g);
            case LT, EQ -> new Node[] {null, null};
        };
    }

    /**
     * As PyTorch defines them: d/da = b·a^(b−1), but 0 where b = 0 (so 0^0 has gradient 0, not 0·0^−1 = nan);
     * d/db = a^b·log(a), but 0 where a = 0 and b ≥ 0. Masks are wheres, so the rules stay differentiable.
     */
    private static Node[] pow(Node a, Node b, Node out, Node g) {
        if (!a.dtype().isFloating()) return new Node[] {null, null};
        Node zero = Ops.zerosLike(g);
        Node ga = Ops.where(Ops.eq(b, Ops.zerosLike(b)), zero, Ops.mul(g, Ops.mul(b, Ops.pow(a, Ops.sub(b, Ops.onesLike(b))))));
        Node baseZero = Ops.and(Ops.eq(a, Ops.zerosLike(a)), Ops.not(Ops.lt(b, Ops.zerosLike(b))));
        Node gb = Ops.where(baseZero, zero, Ops.mul(g, Ops.mul(out, Ops.unary(Op.UnaryFn.LOG, a))));
        return new Node[] {ga, gb};
    }

    /** Gradient to the first operand where it wins, half where both tie, the rest to the second. */
    private static Node[] split(Node g, Node firstWins, Node tie) {
        Node half = Ops.full(0.5, g.shape(), g.dtype());
        Node share = Ops.where(firstWins, Ops.onesLike(g), Ops.where(tie, half, Ops.zerosLike(g)));
        Node ga = Ops.mul(g, share);
        return new Node[] {ga, Ops.sub(g, ga)};
    }

    private static Node reduce(Op.Reduce r, Node x, Node out, Node g) {
        Shape kept = keptShape(x.shape(), r.axes());
        Node gk = Ops.expand(Ops.reshape(g, kept), x.shape());
        return switch (r.fn()) {
            case SUM -> gk;
            case MAX -> {
                // like torch.amax: the gradient is shared evenly among the maxima, g / count where it is reduced (a
                // division per output, not per input), then put where the mask is 1; the same bits as (g · mask) / count,
                // as the mask is 0 or 1
                Node m = Ops.expand(Ops.reshape(out, kept), x.shape());
                Node mask = Ops.cast(Ops.eq(x, m), x.dtype());
                Node share = Ops.div(Ops.reshape(g, kept), Ops.sum(mask, r.axes(), true));
                yield Ops.mul(Ops.expand(share, x.shape()), mask);
            }
        };
    }

    private static Shape keptShape(Shape s, List<Integer> axes) {
        int[] d = s.dims();
        for (int a : axes) d[a] = 1;
        return Shape.of(d);
    }

    /** Scatters g back to where the slice read it, zeros elsewhere. */
    private static Node unslice(Op.Slice s, Shape in, Node g) {
        if (g.shape().numel() == 0) return Ops.full(0, in, g.dtype());
        Node grad = g;
        for (int axis = 0; axis < in.rank(); axis++) {
            int n = g.shape().dim(axis), step = s.step().get(axis), first = s.start().get(axis);
            if (step < 0) {
                grad = Ops.flip(grad, List.of(axis));
                first = first + (n - 1) * step;
                step = -step;
            }
            grad = Ops.dilate(grad, axis, step);
            int last = first + (n - 1) * step;
            List<Integer> before = new ArrayList<>(Collections.nCopies(in.rank(), 0));
            List<Integer> after = new ArrayList<>(before);
            before.set(axis, first);
            after.set(axis, in.dim(axis) - 1 - last);
            grad = Ops.pad(grad, before, after, 0);
        }
        return grad;
    }

    private static Node unpad(Op.Pad p, Shape in, Node g) {
        List<Integer> start = new ArrayList<>(), stop = new ArrayList<>();
        for (int i = 0; i < in.rank(); i++) {
            start.add(p.before().get(i));
            stop.add(p.before().get(i) + in.dim(i));
        }
        return Ops.slice(g, start, stop, Collections.nCopies(in.rank(), 1));
    }

    /**
     * dL/dx as a transposed convolution: every output position's gradient times the kernel, {@code cols = Wᵀ·dY} (one
     * matrix product over the output channels), then folded back onto the input: each kernel offset (i, j) adds its
     * slice of cols, dilated by the stride and shifted into place. Cheaper than correlating a padded, dilated dY with
     * the flipped kernel, which reads C·KH·KW values per input element.
     */
    private static Node conv2dInput(Op.Conv2d c, Node x, Node w, Node g) {
        Shape xs = x.shape(), ws = w.shape(), gs = g.shape();
        int n = gs.dim(0), o = ws.dim(0), ch = ws.dim(1), kh = ws.dim(2), kw = ws.dim(3), oh = gs.dim(2), ow = gs.dim(3);
        Node weights = Ops.transposeLast(Ops.reshape(w, Shape.of(o, ch * kh * kw)));                     // [C·KH·KW, O]
        Node grads = Ops.reshape(Ops.permute(g, List.of(1, 0, 2, 3)), Shape.of(o, n * oh * ow));         // [O, N·OH·OW]
        Node cols = Ops.reshape(Ops.matmul(weights, grads), Shape.of(ch, kh, kw, n, oh, ow));
        Node sum = null;
        for (int i = 0; i < kh; i++) {
            for (int j = 0; j < kw; j++) {
                Node slice = Ops.reshape(Ops.slice(cols, List.of(0, i, j, 0, 0, 0), List.of(ch, i + 1, j + 1, n, oh, ow),
                        List.of(1, 1, 1, 1, 1, 1)), Shape.of(ch, n, oh, ow));
                Node term = Ops.dilate(Ops.dilate(Ops.permute(slice, List.of(1, 0, 2, 3)), 2, c.strideH()), 3, c.strideW());
                int top = i * c.dilationH() - c.padH(), left = j * c.dilationW() - c.padW();
                int bottom = xs.dim(2) - top - term.shape().dim(2), right = xs.dim(3) - left - term.shape().dim(3);
                Node placed = Ops.padOrCrop(term, List.of(0, 0, top, left), List.of(0, 0, bottom, right));
                sum = sum == null ? placed : Ops.add(sum, placed);
            }
        }
        return sum;
    }

    /** dL/dw: the input correlated with the output gradient (batch as the contracted channel), stride and dilation swapped. */
    private static Node conv2dWeight(Op.Conv2d c, Node x, Node w, Node g) {
        Node xt = Ops.permute(x, List.of(1, 0, 2, 3));
        Node gt = Ops.permute(g, List.of(1, 0, 2, 3));
        Node r = Ops.conv2d(xt, gt, c.dilationH(), c.dilationW(), c.padH(), c.padW(), c.strideH(), c.strideW());
        Node cropped = Ops.slice(r, List.of(0, 0, 0, 0),
                List.of(r.shape().dim(0), r.shape().dim(1), w.shape().dim(2), w.shape().dim(3)), List.of(1, 1, 1, 1));
        return Ops.permute(cropped, List.of(1, 0, 2, 3));
    }
}
