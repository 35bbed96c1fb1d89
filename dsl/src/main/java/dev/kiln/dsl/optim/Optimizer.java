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

    /** The 0-d tensors holding every group's hyper-parameters, named {@code GROUP.NAME} (a compiled step reads them each run). */
    public Map<String, Tensor> hyperParameterTensors() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        for (int i = 0; i < paramGroups.size(); i++) {
            ParamGroup g = paramGroups.get(i);
            for (String name : g.hyperParameters().keySet()) all.put(i + "." + name, g.tensor(name));
        }
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

    // ---- state_dict ---------------------------------------------------------------------------------------------

    /** Hyper-parameters with PyTorch's names, in the order PyTorch lists them (Kiln's beta1/beta2 become "betas"). */
    private static final List<String> TORCH_ORDER = List.of("lr", "betas", "alpha", "eps", "momentum", "dampening", "weight_decay");

    /** Constructor flags PyTorch keeps in every param_group; read from the subclass's field of that name. */
    private static final List<String> TORCH_FLAGS = List.of("nesterov", "amsgrad", "centered");

    /** PyTorch-only param_group entries Kiln accepts when they ask for nothing Kiln lacks (false or None). */
    private static final List<String> TORCH_OFF_SWITCHES = List.of("maximize", "foreach", "capturable", "differentiable", "fused");

    /**
     * The optimizer's state in PyTorch's structure ({@code optimizer.state_dict()}): {@code "state"} maps each
     * parameter's index (numbered across groups, in order) to its state tensors by PyTorch's names
     * ({@code momentum_buffer}, {@code exp_avg}, {@code exp_avg_sq}, {@code square_avg}, ..., and {@code step}, a 0-d
     * float32 tensor), for the parameters that have state; {@code "param_groups"} lists each group's hyper-parameters
     * under PyTorch's names ({@code lr}, {@code betas} as a two-element list, {@code nesterov}, ...) with
     * {@code "params"}: the indices of its parameters. The tensors share storage with the optimizer's state.
     */
    public Map<String, Object> stateDict() {
        Map<Integer, Map<String, Tensor>> packed = new LinkedHashMap<>();
        List<Map<String, Object>> groups = new ArrayList<>();
        int index = 0;
        for (ParamGroup g : paramGroups) {
            Map<String, Object> group = torchHyperParameters(g);
            List<Integer> ids = new ArrayList<>();
            for (Parameter p : g.params()) {
                Map<String, Tensor> own = state.get(p);
                Tensor step = steps.get(p);
                if (own != null || step != null) {
                    Map<String, Tensor> s = new LinkedHashMap<>();
                    if (step != null) s.put("step", step.detach());
                    if (own != null) own.forEach((name, t) -> s.put(name, t.detach()));
                    packed.put(index, s);
                }
                ids.add(index++);
            }
            group.put("params", ids);
            groups.add(group);
        }
        Map<String, Object> dict = new LinkedHashMap<>();
        dict.put("state", packed);
        dict.put("param_groups", groups);
        return dict;
    }

    private Map<String, Object> torchHyperParameters(ParamGroup g) {
        Map<String, Double> hp = g.hyperParameters();
        Map<String, Object> out = new LinkedHashMap<>();
        for (String name : TORCH_ORDER) {
            if (name.equals("betas")) {
                if (hp.containsKey("beta1") && hp.containsKey("beta2")) out.put("betas", List.of(hp.get("beta1"), hp.get("beta2")));
            } else if (hp.containsKey(name)) {
                out.put(name, hp.get(name));
            }
        }
        new java.util.TreeMap<>(hp).forEach((name, v) -> {
            if (!TORCH_ORDER.contains(name) && !name.equals("beta1") && !name.equals("beta2")) out.put(name, v);
        });
        out.putAll(flags());
        return out;
    }

    /** The constructor flags PyTorch records in param_groups ({@code nesterov}, {@code amsgrad}, {@code centered}). */
    protected Map<String, Boolean> flags() { return Map.of(); }

    /**
     * Restores a state from {@link #stateDict()} (or one PyTorch made, with the same structure), so training continues
     * exactly where it left off: every group's hyper-parameters and every parameter's state and step count. Parameters
     * are matched by position, as in PyTorch. Everything is checked before anything changes: a mismatch (group count
     * or sizes, unknown hyper-parameters, state names this optimizer does not keep, shapes) throws and leaves the
     * optimizer as it was. A parameter with state but no {@code step} (PyTorch's SGD keeps none) counts as stepped once.
     */
    public void loadStateDict(Map<String, ?> stateDict) {
        String self = getClass().getSimpleName();
        if (!(stateDict.get("param_groups") instanceof List<?> groups) || !(stateDict.get("state") == null || stateDict.get("state") instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("an optimizer state_dict needs \"state\" (a map) and \"param_groups\" (a list); got keys " + stateDict.keySet());
        }
        Map<?, ?> loadedState = stateDict.get("state") instanceof Map<?, ?> m ? m : Map.of();
        List<String> errors = new ArrayList<>();
        if (groups.size() != paramGroups.size()) {
            throw new IllegalArgumentException("loaded state dict has " + groups.size() + " parameter group(s), but this " + self + " has " + paramGroups.size());
        }
        Map<String, Boolean> flags = flags();
        Map<Long, Parameter> byId = new LinkedHashMap<>();
        Map<Parameter, ParamGroup> newGroups = new IdentityHashMap<>();
        List<Map<String, Double>> newHyper = new ArrayList<>();
        for (int gi = 0; gi < groups.size(); gi++) {
            ParamGroup current = paramGroups.get(gi);
            String where = "param_groups[" + gi + "]";
            if (!(groups.get(gi) instanceof Map<?, ?> group)) throw new IllegalArgumentException(where + " is not a map");
            if (!(group.get("params") instanceof List<?> ids)) throw new IllegalArgumentException(where + " has no \"params\" list");
            if (ids.size() != current.params().size()) {
                throw new IllegalArgumentException("loaded state dict contains a parameter group that doesn't match the size of optimizer's group: "
                        + where + " has " + ids.size() + " parameters, this " + self + "'s has " + current.params().size());
            }
            for (int j = 0; j < ids.size(); j++) {
                if (!(ids.get(j) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                    throw new IllegalArgumentException(where + ".params[" + j + "] is not an integer: " + ids.get(j));
                }
                if (byId.put(n.longValue(), current.params().get(j)) != null) throw new IllegalArgumentException(where + " repeats parameter index " + n.longValue());
            }
            Map<String, Double> hp = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : group.entrySet()) {
                String key = String.valueOf(e.getKey());
                Object v = e.getValue();
                if (key.equals("params") || key.equals("initial_lr")) continue;
                if (TORCH_FLAGS.contains(key)) {
                    if (!flags.containsKey(key) && Boolean.TRUE.equals(v)) errors.add(where + " asks for " + key + "=True, which " + self + " does not support");
                    else if (flags.containsKey(key) && !flags.get(key).equals(v)) {
                        errors.add(where + " has " + key + "=" + v + " but this " + self + " was built with " + key + "=" + flags.get(key)
                                + " (a constructor argument; build the optimizer with the same setting)");
                    }
                } else if (TORCH_OFF_SWITCHES.contains(key)) {
                    if (v != null && !Boolean.FALSE.equals(v)) errors.add(where + " has " + key + "=" + v + ", which Kiln does not support");
                } else if (key.equals("betas") && current.hyperParameters().containsKey("beta1")) {
                    if (v instanceof List<?> b && b.size() == 2 && b.get(0) instanceof Number b1 && b.get(1) instanceof Number b2) {
                        hp.put("beta1", b1.doubleValue());
                        hp.put("beta2", b2.doubleValue());
                    } else {
                        errors.add(where + ".betas must be a list of two numbers, got " + v);
                    }
                } else if (!current.hyperParameters().containsKey(key)) {
                    errors.add(where + " has hyper-parameter '" + key + "', which " + self + " does not have (it has "
                            + torchHyperParameters(current).keySet() + ")");
                } else if (v instanceof Number n) {
                    hp.put(key, n.doubleValue());
                } else {
                    errors.add(where + "." + key + " must be a number, got " + v);
                }
            }
            for (String name : current.hyperParameters().keySet()) {
                if (!hp.containsKey(name)) errors.add(where + " lacks hyper-parameter '" + (name.startsWith("beta") ? "betas" : name) + "'");
            }
            newHyper.add(hp);
            ParamGroup future = new ParamGroup(current.params(), hp.size() == current.hyperParameters().size() ? hp : current.hyperParameters());
            for (Parameter p : current.params()) newGroups.put(p, future);
        }
        Map<Parameter, Map<String, Tensor>> newState = new IdentityHashMap<>();
        for (Map.Entry<?, ?> e : loadedState.entrySet()) {
            Long id = null;
            if (e.getKey() instanceof Number n) id = n.longValue();
            else {
                try {
                    id = Long.parseLong(String.valueOf(e.getKey()));
                } catch (NumberFormatException ignored) {
                    // reported below
                }
            }
            Parameter p = id == null ? null : byId.get(id);
            if (p == null) {
                errors.add("state has an entry for parameter " + e.getKey() + ", which no param_group lists (they list " + byId.keySet() + ")");
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> entries)) {
                errors.add("state[" + id + "] is not a map of tensors");
                continue;
            }
            List<String> expected = stateNames(newGroups.get(p));
            Map<String, Tensor> values = new LinkedHashMap<>();
            for (Map.Entry<?, ?> se : entries.entrySet()) {
                String name = String.valueOf(se.getKey());
                if (!(se.getValue() instanceof Tensor t)) {
                    if (se.getValue() != null) errors.add("state[" + id + "]." + name + " is not a tensor");
                    continue;
                }
                if (name.equals("step")) {
                    if (t.numel() != 1) errors.add("state[" + id + "].step must hold one number, got shape " + t.shape());
                } else if (!expected.contains(name)) {
                    errors.add("state[" + id + "] has '" + name + "', which " + self + " does not keep (it keeps " + expected + " and step)");
                } else if (!t.shape().equals(p.shape())) {
                    errors.add("state[" + id + "]." + name + " has shape " + t.shape() + ", but parameter " + id + " has shape " + p.shape());
                }
                values.put(name, t);
            }
            boolean any = values.keySet().stream().anyMatch(n -> !n.equals("step"));
            for (String name : expected) if ((any || values.containsKey("step")) && !values.containsKey(name)) errors.add("state[" + id + "] lacks '" + name + "'");
            if (!values.isEmpty()) newState.put(p, values);
        }
        if (!errors.isEmpty()) throw new IllegalArgumentException("Error(s) in loading state_dict for " + self + ":\n\t" + String.join("\n\t", errors));
        // everything checked: now change the optimizer, in place, so compiled steps holding these tensors see it
        for (int gi = 0; gi < paramGroups.size(); gi++) newHyper.get(gi).forEach(paramGroups.get(gi)::set);
        Autograd.noGrad(() -> {
            for (Parameter p : parameters()) {
                Map<String, Tensor> loaded = newState.get(p);
                if (loaded == null) {
                    // no state in the checkpoint: as fresh as a new optimizer's
                    if (steps.containsKey(p)) steps.get(p).fill_(0);
                    Map<String, Tensor> s = state.get(p);
                    if (s != null) s.values().forEach(t -> t.fill_(0));
                    continue;
                }
                Tensor step = loaded.get("step");
                if (step != null) stepTensor(p).copy_(step.reshape());
                else stepTensor(p).fill_(1);
                Map<String, Tensor> s = stateOf(p);
                for (String name : stateNames(groupOf(p))) s.computeIfAbsent(name, k -> Kiln.zerosLike(p));
                loaded.forEach((name, t) -> {
                    if (!name.equals("step")) s.get(name).copy_(t);
                });
            }
        });
    }
}
