package dev.kiln.dsl;

import dev.kiln.ir.DType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prints tensors the way PyTorch does: {@code tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]], grad_fn=<AddBackward0>)}.
 * Floats use 4 decimals, a trailing dot when all values are integral, or scientific notation when the magnitudes
 * span too widely; columns are right-aligned; large tensors are summarised with {@code ...}.
 */
final class TensorFormatter {
    private static final int EDGE_ITEMS = 3;
    private static final int SUMMARIZE_ABOVE = 1000;
    private static final int LINE_WIDTH = 80;

    private TensorFormatter() {}

    static String format(Tensor t) {
        double[] v = t.toDoubleArray();
        int[] dims = t.shape().toArray();
        boolean summarize = v.length > SUMMARIZE_ABOVE;
        List<String> suffixes = new ArrayList<>();
        if (t.dtype() != DType.F32 && t.dtype() != DType.I64 && t.dtype() != DType.BOOL) {
            suffixes.add("dtype=torch." + t.dtype().torchName());
        }
        if (t.gradFn() != null) suffixes.add("grad_fn=" + t.gradFn());
        else if (t.requiresGrad()) suffixes.add("requires_grad=True");
        String prefix = "tensor(";
        String body;
        if (v.length == 0) {
            body = "[]";
            if (dims.length != 1) suffixes.add(0, "size=" + pythonTuple(dims));
        } else {
            ElementFormat f = ElementFormat.choose(t.dtype(), summarize ? shownValues(v, dims, 0, 0) : v);
            body = dims.length == 0 ? f.format(v[0]) : block(v, dims, 0, 0, f, prefix.length(), summarize);
        }
        // PyTorch names a device other than the CPU before every other suffix
        if (!t.device().isCpu()) suffixes.add(0, "device='" + t.device() + "'");
        StringBuilder s = new StringBuilder(prefix).append(body);
        for (String suffix : suffixes) s.append(", ").append(suffix);
        return s.append(')').toString();
    }

    /** The bracketed text of the sub-tensor at {@code offset} spanning dimensions {@code depth..}. */
    private static String block(double[] v, int[] dims, int depth, int offset, ElementFormat f, int indent, boolean summarize) {
        int n = dims[depth];
        int stride = 1;
        for (int i = depth + 1; i < dims.length; i++) stride *= dims[i];
        List<Integer> shown = shownIndices(n, summarize);
        if (depth == dims.length - 1) {
            List<String> items = new ArrayList<>();
            for (int i : shown) items.add(i < 0 ? " ..." : f.format(v[offset + i]));
            return "[" + wrap(items, indent + depth, f.width) + "]";
        }
        StringBuilder s = new StringBuilder("[");
        String separator = "," + "\n".repeat(dims.length - depth - 1) + " ".repeat(indent + depth + 1);
        for (int k = 0; k < shown.size(); k++) {
            if (k > 0) s.append(separator);
            int i = shown.get(k);
            s.append(i < 0 ? "..." : block(v, dims, depth + 1, offset + i * stride, f, indent, summarize));
        }
        return s.append(']').toString();
    }

    /** The values a summarised print shows; PyTorch picks the number format from these alone. */
    private static double[] shownValues(double[] v, int[] dims, int depth, int offset) {
        int stride = 1;
        for (int i = depth + 1; i < dims.length; i++) stride *= dims[i];
        List<double[]> parts = new ArrayList<>();
        for (int i : shownIndices(dims[depth], true)) {
            if (i < 0) continue;
            parts.add(depth == dims.length - 1 ? new double[] {v[offset + i]} : shownValues(v, dims, depth + 1, offset + i * stride));
        }
        return parts.stream().flatMapToDouble(java.util.Arrays::stream).toArray();
    }

