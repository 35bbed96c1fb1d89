package dev.kiln.dsl;

import dev.kiln.runtime.Safetensors;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Comparisons of tensors with expected values, with the fixtures' tolerances. */
final class Tensors {
    private Tensors() {}

    /** Per element: |a − b| ≤ 1e-5 + 1e-4·|b| (single ops in float32). */
    static void assertClose(Safetensors.Entry expected, Tensor actual, String what) {
        assertSameShape(expected, actual, what);
        assertClose(expected.values(), actual.toDoubleArray(), 1e-5, 1e-4, what);
    }

    static void assertClose(double[] expected, double[] actual, double atol, double rtol, String what) {
        assertTrue(expected.length == actual.length, what + ": " + actual.length + " values, expected " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            if (!(err <= atol + rtol * Math.abs(expected[i]))) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]
                        + " (|diff| " + err + " > " + atol + " + " + rtol + "·|expected|)\nexpected " + summary(expected)
                        + "\nactual   " + summary(actual));
            }
        }
    }

    /** ‖a − b‖ / ‖b‖ ≤ tolerance (model cases, where rounding accumulates over many ops). */
    static void assertRelativeErrorNorm(Safetensors.Entry expected, Tensor actual, double tolerance, String what) {
        assertSameShape(expected, actual, what);
        double[] a = actual.toDoubleArray(), b = expected.values();
        double diff = 0, norm = 0;
        for (int i = 0; i < b.length; i++) {
            diff += (a[i] - b[i]) * (a[i] - b[i]);
            norm += b[i] * b[i];
        }
        double rel = Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
        assertTrue(rel <= tolerance, what + ": relative error norm " + rel + " > " + tolerance);
    }

    /** The fixtures' writer stores a 0-d tensor as shape [1] (numpy's ascontiguousarray); that alone is accepted as 0-d. */
    static void assertSameShape(Safetensors.Entry expected, Tensor actual, String what) {
        int[] e = expected.shape().dims();
        if (actual.dim() == 0 && e.length == 1 && e[0] == 1) return;
        assertArrayEquals(e, actual.shape().toArray(), what + ": shape");
    }

    private static String summary(double[] v) {
        return Arrays.toString(Arrays.copyOf(v, Math.min(v.length, 8))) + (v.length > 8 ? "..." : "");
    }
}
