package dev.kiln.ir;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates any graph in double precision, one op at a time, with no cleverness: the executable definition of
 * every primitive and the oracle that every backend is tested against. Values are flat row-major {@code double[]};
 * integer and bool results are rounded to their dtype, floating ones are kept in double.
 */
public final class Interpreter {
    private Interpreter() {}

    /**
     * Values of {@code outputs}, given values for every leaf they depend on (and optionally for any other node,
     * which is then taken as known rather than recomputed).
     */
    public static Map<Node, double[]> evaluate(List<Node> outputs, Map<Node, double[]> known) {
        Map<Node, double[]> values = new IdentityHashMap<>(known);
        for (Node n : Graph.topologicalOrder(outputs, known::containsKey)) {
            if (values.containsKey(n)) continue;
            if (n.isLeaf()) throw new IllegalArgumentException("no value bound for leaf " + Graph.attributes(n.op()) + " " + n.shape());
            double[][] in = new double[n.inputs().size()][];
            for (int i = 0; i < in.length; i++) in[i] = values.get(n.input(i));
            double[] v = apply(n, in);
            if (!n.dtype().isFloating()) for (int i = 0; i < v.length; i++) v[i] = n.dtype().round(v[i]);
            values.put(n, v);
        }
        Map<Node, double[]> result = new IdentityHashMap<>();
        for (Node o : outputs) result.put(o, values.get(o));
        return result;
    }

    public static double[] evaluate(Node output, Map<Node, double[]> known) { return evaluate(List.of(output), known).get(output); }

    private static double[] apply(Node n, double[][] in) {
        return switch (n.op()) {
            case Op.Leaf l -> throw new IllegalStateException("leaves are bound, not computed");
            case Op.Constant c -> new double[] {c.value()};
            case Op.RandomUniform r -> {
                long seed = (long) in[0][0];
                double[] out = new double[r.shape().numel()];
                for (int i = 0; i < out.length; i++) out[i] = Rng.uniform(seed, r.salt(), i);
                yield out;
            }
            case Op.Cast c -> {
                double[] out = in[0].clone();
                for (int i = 0; i < out.length; i++) out[i] = c.to().round(out[i]);
                yield out;
            }
            case Op.Unary u -> {
                double[] out = new double[in[0].length];
                for (int i = 0; i < out.length; i++) out[i] = unary(u.fn(), in[0][i]);
                yield out;
            }
            case Op.Binary b -> {
                double[] out = new double[in[0].length];
                for (int i = 0; i < out.length; i++) out[i] = binary(b.fn(), in[0][i], in[1][i]);
                yield out;
            }
            case Op.Where w -> {
                double[] out = new double[in[0].length];
                for (int i = 0; i < out.length; i++) out[i] = in[0][i] != 0 ? in[1][i] : in[2][i];
                yield out;
            }
            case Op.Reduce r -> reduce(r, n.input(0).shape(), in[0]);
            case Op.Reshape r -> in[0].clone();
            case Op.Permute p -> permute(p, n.input(0).shape(), n.shape(), in[0]);
            case Op.Expand e -> expand(n.input(0).shape(), n.shape(), in[0]);
            case Op.Slice s -> slice(s, n.input(0).shape(), n.shape(), in[0]);
            case Op.Pad p -> pad(p, n.input(0).shape(), n.shape(), in[0]);
            case Op.MatMul m -> matmul(n.input(0).shape(), n.input(1).shape(), in[0], in[1]);
            case Op.Conv2d c -> conv2d(c, n.input(0).shape(), n.input(1).shape(), n.shape(), in[0], in[1]);
        };
    }

    static double unary(Op.UnaryFn fn, double x) {
        return switch (fn) {
            case NEG -> -x;
            case RECIPROCAL -> 1 / x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case RELU -> Double.isNaN(x) ? x : Math.max(x, 0.0);
        };
    }

