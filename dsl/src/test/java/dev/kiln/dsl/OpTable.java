package dev.kiln.dsl;

import dev.kiln.ir.DType;

import java.util.List;
import java.util.function.Function;

/**
 * The one table of op cases. Each row is a computation through the Tensor API over some inputs; rows named after a
 * golden fixture are compared with PyTorch, and every row is gradient-checked with float64 finite differences.
 * Rows without fixtures exist to reach every primitive (see {@code PrimitiveCoverageTest}).
 */
final class OpTable {
    /** How an input is drawn for gradient checks: standard normal, positive (0.5..1.5), or class labels below {@code classes}. */
    record Input(int[] shape, Domain domain, int classes) {
        static Input normal(int... shape) { return new Input(shape, Domain.NORMAL, 0); }

        static Input positive(int... shape) { return new Input(shape, Domain.POSITIVE, 0); }

        static Input labels(int classes, int... shape) { return new Input(shape, Domain.LABELS, classes); }

        boolean differentiable() { return domain != Domain.LABELS; }
    }

    enum Domain { NORMAL, POSITIVE, LABELS }

    /** A row: {@code fixture} is the golden file's name or null; {@code step} is the finite-difference step. */
    record Case(String name, String fixture, Function<List<Tensor>, Tensor> fn, List<Input> inputs, double step) {
        @Override public String toString() { return name; }
    }

