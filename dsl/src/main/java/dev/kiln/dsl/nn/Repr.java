package dev.kiln.dsl.nn;

import java.math.BigDecimal;

/** Pieces of Python's repr, so module printouts read exactly like PyTorch's. */
final class Repr {
    private Repr() {}

    /** Python's repr of a float: {@code 0.1}, {@code 1.0}, {@code 0.0005}, {@code 1e-05}, {@code 2.5e-05}. */
    static String pyFloat(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e16) return (long) v + ".0";
        double a = Math.abs(v);
        if (a >= 1e-4 && a < 1e16) {
            String plain = new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
            return plain.contains(".") ? plain : plain + ".0";
        }
        String[] parts = Double.toString(v).split("E");
        String mantissa = parts[0].endsWith(".0") ? parts[0].substring(0, parts[0].length() - 2) : parts[0];
        int exponent = Integer.parseInt(parts[1]);
        return mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }
}
