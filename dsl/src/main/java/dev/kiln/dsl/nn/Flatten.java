package dev.kiln.dsl.nn;

import dev.kiln.dsl.Tensor;

/** Flattens dimensions {@code startDim..endDim} (by default all but the batch dimension). */
public class Flatten extends Module {
    private final int startDim, endDim;

    public Flatten() { this(1, -1); }

    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    @Override public Tensor forward(Tensor input) { return input.flatten(startDim, endDim); }

    @Override public String extraRepr() { return "start_dim=" + startDim + ", end_dim=" + endDim; }
}
