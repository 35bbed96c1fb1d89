package dev.kiln.dsl.nn;

import dev.kiln.dsl.Tensor;

/** Softmax along {@code dim}. */
public class Softmax extends Module {
    private final int dim;

    public Softmax(int dim) { this.dim = dim; }

    @Override public Tensor forward(Tensor input) { return input.softmax(dim); }

    @Override public String extraRepr() { return "dim=" + dim; }
}
