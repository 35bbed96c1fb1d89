package dev.kiln.dsl.nn;

import dev.kiln.dsl.Autograd;
import dev.kiln.dsl.Device;
import dev.kiln.dsl.Tensor;
import dev.kiln.ir.Scope;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The base of every layer and model ({@code torch.nn.Module}). A subclass's fields that hold a {@link Module} or a
 * {@link Parameter} are its children and parameters, named after the field, in declaration order — assigning a field
 * registers it, as in PyTorch. {@link #addModule}, {@link #registerParameter} and {@link #registerBuffer} register
 * under computed names. Call a module with {@link #invoke} (Kotlin: {@code net(x)}); override {@link #forward}.
 */
public abstract class Module {
    private static final Map<Class<?>, List<Field>> FIELDS = new ConcurrentHashMap<>();
    private static final ThreadLocal<Deque<Frame>> CALLS = ThreadLocal.withInitial(ArrayDeque::new);

    private final Map<String, Module> addedModules = new LinkedHashMap<>();
    private final Map<String, Parameter> addedParameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private boolean training = true;

    /** A module being run, and its dotted path from the outermost module being run. */
    private record Frame(Module module, String path) {}

    // ---- running ------------------------------------------------------------------------------------------------

    /** The computation of a one-input module. */
    public Tensor forward(Tensor input) {
        throw new UnsupportedOperationException(getName() + " does not define forward(input); override it");
    }

    /** The computation of a two-input module, such as a loss. */
    public Tensor forward(Tensor input, Tensor target) {
        throw new UnsupportedOperationException(getName() + " does not define forward(input, target); override it");
    }

    /** Runs {@link #forward(Tensor)}; shape errors inside name this module's path, e.g. {@code fc1 (Linear 400→120)}. */
    public final Tensor invoke(Tensor input) { return within(() -> forward(input)); }

    public final Tensor invoke(Tensor input, Tensor target) { return within(() -> forward(input, target)); }

    private <T> T within(Supplier<T> body) {
        Deque<Frame> calls = CALLS.get();
        Frame parent = calls.peek();
        String name = parent == null ? "" : parent.module().nameOf(this);
        String path = parent == null || parent.path().isEmpty() ? name : parent.path() + "." + name;
        calls.push(new Frame(this, path));
        try {
            return Scope.within(path.isEmpty() ? summary() : path + " (" + summary() + ")", body);
        } finally {
            calls.pop();
        }
    }

    private String nameOf(Module child) {
        for (Map.Entry<String, Module> e : childEntries().entrySet()) if (e.getValue() == child) return e.getKey();
        return child.getName();
    }

    /** A short description for error messages, e.g. {@code Linear 400→120}. */
    protected String summary() { return getName(); }

    // ---- the tree -----------------------------------------------------------------------------------------------

    /** Registers {@code module} as a child called {@code name} ({@code add_module}); returns it. */
    public <M extends Module> M addModule(String name, M module) {
        checkName(name);
        addedModules.put(name, module);
        return module;
    }

    /** Registers a parameter under {@code name}; returns it. */
    public Parameter registerParameter(String name, Parameter p) {
        checkName(name);
        addedParameters.put(name, p);
        return p;
    }

    /** Registers state that is not a parameter but belongs in the state_dict (BatchNorm's running statistics). */
    public Tensor registerBuffer(String name, Tensor t) {
        checkName(name);
        buffers.put(name, t);
        return t;
    }

    private static void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) throw new IllegalArgumentException("module, parameter and buffer names must be non-empty and contain no '.', got \"" + name + "\"");
    }

    /** Children by name, in registration order: fields first, then added ones. A child held twice appears twice. */
    Map<String, Module> childEntries() {
        Map<String, Module> children = new LinkedHashMap<>();
        for (Field f : fields()) if (read(f) instanceof Module m) children.put(f.getName(), m);
        children.putAll(addedModules);
        return children;
    }

    /** This module's own parameters by name (not its children's). */
    Map<String, Parameter> ownParameters() {
        Map<String, Parameter> params = new LinkedHashMap<>();
        for (Field f : fields()) if (read(f) instanceof Parameter p) params.put(f.getName(), p);
        params.putAll(addedParameters);
        return params;
    }

    private List<Field> fields() {
        return FIELDS.computeIfAbsent(getClass(), c -> {
            List<List<Field>> perClass = new ArrayList<>();
            for (Class<?> k = c; k != Module.class && k != null; k = k.getSuperclass()) {
                List<Field> own = new ArrayList<>();
                for (Field f : k.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers()) || f.isSynthetic()) continue;
                    f.setAccessible(true);
                    own.add(f);
                }
                perClass.add(own);
            }
            Collections.reverse(perClass);          // superclass fields first
            return perClass.stream().flatMap(List::stream).toList();
        });
    }

    private Object read(Field f) {
        try {
            return f.get(this);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read field " + f, e);
        }
    }

    /** Direct children by name, each once. */
    public Map<String, Module> namedChildren() {
        Map<String, Module> unique = new LinkedHashMap<>();
        Set<Module> seen = identitySet();
        childEntries().forEach((n, m) -> { if (seen.add(m)) unique.put(n, m); });
        return unique;
    }

    public List<Module> children() { return List.copyOf(namedChildren().values()); }

    /** This module and every descendant, each once, by dotted path ("" for this one), parents before children. */
    public Map<String, Module> namedModules() {
        Map<String, Module> all = new LinkedHashMap<>();
        collectModules("", all, identitySet());
        return all;
    }

    private void collectModules(String prefix, Map<String, Module> all, Set<Module> seen) {
        if (!seen.add(this)) return;
        all.put(prefix, this);
        childEntries().forEach((n, m) -> m.collectModules(prefix.isEmpty() ? n : prefix + "." + n, all, seen));
    }

    public List<Module> modules() { return List.copyOf(namedModules().values()); }

    /** The {@code index}-th child (Kotlin: {@code net[0]}). */
    public Module get(int index) {
        List<Module> children = new ArrayList<>(childEntries().values());
        int i = index < 0 ? index + children.size() : index;
        if (i < 0 || i >= children.size()) throw new IndexOutOfBoundsException("index " + index + " is out of range for " + getName() + " with " + children.size() + " children");
        return children.get(i);
    }

    /** The descendant at a dotted path such as {@code "0.1"} ({@code get_submodule}). */
    public Module getSubmodule(String path) {
        Module m = this;
        if (path.isEmpty()) return m;
        for (String part : path.split("\\.")) {
            Module next = m.childEntries().get(part);
            if (next == null) throw new IllegalArgumentException(m.getName() + " has no attribute `" + part + "` (looking up \"" + path + "\")");
            m = next;
        }
        return m;
    }

    /** The parameter at a dotted path such as {@code "0.1.0.bias"} ({@code get_parameter}). */
    public Parameter getParameter(String path) {
        int dot = path.lastIndexOf('.');
        Module owner = getSubmodule(dot < 0 ? "" : path.substring(0, dot));
        Parameter p = owner.ownParameters().get(path.substring(dot + 1));
        if (p == null) throw new IllegalArgumentException(owner.getName() + " has no parameter `" + path.substring(dot + 1) + "` (looking up \"" + path + "\")");
        return p;
    }

    /** Applies {@code fn} to every child (recursively) and then to this module; returns this. */
    public Module apply(Consumer<Module> fn) {
        for (Module child : children()) child.apply(fn);
        fn.accept(this);
        return this;
    }

    // ---- parameters, buffers, state -----------------------------------------------------------------------------

    /** Every parameter, each once even when shared, with PyTorch's dotted names ({@code conv1.weight}, {@code 0.bias}). */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> named = new LinkedHashMap<>();
        Set<Tensor> seen = identitySet();
        namedModules().forEach((prefix, m) -> m.ownParameters().forEach((n, p) -> {
            if (seen.add(p)) named.put(prefix.isEmpty() ? n : prefix + "." + n, p);
        }));
        return named;
    }

    public List<Parameter> parameters() { return List.copyOf(namedParameters().values()); }

    public Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> named = new LinkedHashMap<>();
        namedModules().forEach((prefix, m) -> m.buffers.forEach((n, b) -> named.put(prefix.isEmpty() ? n : prefix + "." + n, b)));
        return named;
    }

    public List<Tensor> buffers() { return List.copyOf(namedBuffers().values()); }

    /** Parameters and buffers by dotted name, each module's own before its children's; values are detached snapshots. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> state = new LinkedHashMap<>();
        stateEntries("", state);
        state.replaceAll((k, v) -> v.detach());
        return state;
    }

    private void stateEntries(String prefix, Map<String, Tensor> out) {
        ownParameters().forEach((n, p) -> out.put(prefix + n, p));
        buffers.forEach((n, b) -> out.put(prefix + n, b));
        childEntries().forEach((n, m) -> m.stateEntries(prefix + n + ".", out));
    }

    /** What {@link #loadStateDict(Map, boolean)} did not match. */
    public record LoadResult(List<String> missingKeys, List<String> unexpectedKeys) {}

    /** Loads every parameter and buffer by name; strict: missing or unexpected keys are an error. */
    public LoadResult loadStateDict(Map<String, Tensor> state) { return loadStateDict(state, true); }

    /**
     * Copies values by name into this module's parameters and buffers. Everything is checked before anything is
     * copied, so a failed load changes nothing. Shapes must match; with {@code strict}, the key sets must too.
     */
    public LoadResult loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> targets = new LinkedHashMap<>();
        stateEntries("", targets);
        List<String> missing = targets.keySet().stream().filter(k -> !state.containsKey(k)).toList();
        List<String> unexpected = new ArrayList<>();
        collectUnexpected("", state, unexpected);
        List<String> errors = new ArrayList<>();
        if (strict && !missing.isEmpty()) errors.add("Missing key(s) in state_dict: " + quoted(missing) + ". ");
        if (strict && !unexpected.isEmpty()) errors.add("Unexpected key(s) in state_dict: " + quoted(unexpected) + ". ");
        Map<String, Tensor> values = new LinkedHashMap<>();
        targets.forEach((k, target) -> {
            Tensor value = state.get(k);
            if (value == null) return;
            // as in PyTorch, a one-element vector loads into a 0-d tensor (checkpoints often store scalars as [1])
            if (target.dim() == 0 && value.dim() == 1 && value.numel() == 1) value = value.reshape();
            if (!value.shape().equals(target.shape())) {
                errors.add("size mismatch for " + k + ": copying a param with shape " + value.shape()
                        + " from checkpoint, the shape in current model is " + target.shape() + ".");
            }
            values.put(k, value);
        });
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("Error(s) in loading state_dict for " + getName() + ":\n\t" + String.join("\n\t", errors));
        }
        Autograd.noGrad(() -> values.forEach((k, value) -> targets.get(k).copy_(value)));
        return new LoadResult(missing, unexpected);
    }

    /** Keys that name nothing here, module by module as PyTorch walks them: this module's own first, then each child's. */
    private void collectUnexpected(String prefix, Map<String, Tensor> state, List<String> out) {
        Map<String, Module> children = childEntries();
        for (String key : state.keySet()) {
            if (!key.startsWith(prefix)) continue;
            String rest = key.substring(prefix.length());
            String head = rest.split("\\.", 2)[0];
            boolean own = ownParameters().containsKey(rest) || buffers.containsKey(rest);
            if (!own && !children.containsKey(head)) out.add(key);
        }
        children.forEach((n, m) -> m.collectUnexpected(prefix + n + ".", state, out));
    }

    private static String quoted(List<String> keys) {
        return String.join(", ", keys.stream().map(k -> "\"" + k + "\"").toList());
    }

    // ---- devices ------------------------------------------------------------------------------------------------

    /**
     * Moves every parameter (with its gradient) and buffer to {@code device} in place and returns this module, as
     * PyTorch's {@code module.to(device)}: the Parameter objects stay the same, so an optimizer made before still
     * updates them. A GPU this machine doesn't have fails before anything moves.
     */
    public Module to(Device device) {
        List<Tensor> tensors = new ArrayList<>(parameters());
        tensors.addAll(buffers());
        if (tensors.isEmpty()) return this;
        Device target = tensors.get(0).detach().to(device).device();       // resolves cuda → cuda:0, checks availability
        Autograd.noGrad(() -> {
            Set<Tensor> seen = identitySet();
            for (Tensor t : tensors) {
                if (!seen.add(t) || t.device().equals(target)) continue;
                t.setData(t.detach().to(target));
                Tensor g = t.grad();
                if (g == null || g.device().equals(target)) continue;
                if (g.isLeaf() && !g.isView()) g.setData(g.detach().to(target));
                else t.setGrad(g.to(target));
            }
        });
        return this;
    }

    /** {@code module.to("cuda:0")}, {@code module.to("cpu")}. */
    public Module to(String device) { return to(Device.of(device)); }

    /** Moves this module to the CPU ({@code module.cpu()}). */
    public Module cpu() { return to(Device.CPU); }

    /** Moves this module to the current GPU, {@code cuda:0} ({@code module.cuda()}). */
    public Module cuda() { return to(Device.cuda(0)); }

    // ---- modes and gradients ------------------------------------------------------------------------------------

    /** Training mode (dropout active, batch statistics) for this module and its descendants; returns this. */
    public Module train(boolean mode) {
        for (Module m : modules()) m.training = mode;
        return this;
    }

    public Module train() { return train(true); }

    /** Evaluation mode; returns this. */
    public Module eval() { return train(false); }

    public boolean isTraining() { return training; }

    /** Resets every parameter's gradient to none (PyTorch's default {@code set_to_none=True}). */
    public void zeroGrad() {
        for (Parameter p : parameters()) p.setGrad(null);
    }

    // ---- printing -----------------------------------------------------------------------------------------------

    /** The class name PyTorch prints. */
    public String getName() { return getClass().getSimpleName(); }

    /** The text between the parentheses of this module's own line, e.g. {@code in_features=4, out_features=8, bias=True}. */
    public String extraRepr() { return ""; }

    /** The module tree in PyTorch's format. */
    @Override public String toString() {
        List<String> lines = new ArrayList<>();
        String extra = extraRepr();
        List<String> extraLines = extra.isEmpty() ? List.of() : List.of(extra.split("\n"));
        lines.addAll(extraLines);
        Map<String, Module> children = childEntries();
        children.forEach((n, m) -> lines.add("(" + n + "): " + m.toString().replace("\n", "\n  ")));
        StringBuilder s = new StringBuilder(getName()).append('(');
        if (extraLines.size() == 1 && children.isEmpty()) s.append(extraLines.get(0));
        else if (!lines.isEmpty()) s.append("\n  ").append(String.join("\n  ", lines)).append('\n');
        return s.append(')').toString();
    }

    private static <T> Set<T> identitySet() { return Collections.newSetFromMap(new IdentityHashMap<>()); }
}
