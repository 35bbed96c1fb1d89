package dev.kiln.dsl.nn;

import dev.kiln.dsl.F;
import dev.kiln.dsl.Tensor;

/** Mean squared error between input and target; reduction "mean" (default), "sum" or "none". */
public class MSELoss extends Module {
    private final String reduction;

    public MSELoss() { this("mean"); }

    public MSELoss(String reduction) { this.reduction = Loss.checkReduction(reduction); }

    @Override public Tensor forward(Tensor input, Tensor target) { return F.mseLoss(input, target, reduction); }
}
