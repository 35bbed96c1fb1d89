package dev.kiln.ir.kernel;

import dev.kiln.ir.DType;
import dev.kiln.ir.Op;

import java.util.List;

/**
 * The scalar computation inside a kernel, evaluated once per point of the kernel's loop nest: loads from buffers
 * at index expressions, constants and elementwise math. Records with structural equality, so a renderer can
 * compute each distinct subexpression once.
 */
public sealed interface Expr extends java.io.Serializable {
    DType dtype();

    /** Element {@code index} of buffer {@code buffer}. */
    record Load(int buffer, Ix index, DType dtype) implements Expr {}

    record Const(double value, DType dtype) implements Expr {}

    record Unary(Op.UnaryFn fn, Expr x, DType dtype) implements Expr {}

    record Binary(Op.BinaryFn fn, Expr a, Expr b, DType dtype) implements Expr {}

    record Where(Expr cond, Expr a, Expr b, DType dtype) implements Expr {}

    record Cast(Expr x, DType dtype) implements Expr {}

    /** {@code x} where every bound holds, else {@code fill}; {@code x} must not be evaluated outside (its loads may be out of range). */
    record Masked(List<Bound> bounds, Expr x, double fill, DType dtype) implements Expr {
        public Masked { bounds = List.copyOf(bounds); }
    }

    /** {@code lo ≤ index ≤ hi}. */
    record Bound(Ix index, long lo, long hi) implements java.io.Serializable {}

    /** {@link dev.kiln.ir.Rng#uniform} of (seed, salt, element): float32 in [0, 1). */
    record Random(Expr seed, long salt, Ix element) implements Expr {
        @Override public DType dtype() { return DType.F32; }
    }

    /** The value a reduction or contraction accumulated, for its epilogue. */
    record Acc(DType dtype) implements Expr {}
}
