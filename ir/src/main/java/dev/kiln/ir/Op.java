package dev.kiln.ir;

import java.util.List;

/**
 * The primitive operations of the graph IR. Each is a record of its attributes; a {@link Node} pairs an op with
 * its inputs. Per-op rules (shapes, interpretation, derivatives, lowering) live in one switch per transformation,
 * never in these records, so that adding a primitive makes javac list every place to update.
 *
 * <p>Activations, losses, softmax, pooling and normalisation are compositions of these, built in the DSL.
 */
public sealed interface Op {

    /** A short name for dumps and error messages. */
    default String name() { return getClass().getSimpleName(); }

    // ---- sources ----------------------------------------------------------------------------------------------

    /** What a leaf stands for; all leaves are placeholders whose values are bound when a graph runs. */
    enum Role { INPUT, PARAMETER, STATE }

    /** A placeholder for data supplied at run time: an input, a parameter or optimizer state. {@code id} makes each leaf unique. */
    record Leaf(Role role, String label, long id, Shape shape, DType dtype) implements Op {}

    /** A scalar constant; broadcast with {@link Expand}. */
    record Constant(double value, DType dtype) implements Op {}

    /**
     * Uniform [0, 1) float32 values, a pure function of the seed (its one input, an int64 scalar), {@code salt} and
     * the element index, so every backend draws the same numbers. {@code salt} tells apart two draws from one seed.
     */
    record RandomUniform(Shape shape, long salt) implements Op {}

    record Cast(DType to) implements Op {}

    // ---- elementwise ------------------------------------------------------------------------------------------

    /** RELU is a primitive for speed (a branch-free max, where a select would branch) and for PyTorch's relu(NaN) = NaN. */
    enum UnaryFn { NEG, RECIPROCAL, EXP, LOG, SQRT, ABS, SIGN, TANH, SIGMOID, RELU }

    record Unary(UnaryFn fn) implements Op {
        @Override public String name() { return fn.name().toLowerCase(); }
    }

    /** Comparisons ({@code LT}, {@code EQ}) produce bool; the rest keep their inputs' dtype. Inputs have equal shapes. */
    enum BinaryFn {
        ADD, SUB, MUL, DIV, MAX, MIN, POW, LT, EQ;

        public boolean isComparison() { return this == LT || this == EQ; }
    }

    record Binary(BinaryFn fn) implements Op {
        @Override public String name() { return fn.name().toLowerCase(); }
    }

    /** {@code where(cond, a, b)}: cond is bool; a and b share cond's shape and one dtype. */
    record Where() implements Op {
        @Override public String name() { return "where"; }
    }

    // ---- reductions -------------------------------------------------------------------------------------------

    enum ReduceFn { SUM, MAX }

    /** Reduces over {@code axes} (sorted, distinct); with {@code keepDims} reduced axes stay as size 1. */
    record Reduce(ReduceFn fn, List<Integer> axes, boolean keepDims) implements Op {
        public Reduce { axes = List.copyOf(axes); }

        @Override public String name() { return "reduce_" + fn.name().toLowerCase(); }
    }

    // ---- movement (views: index arithmetic, no data) ----------------------------------------------------------

    record Reshape(Shape shape) implements Op {}

    /** Output axis {@code i} is input axis {@code order.get(i)}. */
    record Permute(List<Integer> order) implements Op {
        public Permute { order = List.copyOf(order); }
    }

    /** Broadcasts size-1 axes to the target shape (same rank). */
    record Expand(Shape shape) implements Op {}

    /**
     * Per axis, elements {@code start, start+step, ...} up to but excluding {@code stop}. Indices are absolute
     * (no wrap-around); a negative step walks backwards, so {@code (n-1, -1, -1)} reverses an axis.
     */
    record Slice(List<Integer> start, List<Integer> stop, List<Integer> step) implements Op {
        public Slice {
            start = List.copyOf(start);
            stop = List.copyOf(stop);
            step = List.copyOf(step);
        }
    }

    /** Adds {@code before}/{@code after} elements of {@code value} per axis (non-negative amounts). */
    record Pad(List<Integer> before, List<Integer> after, double value) implements Op {
        public Pad {
            before = List.copyOf(before);
            after = List.copyOf(after);
        }
    }

    // ---- contractions -----------------------------------------------------------------------------------------

    /** {@code [..., m, k] @ [..., k, n]} with equal batch dimensions. */
    record MatMul() implements Op {
        @Override public String name() { return "matmul"; }
    }

    /**
     * 2-D cross-correlation: input {@code [N, C, H, W]}, weight {@code [O, C, KH, KW]}, output {@code [N, O, OH, OW]}
     * with {@code OH = (H + 2·padH − dilationH·(KH−1) − 1) / strideH + 1}. Bias is an ordinary add (fused later).
     */
    record Conv2d(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW) implements Op {
        @Override public String name() { return "conv2d"; }
    }
}
