package dev.kiln.dsl;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.ShapeException;

import java.util.List;
import java.util.function.Supplier;

/**
 * The functional forms of layers and losses ({@code torch.nn.functional}). Each is a composition of primitives
 * presented to autograd as one op with PyTorch's grad_fn name.
 */
public final class F {
    /** Every dropout draws its own seed from the generator, so one salt serves all: the same manual seed gives the same mask. */
    private static final long DROPOUT_SALT = 0;

    private F() {}

    public static Tensor relu(Tensor x) { return x.relu(); }

    public static Tensor sigmoid(Tensor x) { return x.sigmoid(); }

    public static Tensor tanh(Tensor x) { return x.tanh(); }

    public static Tensor softmax(Tensor x, int dim) { return x.softmax(dim); }

    public static Tensor logSoftmax(Tensor x, int dim) { return x.logSoftmax(dim); }

    public static Tensor flatten(Tensor x, int startDim) { return x.flatten(startDim); }

    /** {@code x @ weight.T + bias}; bias may be null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        if (x.size(-1) != weight.size(-1)) {
            throw ShapeException.inScope("linear: input " + x.shape() + " has " + x.size(-1) + " features but weight "
                    + weight.shape() + " expects " + weight.size(-1));
        }
        if (bias == null) return composite("MmBackward0", () -> x.matmul(weight.t()), x, weight);
        return composite("AddmmBackward0", () -> x.matmul(weight.t()).add(bias), x, weight, bias);
    }

    /** 2-D convolution of {@code [N, C, H, W]} (or unbatched {@code [C, H, W]}) with {@code [O, C, KH, KW]}; bias may be null. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
        return conv2d(x, weight, bias, new int[] {stride, stride}, new int[] {padding, padding});
    }

    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding) {
        if (x.dim() == 3) return conv2d(x.unsqueeze(0), weight, bias, stride, padding).squeeze(0);
        if (x.dim() != 4) throw ShapeException.inScope("conv2d: expected a 3-D or 4-D input, got " + x.shape());
        Tensor[] inputs = bias == null ? new Tensor[] {x, weight} : new Tensor[] {x, weight, bias};
        return composite("ConvolutionBackward0", () -> {
            DType t = Tensor.promote(x, weight);
            Node y = Ops.conv2d(Ops.cast(x.node(), t), Ops.cast(weight.node(), t), stride[0], stride[1], padding[0], padding[1], 1, 1);
            Tensor out = Tensor.derive(y, "ConvolutionBackward0", x, weight);
            return bias == null ? out : out.add(bias.reshape(1, -1, 1, 1));
        }, inputs);
    }

    /** Max over {@code kernel×kernel} windows; the stride defaults to the kernel size. */
    public static Tensor maxPool2d(Tensor x, int kernel) { return maxPool2d(x, kernel, kernel, 0); }

