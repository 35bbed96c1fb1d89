package dev.kiln.dsl.nn;

/** Batch normalisation of {@code [N, C, H, W]} inputs, per channel. */
public class BatchNorm2d extends BatchNorm {
    public BatchNorm2d(int numFeatures) { this(numFeatures, 1e-5, 0.1, true, true); }

    public BatchNorm2d(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    @Override protected boolean acceptsRank(int rank) { return rank == 4; }

    @Override protected String expectedInput() { return "4D input"; }
}
