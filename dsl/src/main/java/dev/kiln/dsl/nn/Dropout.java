package dev.kiln.dsl.nn;

import dev.kiln.dsl.F;
import dev.kiln.dsl.Tensor;

/** Zeroes elements with probability {@code p} in training mode (scaling the rest by 1/(1-p)); the identity in eval mode. */
public class Dropout extends Module {
    private final double p;

    public Dropout() { this(0.5); }

    public Dropout(double p) {
        if (p < 0 || p > 1) throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        this.p = p;
    }

    @Override public Tensor forward(Tensor input) { return F.dropout(input, p, isTraining()); }

    @Override public String extraRepr() { return "p=" + Repr.pyFloat(p) + ", inplace=False"; }
}