    public static Tensor maxPool2d(Tensor x, int kernel, int stride) { return maxPool2d(x, kernel, stride, 0); }

    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        return composite("MaxPool2DWithIndicesBackward0",
                () -> pool(x, kernel, stride, padding, Double.NEGATIVE_INFINITY, Ops::max, dev.kiln.ir.Op.ReduceFn.MAX), x);
    }

    /** Mean over {@code kernel×kernel} windows, padding counted as zeros (PyTorch's default count_include_pad). */
    public static Tensor avgPool2d(Tensor x, int kernel) { return avgPool2d(x, kernel, kernel, 0); }

    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        return composite("AvgPool2DBackward0", () -> {
            Tensor sum = pool(x, kernel, stride, padding, 0, Ops::add, dev.kiln.ir.Op.ReduceFn.SUM);
            return sum.div(kernel * kernel);
        }, x);
    }

    /**
     * Folds every window. Non-overlapping windows (stride = kernel) are a reshape to [N, C, OH, k, OW, k] and one
     * reduction over the two window axes; overlapping ones combine the k² strided views with {@code combine}. Both
     * are movement ops feeding one kernel.
     */
    private static Tensor pool(Tensor x, int kernel, int stride, int padding, double padValue,
                               java.util.function.BinaryOperator<Node> combine, dev.kiln.ir.Op.ReduceFn fold) {
        if (x.dim() != 4) throw ShapeException.inScope("pool2d: expected a 4-D input [N, C, H, W], got " + x.shape());
        if (padding * 2 > kernel) throw new IllegalArgumentException("pad should be at most half of kernel size, but got pad=" + padding + " and kernel_size=" + kernel);
        Node in = Ops.pad(x.node(), List.of(0, 0, padding, padding), List.of(0, 0, padding, padding), padValue);
        int h = in.shape().dim(2), w = in.shape().dim(3);
        int oh = (h - kernel) / stride + 1, ow = (w - kernel) / stride + 1;
        if (oh <= 0 || ow <= 0) {
            throw ShapeException.inScope("pool2d: kernel " + kernel + " is larger than the padded input " + h + "x" + w + " of " + x.shape());
        }
        if (stride == kernel) {
            int n = in.shape().dim(0), c = in.shape().dim(1);
            Node cropped = Ops.slice(in, List.of(0, 0, 0, 0), List.of(n, c, oh * kernel, ow * kernel), List.of(1, 1, 1, 1));
            Node windows = Ops.reshape(cropped, dev.kiln.ir.Shape.of(n, c, oh, kernel, ow, kernel));
            return Tensor.derive(Ops.reduce(fold, windows, List.of(3, 5), false), "Pool2D", x);
        }
        Node acc = null;
        for (int i = 0; i < kernel; i++) {
            for (int j = 0; j < kernel; j++) {
                Node window = Ops.slice(in, List.of(0, 0, i, j),
                        List.of(in.shape().dim(0), in.shape().dim(1), i + (oh - 1) * stride + 1, j + (ow - 1) * stride + 1),
                        List.of(1, 1, stride, stride));
                acc = acc == null ? window : combine.apply(acc, window);
            }
        }
        return Tensor.derive(acc, "Pool2D", x);
    }

    /**
     * Batch normalisation over the batch (and spatial) axes. In training it uses the batch's statistics (biased
     * variance) and, when running statistics are given, updates them in place with the unbiased variance.
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, double momentum, double eps) {
        if (x.dim() < 2) throw ShapeException.inScope("batch_norm: expected at least 2-D input, got " + x.shape());
        int[] axes = x.dim() == 2 ? new int[] {0} : x.dim() == 3 ? new int[] {0, 2} : new int[] {0, 2, 3};
        int[] statShape = new int[x.dim()];
        java.util.Arrays.fill(statShape, 1);
        statShape[1] = x.size(1);
        int count = x.numel() / x.size(1);
        Tensor[] inputs = weight == null ? new Tensor[] {x} : new Tensor[] {x, weight, bias};
        Tensor mean, var;
        if (training) {
            if (count <= 1) throw ShapeException.inScope("Expected more than 1 value per channel when training, got input size " + x.shape());
            mean = x.mean(axes, true);
            var = x.sub(mean).pow(2).mean(axes, true);
            if (runningMean != null) {
                Tensor batchMean = mean, batchVar = var;
                Autograd.noGrad(() -> {
                    runningMean.mul_(1 - momentum).add_(batchMean.reshape(-1).mul(momentum));
                    runningVar.mul_(1 - momentum).add_(batchVar.reshape(-1).mul(momentum * count / (count - 1.0)));
                });
            }
        } else {
            if (runningMean == null) throw new IllegalArgumentException("batch_norm in eval mode needs running statistics");
            mean = runningMean.reshape(statShape);
            var = runningVar.reshape(statShape);
        }
        Tensor m = mean, v = var;
        return composite("NativeBatchNormBackward0", () -> {
            Tensor y = x.sub(m).div(v.add(eps).sqrt());
            return weight == null ? y : y.mul(weight.reshape(statShape)).add(bias.reshape(statShape));
        }, inputs);
    }

    /** Zeroes each element with probability {@code p} in training and scales the rest by 1/(1-p). */
    public static Tensor dropout(Tensor x, double p, boolean training) {
        if (p < 0 || p > 1) throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        if (!training || p == 0) return x;
        if (p == 1) return x.mul(0);
        Tensor seed = Kiln.scalarTensor(Kiln.defaultGenerator().nextLong(), DType.I64);
        return composite("MulBackward0", () -> {
            Node u = Node.of(new Op.RandomUniform(x.node().shape(), DROPOUT_SALT), seed.node());
            Node keep = Ops.cast(Ops.lt(Ops.scalar(p, DType.F32), u), x.dtype());
            return x.mul(Tensor.untracked(Ops.mul(keep, 1 / (1 - p)), x.device()));
        }, x);
    }

    // ---- losses -------------------------------------------------------------------------------------------------

    /** Cross-entropy of logits {@code [N, C]} against int64 class indices {@code [N]}; reduction "mean" (default), "sum" or "none". */
    public static Tensor crossEntropy(Tensor logits, Tensor target) { return crossEntropy(logits, target, "mean"); }

    public static Tensor crossEntropy(Tensor logits, Tensor target, String reduction) {
        return composite("NllLossBackward0", () -> nllLoss(logits.logSoftmax(1), target, reduction), logits);
    }

    /** Negative log-likelihood of log-probabilities {@code [N, C]} at int64 class indices {@code [N]}. */
    public static Tensor nllLoss(Tensor logProbs, Tensor target) { return nllLoss(logProbs, target, "mean"); }

    public static Tensor nllLoss(Tensor logProbs, Tensor target, String reduction) {
        if (logProbs.dim() != 2 || target.dim() != 1 || target.size(0) != logProbs.size(0)) {
            throw ShapeException.inScope("nll_loss: expected input [N, C] and target [N], got " + logProbs.shape() + " and " + target.shape());
        }
        if (target.dtype() != DType.I64 && target.dtype() != DType.I32) {
            throw new IllegalArgumentException("nll_loss: target must hold class indices (int64), got " + target.dtype().torchName());
        }
        return composite("NllLossBackward0", () -> {
            Tensor classes = Kiln.arange(logProbs.size(1)).moved(target.device());
            Tensor oneHot = target.unsqueeze(1).eq(classes.unsqueeze(0)).to(logProbs.dtype());
            return reduce(logProbs.mul(oneHot).sum(1).neg(), reduction);
        }, logProbs);
    }

    /** Mean squared error; reduction "mean" (default), "sum" or "none". */
    public static Tensor mseLoss(Tensor input, Tensor target) { return mseLoss(input, target, "mean"); }

    public static Tensor mseLoss(Tensor input, Tensor target, String reduction) {
        if (!input.shape().equals(target.shape())) {
            throw ShapeException.inScope("mse_loss: input " + input.shape() + " and target " + target.shape() + " differ in shape");
        }
        return composite("MseLossBackward0", () -> reduce(input.sub(target).pow(2), reduction), input, target);
    }

    private static Tensor reduce(Tensor losses, String reduction) {
        return switch (reduction) {
            case "mean" -> losses.mean();
            case "sum" -> losses.sum();
            case "none" -> losses;
            default -> throw new IllegalArgumentException("reduction must be \"mean\", \"sum\" or \"none\", got \"" + reduction + "\"");
        };
    }

    /**
     * Builds {@code body} with gradient recording on (so the pieces stay one lazy graph), then presents the result
     * to autograd as a single op named {@code gradFnName} over {@code inputs}, under the caller's gradient mode.
     */
    static Tensor composite(String gradFnName, Supplier<Tensor> body, Tensor... inputs) {
        Tensor result;
        try (Autograd.Scope ignored = Autograd.setGradEnabled(true)) {
            result = body.get();
        }
        return Tensor.derive(result.node(), gradFnName, inputs);
    }
}
