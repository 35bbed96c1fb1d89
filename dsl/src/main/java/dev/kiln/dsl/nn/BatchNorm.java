package dev.kiln.dsl.nn;

import dev.kiln.dsl.Autograd;
import dev.kiln.dsl.F;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ShapeException;

/**
 * Batch normalisation over channel {@code 1} ({@code BatchNorm1d}/{@code BatchNorm2d}): batch statistics in training
 * (updating the running mean and unbiased variance with {@code momentum}), running statistics in eval mode.
 */
public abstract class BatchNorm extends Module {
    private final int numFeatures;
    private final double eps, momentum;
    private final boolean trackRunningStats;
    public final Parameter weight;
    public final Parameter bias;
    private final Tensor runningMean, runningVar, numBatchesTracked;

    protected BatchNorm(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.trackRunningStats = trackRunningStats;
        this.weight = affine ? new Parameter(Kiln.ones(numFeatures)) : null;
        this.bias = affine ? new Parameter(Kiln.zeros(numFeatures)) : null;
        if (trackRunningStats) {
            runningMean = registerBuffer("running_mean", Kiln.zeros(numFeatures));
            runningVar = registerBuffer("running_var", Kiln.ones(numFeatures));
            numBatchesTracked = registerBuffer("num_batches_tracked", Kiln.scalarTensor(0, DType.I64));
        } else {
            runningMean = runningVar = numBatchesTracked = null;
        }
    }

    /** The input ranks this variant accepts. */
    protected abstract boolean acceptsRank(int rank);

    protected abstract String expectedInput();

    @Override public Tensor forward(Tensor input) {
        if (!acceptsRank(input.dim())) throw ShapeException.inScope("expected " + expectedInput() + " (got " + input.dim() + "D input " + input.shape() + ")");
        if (input.size(1) != numFeatures) {
            throw ShapeException.inScope("expected " + numFeatures + " channels on dimension 1, got input " + input.shape());
        }
        boolean batchStats = isTraining() || !trackRunningStats;
        if (isTraining() && trackRunningStats) Autograd.noGrad(() -> numBatchesTracked.add_(1));
        Tensor mean = trackRunningStats && (isTraining() || !batchStats) ? runningMean : null;
        Tensor var = mean == null ? null : runningVar;
        return F.batchNorm(input, mean, var, weight, bias, batchStats, momentum, eps);
    }

    @Override public String extraRepr() {
        return numFeatures + ", eps=" + Repr.pyFloat(eps) + ", momentum=" + Repr.pyFloat(momentum) + ", affine=" + (weight != null ? "True" : "False")
                + ", track_running_stats=" + (trackRunningStats ? "True" : "False");
    }

}
