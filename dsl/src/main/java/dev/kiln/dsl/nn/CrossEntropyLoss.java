package dev.kiln.dsl.nn;

import dev.kiln.dsl.F;
import dev.kiln.dsl.Tensor;

/** Cross-entropy of logits {@code [N, C]} against int64 class indices {@code [N]}; reduction "mean" (default), "sum" or "none". */
public class CrossEntropyLoss extends Module {
    private final String reduction;

    public CrossEntropyLoss() { this("mean"); }

    public CrossEntropyLoss(String reduction) { this.reduction = Loss.checkReduction(reduction); }

    @Override public Tensor forward(Tensor input, Tensor target) { return F.crossEntropy(input, target, reduction); }
}
