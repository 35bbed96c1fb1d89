package dev.kiln.dsl.optim;

import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.nn.Parameter;
import dev.kiln.ir.DType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parameters sharing hyper-parameters ({@code optimizer.param_groups[i]}). Values can change between steps
 * ({@code group.setLr(0.01)}, Kotlin {@code group.lr = 0.01}); each lives in a 0-d tensor, so a change reaches the
 * update rule without recompiling it.
 */
public final class ParamGroup {
    private final List<Parameter> params;
    private final Map<String, Double> values = new LinkedHashMap<>();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    ParamGroup(List<Parameter> params, Map<String, Double> hyperParameters) {
        this.params = List.copyOf(params);
        hyperParameters.forEach(this::set);
    }

    public List<Parameter> params() { return params; }

    /** A hyper-parameter by PyTorch's name ({@code lr}, {@code momentum}, {@code betas0}, ...). */
    public double get(String name) {
        Double v = values.get(name);
        if (v == null) throw new IllegalArgumentException("no hyper-parameter '" + name + "'; this group has " + values.keySet());
        return v;
    }

    public void set(String name, double value) {
        values.put(name, value);
        Tensor t = tensors.get(name);
        if (t == null) tensors.put(name, Kiln.scalarTensor(value, DType.F32));
        else Kiln.noGrad(() -> t.fill_(value));
    }

    public double getLr() { return get("lr"); }

    public void setLr(double lr) { set("lr", lr); }

    /** The names and current values of all hyper-parameters. */
    public Map<String, Double> hyperParameters() { return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values)); }

    /** The 0-d tensor holding a hyper-parameter, for update rules. */
    Tensor tensor(String name) {
        get(name);
        return tensors.get(name);
    }
}
