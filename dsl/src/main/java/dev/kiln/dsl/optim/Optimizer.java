package dev.kiln.dsl.optim;

import dev.kiln.dsl.Autograd;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.nn.Parameter;
import dev.kiln.ir.DType;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The base of the optimizers ({@code torch.optim.Optimizer}). A subclass gives its update rule as tensor operations
 * ({@link #update}); {@link #step()} builds every parameter's update lazily and computes them together, and a
 * compiled training step traces the very same rule into its program.
 */
public abstract class Optimizer {
    private final List<ParamGroup> paramGroups = new ArrayList<>();
    private final Map<Parameter, Map<String, Tensor>> state = new IdentityHashMap<>();
    private final Map<Parameter, Tensor> steps = new IdentityHashMap<>();

    protected Optimizer(List<Parameter> params, Map<String, Double> defaults) {
        if (params.isEmpty()) throw new IllegalArgumentException("optimizer got an empty parameter list");
        paramGroups.add(new ParamGroup(params, defaults));
    }

    /** The parameter groups; hyper-parameters may be changed between steps. */
    public List<ParamGroup> paramGroups() { return paramGroups; }

    /** Kotlin's {@code optimizer.paramGroups}. */
    public List<ParamGroup> getParamGroups() { return paramGroups; }

    /** Adds a group with its own hyper-parameters (unset ones take the first group's values). */
    public void addParamGroup(List<Parameter> params, Map<String, Double> hyperParameters) {
        Map<String, Double> merged = new LinkedHashMap<>(paramGroups.get(0).hyperParameters());
        merged.putAll(hyperParameters);
        paramGroups.add(new ParamGroup(params, merged));
    }

    /** Resets the gradients of every parameter to none. */
    public void zeroGrad() {
        for (ParamGroup g : paramGroups) for (Parameter p : g.params()) p.setGrad(null);
    }

    /** One update of every parameter that has a gradient, computed as one program. */
    public void step() {
        List<Tensor> targets = new ArrayList<>(), values = new ArrayList<>();
        for (ParamGroup g : paramGroups) {
            for (Parameter p : g.params()) {
                if (p.grad() == null) continue;
                Tensor step = stepTensor(p);
                Kiln.noGrad(() -> step.add_(1));
                Map<String, Tensor> s = stateOf(p);
                // on a detached view the rule records nothing for autograd and stays one lazy graph
                Map<String, Tensor> next = update(g, p.detach(), p.grad(), s, step);
                next.forEach((name, value) -> {
                    targets.add(name.equals(PARAM) ? p : s.get(name));
                    values.add(value);
                });
            }
        }
        Kiln.evaluate(values);
        Autograd.noGrad(() -> {
            for (int i = 0; i < targets.size(); i++) targets.get(i).copy_(values.get(i));
        });
    }

    /** The key of the updated parameter in {@link #update}'s result. */
    protected static final String PARAM = "param";

    /**
     * The update rule: from the parameter, its gradient, its state and the step number (1 on the first step),
     * the new parameter (under {@link #PARAM}) and the new value of every state entry.
     */
    protected abstract Map<String, Tensor> update(ParamGroup g, Tensor param, Tensor grad, Map<String, Tensor> state, Tensor step);

    /**
     * For a compiled training step: {@code p}'s update as lazy tensors ({@link #PARAM} and each state entry), from its
     * current value, gradient and the step number to use.
     */
    public Map<String, Tensor> traceUpdate(Parameter p, Tensor value, Tensor grad, Tensor step) {
        return update(groupOf(p), value, grad, stateOf(p), step);
    }

    /** A parameter's step counter (a 0-d tensor, 0 before the first step). */
    public Tensor stepTensor(Parameter p) { return steps.computeIfAbsent(p, k -> Kiln.scalarTensor(0, DType.F32)); }

    /** Every parameter this optimizer updates, in group order. */
    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>();
        for (ParamGroup g : paramGroups) all.addAll(g.params());
        return all;
    }

    /** The 0-d tensors holding every group's hyper-parameters (a compiled step reads them on each run). */
    public List<Tensor> hyperParameterTensors() {
        List<Tensor> all = new ArrayList<>();
        for (ParamGroup g : paramGroups) for (String name : g.hyperParameters().keySet()) all.add(g.tensor(name));
        return all;
    }

    /** The state entries a parameter starts with (zeros of its shape, by name). */
    protected abstract List<String> stateNames(ParamGroup g);

    /** A parameter's state tensors, created (as zeros) on first use. */
    public Map<String, Tensor> stateOf(Parameter p) {
        return state.computeIfAbsent(p, k -> {
            Map<String, Tensor> s = new LinkedHashMap<>();
            for (String name : stateNames(groupOf(p))) s.put(name, Kiln.zerosLike(p));
            return s;
        });
    }

    /** The step counter of a parameter (number of updates so far). */
    public double stepCount(Parameter p) {
        Tensor t = steps.get(p);
        return t == null ? 0 : t.item();
    }

    ParamGroup groupOf(Parameter p) {
        for (ParamGroup g : paramGroups) for (Parameter q : g.params()) if (q == p) return g;
        throw new IllegalArgumentException("parameter is not optimized by this optimizer");
    }

    /** A hyper-parameter's 0-d tensor. */
    protected static Tensor h(ParamGroup g, String name) { return g.tensor(name); }
}
