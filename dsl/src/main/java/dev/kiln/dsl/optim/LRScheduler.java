package dev.kiln.dsl.optim;

import java.util.ArrayList;
import java.util.List;

/**
 * Changes the learning rate of every parameter group once per {@link #step()} (PyTorch's {@code lr_scheduler}):
 * call it after each epoch's optimizer steps.
 */
public abstract class LRScheduler {
    protected final Optimizer optimizer;
    private final List<Double> baseLrs = new ArrayList<>();
    private int lastEpoch;

    protected LRScheduler(Optimizer optimizer) {
        this.optimizer = optimizer;
        for (ParamGroup g : optimizer.paramGroups()) baseLrs.add(g.getLr());
    }

    /** Advances one epoch and sets each group's learning rate. */
    public void step() {
        lastEpoch++;
        for (int i = 0; i < baseLrs.size(); i++) optimizer.paramGroups().get(i).setLr(lr(baseLrs.get(i), lastEpoch));
    }

    /** The learning rates just set ({@code get_last_lr()}). */
    public List<Double> getLastLr() {
        List<Double> lrs = new ArrayList<>();
        for (ParamGroup g : optimizer.paramGroups()) lrs.add(g.getLr());
        return lrs;
    }

    public int lastEpoch() { return lastEpoch; }

    /** The learning rate at {@code epoch} for a group that started at {@code baseLr}. */
    protected abstract double lr(double baseLr, int epoch);
}