    private static List<Integer> shownIndices(int n, boolean summarize) {
        List<Integer> idx = new ArrayList<>();
        if (summarize && n > 2 * EDGE_ITEMS) {
            for (int i = 0; i < EDGE_ITEMS; i++) idx.add(i);
            idx.add(-1);
            for (int i = n - EDGE_ITEMS; i < n; i++) idx.add(i);
        } else {
            for (int i = 0; i < n; i++) idx.add(i);
        }
        return idx;
    }

    /** Python's {@code str(tuple(dims))}: {@code (2, 0)}, {@code (0,)}. */
    private static String pythonTuple(int[] dims) {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) s.append(i > 0 ? ", " : "").append(dims[i]);
        return s.append(dims.length == 1 ? ",)" : ")").toString();
    }

    /**
     * Joins a row's items with ", ", breaking lines as PyTorch's {@code _vector_str} does: {@code (80 - indent) / (width + 2)}
     * items per line, continuation lines indented by {@code indent + 1}.
     */
    private static String wrap(List<String> items, int indent, int width) {
        int perLine = Math.max(1, (LINE_WIDTH - indent) / (width + 2));
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) s.append(i % perLine == 0 ? ",\n" + " ".repeat(indent + 1) : ", ");
            s.append(items.get(i));
        }
        return s.toString();
    }

    /** How every element of one tensor is printed, padded to a common width. */
    private record ElementFormat(DType dtype, Mode mode, int width) {
        enum Mode { INTEGER, BOOL, FLOAT_INTEGRAL, FIXED, SCIENTIFIC }

        static ElementFormat choose(DType dtype, double[] v) {
            Mode mode;
            if (dtype == DType.BOOL) mode = Mode.BOOL;
            else if (!dtype.isFloating()) mode = Mode.INTEGER;
            else mode = floatMode(v);
            ElementFormat probe = new ElementFormat(dtype, mode, 0);
            int width = mode == Mode.BOOL || mode == Mode.INTEGER ? 0 : 1;
            for (double x : v) {
                // PyTorch sizes float columns by the nonzero finite values alone
                if (dtype.isFloating() && (!Double.isFinite(x) || x == 0)) continue;
                width = Math.max(width, probe.raw(x).length());
            }
            return new ElementFormat(dtype, mode, width);
        }

        /** PyTorch's {@code _Formatter}: integral floats keep a trailing dot unless the magnitudes call for scientific notation. */
        private static Mode floatMode(double[] v) {
            boolean integral = true;
            double maxAbs = 0, minAbs = Double.POSITIVE_INFINITY;
            for (double x : v) {
                if (!Double.isFinite(x) || x == 0) continue;
                integral &= x == Math.ceil(x);
                double a = Math.abs(x);
                maxAbs = Math.max(maxAbs, a);
                minAbs = Math.min(minAbs, a);
            }
            if (minAbs == Double.POSITIVE_INFINITY) return Mode.FLOAT_INTEGRAL;
            if (integral) return maxAbs / minAbs > 1000 || maxAbs > 1e8 ? Mode.SCIENTIFIC : Mode.FLOAT_INTEGRAL;
            return maxAbs / minAbs > 1000 || maxAbs > 1e8 || minAbs < 1e-4 ? Mode.SCIENTIFIC : Mode.FIXED;
        }

        String format(double x) {
            String r = raw(x);
            return " ".repeat(Math.max(0, width - r.length())) + r;
        }

        private String raw(double x) {
            if (mode == Mode.BOOL) return x != 0 ? "True" : "False";
            if (mode == Mode.INTEGER) return Long.toString((long) x);
            if (Double.isNaN(x)) return "nan";
            if (Double.isInfinite(x)) return x > 0 ? "inf" : "-inf";
            return switch (mode) {
                case FLOAT_INTEGRAL -> String.format(Locale.ROOT, "%.0f.", x);
                case FIXED -> String.format(Locale.ROOT, "%.4f", x);
                case SCIENTIFIC -> String.format(Locale.ROOT, "%.4e", x);
                case INTEGER, BOOL -> throw new IllegalStateException();
            };
        }
    }
}
