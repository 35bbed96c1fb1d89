package dev.kiln.dsl;

import java.util.ArrayList;
import java.util.List;

/**
 * The record of the op that produced a tensor, as PyTorch's {@code grad_fn} shows it: a name like
 * {@code MulBackward0} and the functions of the inputs ({@code next_functions}). The computation itself lives in
 * the IR; this chain is what users inspect, and how {@code backward()} finds the leaves.
 */
public final class GradFn {
    private final String name;
    private final List<Tensor> inputs;
    private final Tensor variable;

    GradFn(String name, List<Tensor> inputs) {
        this.name = name;
        this.inputs = List.copyOf(inputs);
        this.variable = null;
    }

    private GradFn(Tensor leaf) {
        this.name = "AccumulateGrad";
        this.inputs = List.of();
        this.variable = leaf;
    }

    public String name() { return name; }

    /**
     * One entry per input: its grad_fn, an {@code AccumulateGrad} for a leaf that requires grad, or null for an
     * input that needs no gradient.
     */
    public List<GradFn> nextFunctions() {
        List<GradFn> next = new ArrayList<>();
        for (Tensor t : inputs) {
            if (t.gradFn() != null) next.add(t.gradFn());
            else next.add(t.requiresGrad() ? new GradFn(t) : null);
        }
        return next;
    }

    /** For {@code AccumulateGrad}: the leaf it accumulates into; otherwise null. */
    public Tensor variable() { return variable; }

    List<Tensor> inputs() { return inputs; }

    @Override public String toString() { return "<" + name + ">"; }
}
