package dev.kiln.dsl.nn;

import dev.kiln.dsl.Autograd;
import dev.kiln.dsl.Generator;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;

import java.util.function.DoubleSupplier;

/**
 * Parameter initialisation ({@code torch.nn.init}), in place and without recording gradients, drawing from the
 * default generator ({@link Kiln#manualSeed}). Each returns the tensor it filled.
 */
public final class Init {
    private Init() {}

    public static Tensor uniform_(Tensor t, double a, double b) {
        Generator g = Kiln.defaultGenerator();
        return fill(t, () -> a + (b - a) * g.nextUniform());
    }

    public static Tensor normal_(Tensor t, double mean, double std) {
        Generator g = Kiln.defaultGenerator();
        return fill(t, () -> mean + std * g.nextNormal());
    }

    public static Tensor constant_(Tensor t, double value) { return fill(t, () -> value); }

    public static Tensor zeros_(Tensor t) { return constant_(t, 0); }

    public static Tensor ones_(Tensor t) { return constant_(t, 1); }

    public static Tensor xavierUniform_(Tensor t) { return xavierUniform_(t, 1); }

    /** Uniform(−a, a) with a = gain·√(6 / (fan_in + fan_out)). */
    public static Tensor xavierUniform_(Tensor t, double gain) {
        double std = gain * Math.sqrt(2.0 / (fanIn(t) + fanOut(t)));
        double bound = Math.sqrt(3) * std;
        return uniform_(t, -bound, bound);
    }

    public static Tensor xavierNormal_(Tensor t) { return xavierNormal_(t, 1); }

    public static Tensor xavierNormal_(Tensor t, double gain) { return normal_(t, 0, gain * Math.sqrt(2.0 / (fanIn(t) + fanOut(t)))); }

    /** Kaiming-uniform for ReLU networks with fan_in (PyTorch's defaults: a=0, mode="fan_in", nonlinearity="leaky_relu"). */
    public static Tensor kaimingUniform_(Tensor t) { return kaimingUniform_(t, 0, "fan_in", "leaky_relu"); }

    public static Tensor kaimingUniform_(Tensor t, double a, String mode, String nonlinearity) {
        double bound = Math.sqrt(3) * calculateGain(nonlinearity, a) / Math.sqrt(fan(t, mode));
        return uniform_(t, -bound, bound);
    }

    public static Tensor kaimingNormal_(Tensor t) { return kaimingNormal_(t, 0, "fan_in", "leaky_relu"); }

    public static Tensor kaimingNormal_(Tensor t, double a, String mode, String nonlinearity) {
        return normal_(t, 0, calculateGain(nonlinearity, a) / Math.sqrt(fan(t, mode)));
    }

    /** The recommended gain for a nonlinearity ({@code torch.nn.init.calculate_gain}). */
    public static double calculateGain(String nonlinearity, double param) {
        return switch (nonlinearity) {
            case "linear", "conv1d", "conv2d", "conv3d", "sigmoid" -> 1;
            case "tanh" -> 5.0 / 3;
            case "relu" -> Math.sqrt(2);
            case "leaky_relu" -> Math.sqrt(2 / (1 + param * param));
            case "selu" -> 3.0 / 4;
            default -> throw new IllegalArgumentException("Unsupported nonlinearity " + nonlinearity
                    + "; supported: linear, conv1d, conv2d, conv3d, sigmoid, tanh, relu, leaky_relu, selu");
        };
    }

    /** PyTorch's layer default: weight Kaiming-uniform with a=√5 (bound 1/√fan_in), bias uniform(±1/√fan_in). */
    static void defaultInit(Tensor weight, Tensor bias) {
        kaimingUniform_(weight, Math.sqrt(5), "fan_in", "leaky_relu");
        if (bias != null) {
            double bound = 1 / Math.sqrt(fanIn(weight));
            uniform_(bias, -bound, bound);
        }
    }

    static int fanIn(Tensor t) {
        requireMatrix(t);
        return t.size(1) * receptiveField(t);
    }

    static int fanOut(Tensor t) {
        requireMatrix(t);
        return t.size(0) * receptiveField(t);
    }

    private static int fan(Tensor t, String mode) {
        return switch (mode) {
            case "fan_in" -> fanIn(t);
            case "fan_out" -> fanOut(t);
            default -> throw new IllegalArgumentException("Mode " + mode + " not supported, please use one of fan_in, fan_out");
        };
    }

    private static int receptiveField(Tensor t) {
        int r = 1;
        for (int i = 2; i < t.dim(); i++) r *= t.size(i);
        return r;
    }

    private static void requireMatrix(Tensor t) {
        if (t.dim() < 2) {
            throw new IllegalArgumentException("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (got " + t.shape() + ")");
        }
    }

    private static Tensor fill(Tensor t, DoubleSupplier value) {
        double[] v = new double[t.numel()];
        for (int i = 0; i < v.length; i++) v[i] = value.getAsDouble();
        Tensor data = Kiln.tensor(v, t.shape().toArray(), t.dtype());
        Autograd.noGrad(() -> t.copy_(data));
        return t;
    }
}