    static double binary(Op.BinaryFn fn, double a, double b) {
        return switch (fn) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
            case MIN -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
            case POW -> Math.pow(a, b);
            case LT -> a < b ? 1 : 0;
            case EQ -> a == b ? 1 : 0;
        };
    }

    private static double[] reduce(Op.Reduce r, Shape inShape, double[] x) {
        int rank = inShape.rank();
        int[] outStrides = new int[rank];           // stride of each input axis in the output (0 for reduced axes)
        int acc = 1;
        for (int i = rank - 1; i >= 0; i--) {
            if (r.axes().contains(i)) continue;
            outStrides[i] = acc;
            acc *= inShape.dim(i);
        }
        double[] out = new double[acc];
        double init = switch (r.fn()) { case SUM -> 0; case MAX -> Double.NEGATIVE_INFINITY; };
        java.util.Arrays.fill(out, init);
        int[] idx = new int[rank];
        for (int flat = 0; flat < x.length; flat++) {
            int o = 0;
            for (int i = 0; i < rank; i++) o += idx[i] * outStrides[i];
            out[o] = switch (r.fn()) {
                case SUM -> out[o] + x[flat];
                case MAX -> Double.isNaN(x[flat]) || Double.isNaN(out[o]) ? Double.NaN : Math.max(out[o], x[flat]);
            };
            increment(idx, inShape);
        }
        return out;
    }

    private static double[] permute(Op.Permute p, Shape inShape, Shape outShape, double[] x) {
        int[] inStrides = inShape.strides();
        int[] strides = new int[outShape.rank()];
        for (int i = 0; i < strides.length; i++) strides[i] = inStrides[p.order().get(i)];
        return gather(outShape, strides, 0, x);
    }

    private static double[] expand(Shape inShape, Shape outShape, double[] x) {
        int[] inStrides = inShape.strides();
        int[] strides = new int[outShape.rank()];
        for (int i = 0; i < strides.length; i++) strides[i] = inShape.dim(i) == 1 ? 0 : inStrides[i];
        return gather(outShape, strides, 0, x);
    }

    private static double[] slice(Op.Slice s, Shape inShape, Shape outShape, double[] x) {
        int[] inStrides = inShape.strides();
        int[] strides = new int[outShape.rank()];
        int offset = 0;
        for (int i = 0; i < strides.length; i++) {
            strides[i] = inStrides[i] * s.step().get(i);
            offset += inStrides[i] * s.start().get(i);
        }
        return outShape.numel() == 0 ? new double[0] : gather(outShape, strides, offset, x);
    }

    /** out[idx] = x[offset + Σ idx·strides]: how every view reads its input. */
    private static double[] gather(Shape outShape, int[] strides, int offset, double[] x) {
        double[] out = new double[outShape.numel()];
        int[] idx = new int[outShape.rank()];
        for (int flat = 0; flat < out.length; flat++) {
            int src = offset;
            for (int i = 0; i < idx.length; i++) src += idx[i] * strides[i];
            out[flat] = x[src];
            increment(idx, outShape);
        }
        return out;
    }

    private static double[] pad(Op.Pad p, Shape inShape, Shape outShape, double[] x) {
        double[] out = new double[outShape.numel()];
        java.util.Arrays.fill(out, p.value());
        int[] outStrides = outShape.strides();
        int[] idx = new int[inShape.rank()];
        for (int flat = 0; flat < x.length; flat++) {
            int dst = 0;
            for (int i = 0; i < idx.length; i++) dst += (idx[i] + p.before().get(i)) * outStrides[i];
            out[dst] = x[flat];
            increment(idx, inShape);
        }
        return out;
    }

    private static double[] matmul(Shape as, Shape bs, double[] a, double[] b) {
        int r = as.rank();
        int m = as.dim(r - 2), k = as.dim(r - 1), n = bs.dim(r - 1);
        int batch = 1;
        for (int i = 0; i < r - 2; i++) batch *= as.dim(i);
        double[] out = new double[batch * m * n];
        for (int bi = 0; bi < batch; bi++) {
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) {
                    double av = a[bi * m * k + i * k + p];
                    for (int j = 0; j < n; j++) out[bi * m * n + i * n + j] += av * b[bi * k * n + p * n + j];
                }
            }
        }
        return out;
    }

    private static double[] conv2d(Op.Conv2d c, Shape xs, Shape ws, Shape ys, double[] x, double[] w) {
        int batch = xs.dim(0), channels = xs.dim(1), h = xs.dim(2), wd = xs.dim(3);
        int outC = ws.dim(0), kh = ws.dim(2), kw = ws.dim(3);
        int oh = ys.dim(2), ow = ys.dim(3);
        double[] y = new double[ys.numel()];
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < outC; o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double acc = 0;
                        for (int ch = 0; ch < channels; ch++)
                            for (int p = 0; p < kh; p++) {
                                int row = i * c.strideH() - c.padH() + p * c.dilationH();
                                if (row < 0 || row >= h) continue;
                                for (int q = 0; q < kw; q++) {
                                    int col = j * c.strideW() - c.padW() + q * c.dilationW();
                                    if (col < 0 || col >= wd) continue;
                                    acc += x[((n * channels + ch) * h + row) * wd + col] * w[((o * channels + ch) * kh + p) * kw + q];
                                }
                            }
                        y[((n * outC + o) * oh + i) * ow + j] = acc;
                    }
        return y;
    }

    /** Advances a row-major multi-index by one. */
    private static void increment(int[] idx, Shape shape) {
        for (int i = idx.length - 1; i >= 0; i--) {
            if (++idx[i] < shape.dim(i)) return;
            idx[i] = 0;
        }
    }
}
