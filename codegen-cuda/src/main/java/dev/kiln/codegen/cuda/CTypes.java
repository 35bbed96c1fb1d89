package dev.kiln.codegen.cuda;

import dev.kiln.ir.DType;

/** C types of Kiln's dtypes: values in registers (bool as int 0/1, as the JVM backend) and elements in memory. */
final class CTypes {
    private CTypes() {}

    static String value(DType t) {
        return switch (t) {
            case F32 -> "float";
            case F64 -> "double";
            case I32, BOOL -> "int";
            case I64 -> "long long";
        };
    }

    static String element(DType t) { return t == DType.BOOL ? "unsigned char" : value(t); }

    /** {@code v} as a C literal of type {@code t}, exact (hexadecimal floats), infinities and NaN included. */
    static String literal(double v, DType t) {
        return switch (t) {
            case F32 -> {
                float f = (float) v;
                if (Float.isNaN(f)) yield "((float) NAN)";
                if (Float.isInfinite(f)) yield f > 0 ? "((float) INFINITY)" : "((float) -INFINITY)";
                yield Float.toHexString(f) + "f";
            }
            case F64 -> {
                if (Double.isNaN(v)) yield "((double) NAN)";
                if (Double.isInfinite(v)) yield v > 0 ? "((double) INFINITY)" : "((double) -INFINITY)";
                yield Double.toHexString(v);
            }
            case I32 -> {
                int i = (int) (long) v;
                yield i == Integer.MIN_VALUE ? "(-2147483647 - 1)" : Integer.toString(i);
            }
            case I64 -> {
                long l = (long) v;
                yield l == Long.MIN_VALUE ? "(-9223372036854775807LL - 1)" : l + "LL";
            }
            case BOOL -> v != 0 ? "1" : "0";
        };
    }

    /** C code converting {@code x} (of {@code from}) to {@code to} with the JVM backend's cast semantics. */
    static String convert(String x, DType from, DType to) {
        if (from == to) return x;
        if (to == DType.BOOL) return "(" + x + " != 0)";
        if (from.isFloating() && to == DType.I32) return "kiln_to_i32((double) " + x + ")";
        if (from.isFloating() && to == DType.I64) return "kiln_to_i64((double) " + x + ")";
        return "((" + value(to) + ") " + x + ")";
    }
}
