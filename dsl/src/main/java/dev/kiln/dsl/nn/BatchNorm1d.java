package dev.kiln.dsl.nn;

/** Batch normalisation of {@code [N, C]} or {@code [N, C, L]} inputs. */
public class BatchNorm1d extends BatchNorm {
    public BatchNorm1d(int numFeatures) { this(numFeatures, 1e-5, 0.1, true, true); }

    public BatchNorm1d(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    @Override protected boolean acceptsRank(int rank) { return rank == 2 || rank == 3; }

    @Override protected String expectedInput() { return "2D or 3D input"; }
}
