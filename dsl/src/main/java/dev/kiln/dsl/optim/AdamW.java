package dev.kiln.dsl.optim;

import dev.kiln.dsl.nn.Parameter;

import java.util.List;

/** Adam with decoupled weight decay ({@code p ← p·(1 − lr·wd)} before the Adam step); default weight_decay 0.01. */
public final class AdamW extends Adam {
    public AdamW(List<Parameter> params, double lr) { this(params, lr, 0.9, 0.999, 1e-8, 0.01, false); }

    public AdamW(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay, boolean amsgrad) {
        super(params, lr, beta1, beta2, eps, weightDecay, amsgrad, true);
    }
}
