package dev.kiln.dsl.nn;

import dev.kiln.dsl.F;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;

/** {@code y = x·Wᵀ + b} with weight {@code [out, in]}, initialised as PyTorch does (Kaiming-uniform, a=√5). */
public class Linear extends Module {
    private final int inFeatures, outFeatures;
    public final Parameter weight;
    public final Parameter bias;

    public Linear(int inFeatures, int outFeatures) { this(inFeatures, outFeatures, true); }

    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = new Parameter(Kiln.zeros(outFeatures, inFeatures));
        this.bias = bias ? new Parameter(Kiln.zeros(outFeatures)) : null;
        Init.defaultInit(weight, this.bias);
    }

    @Override public Tensor forward(Tensor input) { return F.linear(input, weight, bias); }

    public int inFeatures() { return inFeatures; }

    public int outFeatures() { return outFeatures; }

    @Override protected String summary() { return "Linear " + inFeatures + "→" + outFeatures; }

    @Override public String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null ? "True" : "False");
    }
}
