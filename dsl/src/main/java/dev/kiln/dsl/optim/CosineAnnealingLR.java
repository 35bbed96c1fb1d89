package dev.kiln.dsl.optim;

/** Anneals the learning rate from its initial value to {@code etaMin} along half a cosine over {@code tMax} epochs. */
public final class CosineAnnealingLR extends LRScheduler {
    private final int tMax;
    private final double etaMin;

    public CosineAnnealingLR(Optimizer optimizer, int tMax) { this(optimizer, tMax, 0); }

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        super(optimizer);
        if (tMax <= 0) throw new IllegalArgumentException("T_max must be positive, got " + tMax);
        this.tMax = tMax;
        this.etaMin = etaMin;
    }

    /** PyTorch's closed form: η_min + (η_base − η_min)·(1 + cos(π·epoch/T_max))/2. */
    @Override protected double lr(double baseLr, int epoch) {
        return etaMin + (baseLr - etaMin) * (1 + Math.cos(Math.PI * epoch / tMax)) / 2;
    }
}