    static final List<Case> CASES = List.of(
            golden("relu", x -> x.get(0).relu(), Input.normal(3, 4)),
            golden("sigmoid", x -> x.get(0).sigmoid(), Input.normal(3, 4)),
            golden("tanh", x -> x.get(0).tanh(), Input.normal(3, 4)),
            golden("exp", x -> x.get(0).exp(), Input.normal(3, 4)),
            golden("log", x -> x.get(0).log(), Input.positive(3, 4)),
            golden("sqrt", x -> x.get(0).sqrt(), Input.positive(3, 4)),
            golden("abs", x -> x.get(0).abs(), Input.normal(3, 4)),
            golden("neg", x -> x.get(0).neg(), Input.normal(3, 4)),
            golden("pow3", x -> x.get(0).pow(3), Input.normal(3, 4)),
            golden("clamp_min0", x -> x.get(0).clampMin(0), Input.normal(3, 4)),
            golden("clamp_range", x -> x.get(0).clamp(-0.5, 0.5), Input.normal(3, 4)),
            golden("add_broadcast", x -> x.get(0).add(x.get(1)), Input.normal(3, 4), Input.normal(4)),
            golden("sub_broadcast", x -> x.get(0).sub(x.get(1)), Input.normal(2, 3, 4), Input.normal(3, 1)),
            golden("mul_broadcast", x -> x.get(0).mul(x.get(1)), Input.normal(2, 3, 4), Input.normal(1, 4)),
            golden("div", x -> x.get(0).div(x.get(1)), Input.normal(3, 4), Input.positive(3, 4)),
            golden("maximum", x -> x.get(0).maximum(x.get(1)), Input.normal(3, 4), Input.normal(3, 4)),
            golden("sum_all", x -> x.get(0).sum(), Input.normal(3, 4)),
            golden("sum_dim1", x -> x.get(0).sum(1), Input.normal(3, 4, 5)),
            golden("sum_dims02_keep", x -> x.get(0).sum(new int[] {0, 2}, true), Input.normal(3, 4, 5)),
            golden("mean_all", x -> x.get(0).mean(), Input.normal(3, 4)),
            golden("mean_last", x -> x.get(0).mean(-1), Input.normal(3, 4, 5)),
            golden("amax_dim1", x -> x.get(0).amax(1), Input.normal(3, 6)),
            golden("matmul", x -> x.get(0).matmul(x.get(1)), Input.normal(5, 7), Input.normal(7, 3)),
            golden("bmm", x -> x.get(0).matmul(x.get(1)), Input.normal(2, 5, 7), Input.normal(2, 7, 3)),
            golden("linear", x -> F.linear(x.get(0), x.get(1), x.get(2)), Input.normal(4, 6), Input.normal(3, 6), Input.normal(3)),
            golden("reshape", x -> x.get(0).reshape(6, 4), Input.normal(2, 3, 4)),
            golden("permute", x -> x.get(0).permute(2, 0, 1), Input.normal(2, 3, 4)),
            golden("transpose", x -> x.get(0).t(), Input.normal(3, 5)),
            golden("flatten1", x -> x.get(0).flatten(1), Input.normal(2, 3, 4, 5)),
            golden("unsqueeze0", x -> x.get(0).unsqueeze(0), Input.normal(3, 4)),
            golden("softmax_last", x -> x.get(0).softmax(-1), Input.normal(4, 10)),
            golden("log_softmax_dim1", x -> x.get(0).logSoftmax(1), Input.normal(4, 10)),
            golden("cross_entropy", x -> F.crossEntropy(x.get(0), x.get(1)), Input.normal(6, 10), Input.labels(10, 6)),
            golden("mse_loss", x -> F.mseLoss(x.get(0), x.get(1)), Input.normal(6, 10), Input.normal(6, 10)),
            golden("conv2d_s1p0", x -> F.conv2d(x.get(0), x.get(1), x.get(2), 1, 0), Input.normal(2, 3, 9, 9), Input.normal(4, 3, 3, 3), Input.normal(4)),
            golden("conv2d_s2p1", x -> F.conv2d(x.get(0), x.get(1), x.get(2), 2, 1), Input.normal(2, 3, 9, 9), Input.normal(4, 3, 3, 3), Input.normal(4)),
            golden("max_pool2d_k2", x -> F.maxPool2d(x.get(0), 2), Input.normal(2, 3, 8, 8)),
            golden("max_pool2d_k3s2", x -> F.maxPool2d(x.get(0), 3, 2), Input.normal(2, 3, 9, 9)),
            golden("batch_norm1d_train", x -> F.batchNorm(x.get(0), null, null, x.get(1), x.get(2), true, 0.1, 1e-5),
                    Input.normal(8, 5), Input.normal(5), Input.normal(5)),

            // rows without fixtures: the remaining primitives and composites
            row("reciprocal", x -> x.get(0).reciprocal(), Input.positive(3, 4)),
            row("sign", x -> x.get(0).sign().mul(x.get(0)), Input.normal(3, 4)),
            row("minimum", x -> x.get(0).minimum(x.get(1)), Input.normal(3, 4), Input.normal(3, 4)),
            row("pow_tensor", x -> x.get(0).pow(x.get(1)), Input.positive(3, 4), Input.normal(3, 4)),
            row("where", x -> Kiln.where(x.get(0).gt(x.get(1)), x.get(0).mul(2), x.get(1).exp()), Input.normal(3, 4), Input.normal(3, 4)),
            row("cast_bool_mask", x -> x.get(0).mul(x.get(0).gt(0).to(x.get(0).dtype())), Input.normal(3, 4)),
            new Case("cast_float32", null, x -> x.get(0).to(DType.F32).mul(x.get(0).to(DType.F32)).to(x.get(0).dtype()),
                    List.of(Input.normal(3, 4)), 1e-2),
            row("max_all", x -> x.get(0).max(), Input.normal(3, 4)),
            row("expand", x -> x.get(0).expand(2, 3, 4), Input.normal(3, 1)),
            row("slice_step", x -> x.get(0).slice(1, 1, 7, 2), Input.normal(3, 8)),
            row("select", x -> x.get(0).get(1), Input.normal(3, 4)),
            row("flip", x -> x.get(0).flip(0, 2), Input.normal(2, 3, 4)),
            row("cat", x -> Kiln.cat(List.of(x.get(0), x.get(1)), 1), Input.normal(2, 3), Input.normal(2, 5)),
            row("matvec", x -> x.get(0).matmul(x.get(1)), Input.normal(4, 5), Input.normal(5)),
            row("matmul_broadcast", x -> x.get(0).matmul(x.get(1)), Input.normal(2, 1, 3, 4), Input.normal(5, 4, 2)),
            row("avg_pool2d", x -> F.avgPool2d(x.get(0), 2), Input.normal(1, 2, 6, 6)),
            row("max_pool2d_pad", x -> F.maxPool2d(x.get(0), 3, 2, 1), Input.normal(1, 2, 7, 7)),
            row("batch_norm2d_train", x -> F.batchNorm(x.get(0), null, null, x.get(1), x.get(2), true, 0.1, 1e-5),
                    Input.normal(4, 3, 2, 2), Input.normal(3), Input.normal(3)),
            row("dropout", x -> F.dropout(x.get(0), 0.3, true), Input.normal(4, 8)),
            row("nll_sum", x -> F.nllLoss(x.get(0).logSoftmax(1), x.get(1), "sum"), Input.normal(5, 4), Input.labels(4, 5)),
            row("conv2d_no_bias_s3", x -> F.conv2d(x.get(0), x.get(1), null, 3, 2), Input.normal(1, 2, 10, 11), Input.normal(3, 2, 4, 3)),
            // second order: the conv gradients are convolutions of flipped, dilated and cropped views; differentiate them again
            row("conv2d_input_grad", x -> {
                Tensor gy = Kiln.ones(1, 2, 4, 4).to(x.get(0).dtype()).mul(x.get(2));
                return Autograd.grad(List.of(F.conv2d(x.get(0), x.get(1), null, 2, 1)), List.of(x.get(0)), List.of(gy), true).get(0);
            }, Input.normal(1, 3, 8, 8), Input.normal(2, 3, 3, 3), Input.normal(4)),
            row("conv2d_weight_grad", x -> {
                Tensor gy = Kiln.ones(1, 2, 4, 4).to(x.get(0).dtype()).mul(x.get(2));
                return Autograd.grad(List.of(F.conv2d(x.get(0), x.get(1), null, 2, 1)), List.of(x.get(1)), List.of(gy), true).get(0);
            }, Input.normal(1, 3, 8, 8), Input.normal(2, 3, 3, 3), Input.normal(4)),
            row("tanh_second_order", x -> Autograd.grad(List.of(x.get(0).tanh().sum()), List.of(x.get(0)), null, true).get(0), Input.normal(3, 4)));

    private OpTable() {}

    private static Case golden(String name, Function<List<Tensor>, Tensor> fn, Input... inputs) {
        return new Case(name, "op_" + name, fn, List.of(inputs), 1e-6);
    }

    private static Case row(String name, Function<List<Tensor>, Tensor> fn, Input... inputs) {
        return new Case(name, null, fn, List.of(inputs), 1e-6);
    }

    static Case byFixture(String fixture) {
        return CASES.stream().filter(c -> fixture.equals(c.fixture())).findFirst()
                .orElseThrow(() -> new AssertionError("no op-table row for fixture " + fixture));
    }
}
