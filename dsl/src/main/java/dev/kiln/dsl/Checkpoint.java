package dev.kiln.dsl;

import dev.kiln.dsl.nn.AvgPool2d;
import dev.kiln.dsl.nn.BatchNorm;
import dev.kiln.dsl.nn.BatchNorm1d;
import dev.kiln.dsl.nn.BatchNorm2d;
import dev.kiln.dsl.nn.Conv2d;
import dev.kiln.dsl.nn.Dropout;
import dev.kiln.dsl.nn.Flatten;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.MaxPool2d;
import dev.kiln.dsl.nn.Module;
import dev.kiln.dsl.nn.Parameter;
import dev.kiln.dsl.nn.ReLU;
import dev.kiln.dsl.nn.Sequential;
import dev.kiln.dsl.nn.Sigmoid;
import dev.kiln.dsl.nn.Softmax;
import dev.kiln.dsl.nn.Tanh;
import dev.kiln.dsl.optim.Optimizer;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.runtime.Safetensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Checkpoints ({@code torch.save} / {@code torch.load}; also {@link Kiln#save} and {@link Kiln#load}): a tensor, a list
 * of tensors, a map of tensors, a module's {@code stateDict()}, an optimizer's {@code stateDict()}, or a whole model
 * built from Kiln's layers, stored as one safetensors file with PyTorch's names and layouts.
 *
 * <p>Layout. Tensors keep their dtype (F32, F64, I32, I64, BOOL, exactly) and shape. {@code __metadata__} holds
 * {@code format: "pt"}, {@code kind} (tensor, list, map, state_dict, optimizer or model), {@code kiln_checkpoint: "1"},
 * and per kind:
 * <ul>
 * <li>tensor: one tensor named {@code "tensor"};</li>
 * <li>list: tensors {@code "0"}, {@code "1"}, ... and {@code length};</li>
 * <li>map / state_dict: the tensors under their own names (a state_dict's are PyTorch's: {@code conv1.weight}, ...),
 * and {@code keys}, a JSON list giving their order (the file itself sorts them by name);</li>
 * <li>optimizer: {@code state.{i}.{name}} for each parameter's state ({@code state.0.momentum_buffer},
 * {@code state.0.step}, ...), and {@code param_groups}, PyTorch's param_groups as JSON;</li>
 * <li>model: the state_dict, {@code keys}, and {@code architecture}: JSON of the layer tree with each layer's type and
 * constructor arguments (and {@code frozen}: parameters that do not require grad, if any).</li>
 * </ul>
 * A safetensors file without {@code kind} (one PyTorch or another tool wrote) loads as a map in file order.
 *
 * <p>Saving is atomic (a temporary file beside the target, forced to disk, then renamed over it), so a crash mid-write
 * leaves the previous checkpoint intact. Loading checks the whole file first and fails with an error naming the file
 * and what is wrong.
 */
public final class Checkpoint {
    private Checkpoint() {}

    /** What a checkpoint holds; {@link #load} returns the same kind. */
    public enum Kind {
        /** A {@link Tensor}. */
        TENSOR,
        /** A {@code List<Tensor>}. */
        LIST,
        /** A {@code Map<String, Tensor>}. */
        MAP,
        /** A module's {@code stateDict()}: loads as a {@code Map<String, Tensor>} in the module's order. */
        STATE_DICT,
        /** An optimizer's {@code stateDict()}: loads as the same {@code {"state": ..., "param_groups": ...}} map. */
        OPTIMIZER,
        /** A whole {@link Module}: architecture and weights. */
        MODEL;

        /** The name in the file's metadata. */
        public String tag() { return name().toLowerCase(Locale.ROOT); }

        static Kind ofTag(String tag) {
            for (Kind k : values()) if (k.tag().equals(tag)) return k;
            return null;
        }
    }

    private static final String VERSION = "1";

    private static final String SUPPORTED_OBJECTS = "a Tensor, a List<Tensor>, a Map<String, Tensor> (such as a module's stateDict()), "
            + "an optimizer's stateDict(), or a Module built from Kiln's layers";

    private static final String SUPPORTED_LAYERS = "Sequential (nested as you like) of Linear, Conv2d, ReLU, Sigmoid, Tanh, Softmax, "
            + "Flatten, MaxPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d and Dropout";

    // ---- saving -------------------------------------------------------------------------------------------------

    /** Saves {@code obj} to {@code file} ({@code torch.save}), its kind told by {@link #kindOf}. */
    public static void save(Object obj, Path file) throws IOException { save(obj, file, kindOf(obj)); }

    /** Saves {@code obj} as the given kind (e.g. a plain map as {@link Kind#STATE_DICT}). */
    public static void save(Object obj, Path file, Kind kind) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("kind", kind.tag());
        meta.put("kiln_checkpoint", VERSION);
        switch (kind) {
            case TENSOR -> {
                if (!(obj instanceof Tensor t)) throw new IllegalArgumentException("Kind.TENSOR needs a Tensor, got " + describe(obj));
                tensors.put("tensor", t);
            }
            case LIST -> {
                List<Tensor> list = tensorList(obj);
                for (int i = 0; i < list.size(); i++) tensors.put(Integer.toString(i), list.get(i));
                meta.put("length", Integer.toString(list.size()));
            }
            case MAP, STATE_DICT -> {
                tensors.putAll(tensorMap(obj));
                meta.put("keys", Safetensors.toJson(new ArrayList<>(tensors.keySet())));
            }
            case OPTIMIZER -> {
                flattenOptimizer(obj, tensors, meta);
                meta.put("keys", Safetensors.toJson(new ArrayList<>(tensors.keySet())));
            }
            case MODEL -> {
                if (!(obj instanceof Module model)) throw new IllegalArgumentException("Kind.MODEL needs a Module, got " + describe(obj));
                Map<String, Object> architecture = architecture(model);
                tensors.putAll(model.stateDict());
                meta.put("keys", Safetensors.toJson(new ArrayList<>(tensors.keySet())));
                meta.put("architecture", Safetensors.toJson(architecture));
                List<String> frozen = new ArrayList<>();
                model.namedParameters().forEach((name, p) -> { if (!p.requiresGrad()) frozen.add(name); });
                if (!frozen.isEmpty()) meta.put("frozen", Safetensors.toJson(frozen));
            }
        }
        write(file, tensors, meta);
    }

    /**
     * The kind {@link #save(Object, Path)} stores {@code obj} as: a Tensor, a List of tensors, an optimizer's
     * state_dict (a map with exactly "state" and "param_groups"), a module's state_dict (a map of tensors holding
     * a module's parameters, as {@code stateDict()} returns), another map of tensors, or a Module.
     */
    public static Kind kindOf(Object obj) {
        if (obj instanceof Tensor) return Kind.TENSOR;
        if (obj instanceof Module) return Kind.MODEL;
        if (obj instanceof List<?>) {
            tensorList(obj);
            return Kind.LIST;
        }
        if (obj instanceof Map<?, ?> m) {
            if (m.size() == 2 && m.containsKey("state") && m.containsKey("param_groups")) return Kind.OPTIMIZER;
            Map<String, Tensor> tensors = tensorMap(obj);
            // a module's stateDict() holds detached views of its parameters
            for (Tensor t : tensors.values()) if (t.base() instanceof Parameter) return Kind.STATE_DICT;
            return Kind.MAP;
        }
        if (obj instanceof Optimizer) {
            throw new IllegalArgumentException("cannot save an Optimizer object; save its state with Kiln.save(optimizer.stateDict(), file) "
                    + "and restore it with optimizer.loadStateDict(...)");
        }
        throw new IllegalArgumentException("cannot save " + describe(obj) + "; Kiln.save takes " + SUPPORTED_OBJECTS);
    }

    private static List<Tensor> tensorList(Object obj) {
        if (!(obj instanceof List<?> list)) throw new IllegalArgumentException("Kind.LIST needs a List of tensors, got " + describe(obj));
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Tensor t)) {
                throw new IllegalArgumentException("cannot save a List holding " + describe(list.get(i)) + " at index " + i + "; lists must hold only tensors");
            }
            out.add(t);
        }
        return out;
    }

    private static Map<String, Tensor> tensorMap(Object obj) {
        if (!(obj instanceof Map<?, ?> map)) throw new IllegalArgumentException("expected a Map<String, Tensor>, got " + describe(obj));
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String k)) throw new IllegalArgumentException("cannot save a Map with key " + describe(e.getKey()) + "; keys must be strings");
            if (!(e.getValue() instanceof Tensor t)) {
                throw new IllegalArgumentException("cannot save a Map holding " + describe(e.getValue()) + " under '" + k + "'; maps must hold only tensors "
                        + "(an optimizer's stateDict() is a map with exactly \"state\" and \"param_groups\")");
            }
            if (k.equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is reserved by safetensors and cannot name a tensor");
            out.put(k, t);
        }
        return out;
    }

    private static void flattenOptimizer(Object obj, Map<String, Tensor> tensors, Map<String, String> meta) {
        if (!(obj instanceof Map<?, ?> dict) || !(dict.get("param_groups") instanceof List<?> groups)
                || !(dict.get("state") == null || dict.get("state") instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("Kind.OPTIMIZER needs an optimizer's stateDict() ({\"state\": map, \"param_groups\": list}), got " + describe(obj));
        }
        Map<?, ?> state = dict.get("state") instanceof Map<?, ?> s ? s : Map.of();
        for (Map.Entry<?, ?> e : state.entrySet()) {
            String id = String.valueOf(e.getKey());
            if (!id.matches("\\d+")) throw new IllegalArgumentException("optimizer state keys must be parameter indices, got '" + id + "'");
            if (!(e.getValue() instanceof Map<?, ?> entries)) throw new IllegalArgumentException("optimizer state[" + id + "] must be a map of tensors");
            for (Map.Entry<?, ?> se : entries.entrySet()) {
                if (se.getValue() == null) continue;        // PyTorch's momentum_buffer=None
                if (!(se.getValue() instanceof Tensor t)) {
                    throw new IllegalArgumentException("optimizer state[" + id + "]." + se.getKey() + " is " + describe(se.getValue()) + ", not a tensor");
                }
                tensors.put("state." + id + "." + se.getKey(), t);
            }
        }
        try {
            meta.put("param_groups", Safetensors.toJson(groups));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("optimizer param_groups must hold only numbers, booleans, strings, lists and maps: " + e.getMessage(), e);
        }
    }

    private static void write(Path file, Map<String, Tensor> tensors, Map<String, String> meta) throws IOException {
        List<Tensor> list = new ArrayList<>(tensors.values());
        List<HostBuffer> values = Realizer.buffersOf(list);
        Map<String, Safetensors.Buffer> buffers = new LinkedHashMap<>();
        int i = 0;
        for (String name : tensors.keySet()) {
            buffers.put(name, new Safetensors.Buffer(list.get(i).node().shape(), values.get(i)));
            i++;
        }
        Safetensors.writeRaw(file, buffers, meta);
    }

    // ---- loading ------------------------------------------------------------------------------------------------

    /**
     * Loads what {@link #save} stored ({@code torch.load}): a Tensor, a List of tensors, a Map of tensors (a
     * state_dict in its module's order), an optimizer's state_dict map, or a Module. A safetensors file that records
     * no kind loads as a map. A corrupt, truncated or inconsistent file fails with an IOException naming the file.
     */
    public static Object load(Path file) throws IOException {
        Safetensors.RawContents raw = Safetensors.readRaw(file);
        Kind kind = kindOf(file, raw);
        return switch (kind) {
            case TENSOR -> {
                Map<String, Tensor> t = tensors(raw, null);
                if (t.size() != 1 || !t.containsKey("tensor")) throw corrupt(file, "a tensor checkpoint holds one tensor named 'tensor', this one has " + t.keySet());
                yield t.get("tensor");
            }
            case LIST -> loadList(file, raw);
            case MAP, STATE_DICT -> tensors(raw, order(file, raw));
            case OPTIMIZER -> loadOptimizer(file, raw);
            case MODEL -> loadModel(file, raw);
        };
    }

    /** {@link #load(Path)}, checking that the file holds a {@code type} (e.g. {@code Module.class}, {@code Map.class}). */
    public static <T> T load(Path file, Class<T> type) throws IOException {
        Object o = load(file);
        if (!type.isInstance(o)) {
            throw new IOException(file + ": holds a " + kindOf(file, Safetensors.readRaw(file)).tag() + " (" + o.getClass().getSimpleName()
                    + "), not a " + type.getSimpleName());
        }
        return type.cast(o);
    }

    /** The kind of checkpoint {@code file} holds (reading it whole). */
    public static Kind kind(Path file) throws IOException { return kindOf(file, Safetensors.readRaw(file)); }

    /**
     * Loads the weights in {@code file} (a state_dict, a map of tensors, or a whole model's checkpoint) into
     * {@code model} by name, strictly: missing or unexpected keys and shape mismatches fail, naming the file, before
     * anything is copied.
     */
    public static Module.LoadResult loadInto(Module model, Path file) throws IOException {
        Safetensors.RawContents raw = Safetensors.readRaw(file);
        Kind kind = kindOf(file, raw);
        if (kind != Kind.MAP && kind != Kind.STATE_DICT && kind != Kind.MODEL) {
            throw new IOException(file + ": holds a " + kind.tag() + ", not a state_dict to load into " + model.getName());
        }
        Map<String, Tensor> state = tensors(raw, order(file, raw));
        try {
            return model.loadStateDict(state);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Restores an optimizer's state saved from {@code optimizer.stateDict()}; a mismatch fails, naming the file, before anything changes. */
    public static void loadInto(Optimizer optimizer, Path file) throws IOException {
        Safetensors.RawContents raw = Safetensors.readRaw(file);
        Kind kind = kindOf(file, raw);
        if (kind != Kind.OPTIMIZER) throw new IOException(file + ": holds a " + kind.tag() + ", not an optimizer's state_dict");
        try {
            optimizer.loadStateDict(loadOptimizer(file, raw));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static Kind kindOf(Path file, Safetensors.RawContents raw) throws IOException {
        String tag = raw.metadata().get("kind");
        if (tag == null) return Kind.MAP;
        Kind kind = Kind.ofTag(tag);
        if (kind == null) {
            throw corrupt(file, "metadata says kind '" + tag + "'; Kiln reads tensor, list, map, state_dict, optimizer and model checkpoints");
        }
        String version = raw.metadata().get("kiln_checkpoint");
        if (version != null && !version.equals(VERSION)) {
            throw corrupt(file, "written by a newer Kiln (checkpoint format " + version + "; this Kiln reads format " + VERSION + ")");
        }
        return kind;
    }

    /** The tensor names in the order the metadata's {@code keys} gives, or file order when there is none. */
    private static List<String> order(Path file, Safetensors.RawContents raw) throws IOException {
        String keys = raw.metadata().get("keys");
        if (keys == null) return new ArrayList<>(raw.tensors().keySet());
        Object parsed = parseJson(file, "keys", keys);
        if (!(parsed instanceof List<?> list)) throw corrupt(file, "metadata 'keys' is not a JSON list");
        List<String> names = new ArrayList<>();
        for (Object o : list) names.add(String.valueOf(o));
        Set<String> listed = new LinkedHashSet<>(names);
        if (listed.size() != names.size()) throw corrupt(file, "metadata 'keys' names a tensor twice");
        List<String> absent = names.stream().filter(n -> !raw.tensors().containsKey(n)).toList();
        if (!absent.isEmpty()) throw corrupt(file, "metadata 'keys' lists " + absent + ", which the file does not hold (file damaged?)");
        List<String> unlisted = raw.tensors().keySet().stream().filter(n -> !listed.contains(n)).toList();
        if (!unlisted.isEmpty()) throw corrupt(file, "the file holds " + unlisted + ", which metadata 'keys' does not list");
        return names;
    }

    private static Map<String, Tensor> tensors(Safetensors.RawContents raw, List<String> order) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : order != null ? order : new ArrayList<>(raw.tensors().keySet())) out.put(name, tensor(raw.tensors().get(name)));
        return out;
    }

    /** A new leaf tensor holding a buffer just read (handed over, not copied); on the CPU, as safetensors keep no device. */
    private static Tensor tensor(Safetensors.Buffer b) {
        Node leaf = Node.leaf(Op.Role.INPUT, "tensor", b.shape(), b.dtype());
        Realizer.bind(leaf, b.data());
        return Tensor.untracked(leaf, Device.CPU);
    }

    private static List<Tensor> loadList(Path file, Safetensors.RawContents raw) throws IOException {
        int n = raw.tensors().size();
        String length = raw.metadata().get("length");
        if (length != null) {
            try {
                n = Integer.parseInt(length);
            } catch (NumberFormatException e) {
                throw corrupt(file, "metadata 'length' is not a number: '" + length + "'");
            }
        }
        List<Tensor> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Safetensors.Buffer b = raw.tensors().get(Integer.toString(i));
            if (b == null) throw corrupt(file, "a list of " + n + " tensors lacks element '" + i + "' (file holds " + raw.tensors().keySet() + ")");
            list.add(tensor(b));
        }
        if (raw.tensors().size() != n) {
            List<String> extra = raw.tensors().keySet().stream().filter(k -> !k.matches("\\d+") || Integer.parseInt(k) >= list.size()).toList();
            throw corrupt(file, "a list of " + n + " tensors also holds " + extra);
        }
        return list;
    }

    private static Map<String, Object> loadOptimizer(Path file, Safetensors.RawContents raw) throws IOException {
        String groupsJson = raw.metadata().get("param_groups");
        if (groupsJson == null) throw corrupt(file, "an optimizer checkpoint needs 'param_groups' in its metadata");
        if (!(normalize(parseJson(file, "param_groups", groupsJson), null) instanceof List<?> groups)) {
            throw corrupt(file, "metadata 'param_groups' is not a JSON list");
        }
        Map<Integer, Map<String, Tensor>> state = new TreeMap<>();
        for (String name : order(file, raw)) {
            String[] parts = name.split("\\.", 3);
            if (parts.length != 3 || !parts[0].equals("state") || !parts[1].matches("\\d{1,9}") || parts[2].isEmpty()) {
                throw corrupt(file, "unexpected tensor '" + name + "' in an optimizer checkpoint (expected state.<index>.<name>)");
            }
            state.computeIfAbsent(Integer.parseInt(parts[1]), k -> new LinkedHashMap<>()).put(parts[2], tensor(raw.tensors().get(name)));
        }
        Map<String, Object> dict = new LinkedHashMap<>();
        dict.put("state", new LinkedHashMap<>(state));
        dict.put("param_groups", groups);
        return dict;
    }

    /** JSON as PyTorch's structure holds it: parameter indices as Integer, other numbers as Double. */
    private static Object normalize(Object json, String key) {
        if (json instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), normalize(v, String.valueOf(k))));
            return out;
        }
        if (json instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (Object v : l) out.add(normalize(v, key));
            return out;
        }
        if (json instanceof Long n) return "params".equals(key) ? (Object) n.intValue() : (Object) n.doubleValue();
        return json;
    }

    private static Object parseJson(Path file, String what, String text) throws IOException {
        try {
            return Safetensors.parseJson(text);
        } catch (IllegalArgumentException e) {
            throw corrupt(file, "metadata '" + what + "' is not valid JSON: " + e.getMessage());
        }
    }

    private static IOException corrupt(Path file, String what) { return new IOException(file + ": not a valid Kiln checkpoint: " + what); }

    private static String describe(Object o) { return o == null ? "null" : "a " + o.getClass().getName(); }

    // ---- whole models -------------------------------------------------------------------------------------------

    /** The architecture of {@code model} as JSON-ready maps; fails clearly for anything but Kiln's own layers. */
    static Map<String, Object> architecture(Module model) {
        Map<String, Object> spec = spec(model, "", Collections.newSetFromMap(new IdentityHashMap<>()));
        Set<String> expected = new LinkedHashSet<>();
        expectedKeys(spec, "", expected);
        Set<String> actual = model.stateDict().keySet();
        if (!expected.equals(actual)) {
            List<String> extra = actual.stream().filter(k -> !expected.contains(k)).toList();
            List<String> missing = expected.stream().filter(k -> !actual.contains(k)).toList();
            throw new IllegalArgumentException("cannot save " + model.getName() + " as a whole model: its parameters and buffers are not those its layers' "
                    + "constructors make" + (extra.isEmpty() ? "" : "; extra: " + extra) + (missing.isEmpty() ? "" : "; missing: " + missing)
                    + ". Save its stateDict() instead");
        }
        return spec;
    }

    private static Map<String, Object> spec(Module m, String path, Set<Module> seen) {
        if (!seen.add(m)) throw unsupported(m, path, "is used more than once in the model (shared modules cannot be rebuilt)");
        Map<String, Object> s = new LinkedHashMap<>();
        Class<?> c = m.getClass();
        s.put("type", c.getSimpleName());
        Repr r = new Repr(m.extraRepr());
        try {
            if (c == Sequential.class) {
                Sequential seq = (Sequential) m;
                Map<String, Module> children = seq.namedChildren();
                if (children.size() != seq.size()) throw unsupported(m, path, "holds the same module twice (shared modules cannot be rebuilt)");
                Map<String, Object> specs = new LinkedHashMap<>();
                children.forEach((name, child) -> specs.put(name, spec(child, path.isEmpty() ? name : path + "." + name, seen)));
                s.put("children", specs);
            } else if (c == Linear.class) {
                Linear l = (Linear) m;
                s.put("in_features", l.inFeatures());
                s.put("out_features", l.outFeatures());
                s.put("bias", l.bias != null);
            } else if (c == Conv2d.class) {
                s.put("in_channels", r.positional(0));
                s.put("out_channels", r.positional(1));
                s.put("kernel_size", r.integer("kernel_size", null));
                s.put("stride", r.integer("stride", 1));
                s.put("padding", r.integer("padding", 0));
                s.put("bias", ((Conv2d) m).bias != null);
            } else if (c == MaxPool2d.class || c == AvgPool2d.class) {
                s.put("kernel_size", r.integer("kernel_size", null));
                s.put("stride", r.integer("stride", null));
                s.put("padding", r.integer("padding", 0));
            } else if (c == BatchNorm1d.class || c == BatchNorm2d.class) {
                s.put("num_features", r.positional(0));
                s.put("eps", r.number("eps"));
                s.put("momentum", r.number("momentum"));
                s.put("affine", ((BatchNorm) m).weight != null);
                s.put("track_running_stats", r.bool("track_running_stats"));
            } else if (c == Dropout.class) {
                s.put("p", r.number("p"));
            } else if (c == Flatten.class) {
                s.put("start_dim", r.integer("start_dim", null));
                s.put("end_dim", r.integer("end_dim", null));
            } else if (c == Softmax.class) {
                s.put("dim", r.integer("dim", null));
            } else if (c != ReLU.class && c != Sigmoid.class && c != Tanh.class) {
                throw unsupported(m, path, "is a " + c.getName() + ", which Kiln cannot rebuild from a file");
            }
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException && e.getMessage() != null && e.getMessage().startsWith("cannot save")) throw e;
            throw unsupported(m, path, "has a description Kiln cannot read back (" + m.extraRepr() + "): " + e.getMessage());
        }
        s.put("training", m.isTraining());
        return s;
    }

    private static IllegalArgumentException unsupported(Module m, String path, String why) {
        return new IllegalArgumentException("cannot save a whole model: the module " + (path.isEmpty() ? "at the top" : "at '" + path + "'") + " ("
                + m.getName() + ") " + why + ". Whole-model checkpoints support " + SUPPORTED_LAYERS
                + "; for other models save model.stateDict() and load it into a model built in code");
    }

    /** The state_dict keys the layers in {@code spec} make, as their constructors do. */
    private static void expectedKeys(Map<?, ?> spec, String prefix, Set<String> out) {
        switch (String.valueOf(spec.get("type"))) {
            case "Sequential" -> ((Map<?, ?>) spec.get("children")).forEach((n, c) -> expectedKeys((Map<?, ?>) c, prefix + n + ".", out));
            case "Linear", "Conv2d" -> {
                out.add(prefix + "weight");
                if (Boolean.TRUE.equals(spec.get("bias"))) out.add(prefix + "bias");
            }
            case "BatchNorm1d", "BatchNorm2d" -> {
                if (Boolean.TRUE.equals(spec.get("affine"))) {
                    out.add(prefix + "weight");
                    out.add(prefix + "bias");
                }
                if (Boolean.TRUE.equals(spec.get("track_running_stats"))) {
                    out.add(prefix + "running_mean");
                    out.add(prefix + "running_var");
                    out.add(prefix + "num_batches_tracked");
                }
            }
            default -> { }
        }
    }

    /** A layer's {@code extraRepr()} in PyTorch's format, read back: positional values, then {@code key=value} pairs. */
    private static final class Repr {
        private final List<String> positional = new ArrayList<>();
        private final Map<String, String> named = new LinkedHashMap<>();

        Repr(String text) {
            int depth = 0, start = 0;
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < text.length(); i++) {
                char ch = text.charAt(i);
                if (ch == '(' || ch == '[') depth++;
                else if (ch == ')' || ch == ']') depth--;
                else if (ch == ',' && depth == 0) {
                    parts.add(text.substring(start, i).trim());
                    start = i + 1;
                }
            }
            if (!text.isBlank()) parts.add(text.substring(start).trim());
            for (String p : parts) {
                int eq = p.indexOf('=');
                if (eq < 0) positional.add(p);
                else named.put(p.substring(0, eq).trim(), p.substring(eq + 1).trim());
            }
        }

        int positional(int i) { return Integer.parseInt(positional.get(i)); }

        /** An integer argument, or the first of a square pair such as {@code (5, 5)}. */
        int integer(String key, Integer fallback) {
            String v = named.get(key);
            if (v == null) {
                if (fallback == null) throw new IllegalArgumentException("no " + key);
                return fallback;
            }
            if (v.startsWith("(")) {
                String[] pair = v.substring(1, v.length() - 1).split(",");
                int first = Integer.parseInt(pair[0].trim());
                for (String other : pair) if (Integer.parseInt(other.trim()) != first) throw new IllegalArgumentException(key + " " + v + " is not square");
                return first;
            }
            return Integer.parseInt(v);
        }

        double number(String key) {
            String v = named.get(key);
            if (v == null) throw new IllegalArgumentException("no " + key);
            return Double.parseDouble(v);
        }

        boolean bool(String key) {
            String v = named.get(key);
            if ("True".equals(v)) return true;
            if ("False".equals(v)) return false;
            throw new IllegalArgumentException(key + " is " + v);
        }
    }

    private static Module loadModel(Path file, Safetensors.RawContents raw) throws IOException {
        String json = raw.metadata().get("architecture");
        if (json == null) throw corrupt(file, "a model checkpoint needs 'architecture' in its metadata");
        if (!(parseJson(file, "architecture", json) instanceof Map<?, ?> spec)) throw corrupt(file, "metadata 'architecture' is not a JSON object");
        Module model;
        try {
            model = withoutTouchingTheDefaultGenerator(() -> build(spec, ""));
        } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
            throw corrupt(file, "architecture cannot be built: " + e.getMessage());
        }
        Map<String, Tensor> state = tensors(raw, order(file, raw));
        try {
            model.loadStateDict(state);
        } catch (IllegalArgumentException e) {
            throw corrupt(file, "weights do not fit the architecture: " + e.getMessage());
        }
        model.namedModules().forEach((path, m) -> m.train(trainingOf(spec, path)));
        String frozen = raw.metadata().get("frozen");
        if (frozen != null) {
            if (!(parseJson(file, "frozen", frozen) instanceof List<?> names)) throw corrupt(file, "metadata 'frozen' is not a JSON list");
            Map<String, Parameter> params = model.namedParameters();
            for (Object n : names) {
                Parameter p = params.get(String.valueOf(n));
                if (p == null) throw corrupt(file, "metadata 'frozen' names '" + n + "', which is not a parameter of the model");
                p.requiresGrad_(false);
            }
        }
        return model;
    }

    /** A module's training flag from the spec tree ({@code path} dotted, "" for the root). */
    private static boolean trainingOf(Map<?, ?> spec, String path) {
        Map<?, ?> s = spec;
        if (!path.isEmpty()) for (String part : path.split("\\.")) s = (Map<?, ?>) ((Map<?, ?>) s.get("children")).get(part);
        return !Boolean.FALSE.equals(s.get("training"));
    }

    private static Module build(Map<?, ?> s, String path) {
        String type = String.valueOf(s.get("type"));
        String where = path.isEmpty() ? "the top" : "'" + path + "'";
        return switch (type) {
            case "Sequential" -> {
                if (!(s.get("children") instanceof Map<?, ?> children)) throw new IllegalArgumentException("Sequential at " + where + " has no children map");
                Map<String, Module> built = new LinkedHashMap<>();
                children.forEach((n, c) -> {
                    if (!(c instanceof Map<?, ?> child)) throw new IllegalArgumentException("child '" + n + "' at " + where + " is not an object");
                    built.put(String.valueOf(n), build(child, path.isEmpty() ? String.valueOf(n) : path + "." + n));
                });
                yield new Sequential(built);
            }
            case "Linear" -> new Linear(i(s, "in_features"), i(s, "out_features"), b(s, "bias"));
            case "Conv2d" -> new Conv2d(i(s, "in_channels"), i(s, "out_channels"), i(s, "kernel_size"), i(s, "stride"), i(s, "padding"), b(s, "bias"));
            case "MaxPool2d" -> new MaxPool2d(i(s, "kernel_size"), i(s, "stride"), i(s, "padding"));
            case "AvgPool2d" -> new AvgPool2d(i(s, "kernel_size"), i(s, "stride"), i(s, "padding"));
            case "BatchNorm1d" -> new BatchNorm1d(i(s, "num_features"), d(s, "eps"), d(s, "momentum"), b(s, "affine"), b(s, "track_running_stats"));
            case "BatchNorm2d" -> new BatchNorm2d(i(s, "num_features"), d(s, "eps"), d(s, "momentum"), b(s, "affine"), b(s, "track_running_stats"));
            case "Dropout" -> new Dropout(d(s, "p"));
            case "Flatten" -> new Flatten(i(s, "start_dim"), i(s, "end_dim"));
            case "Softmax" -> new Softmax(i(s, "dim"));
            case "ReLU" -> new ReLU();
            case "Sigmoid" -> new Sigmoid();
            case "Tanh" -> new Tanh();
            default -> throw new IllegalArgumentException("unknown layer type '" + type + "' at " + where + "; Kiln rebuilds " + SUPPORTED_LAYERS);
        };
    }

    private static int i(Map<?, ?> s, String key) {
        if (!(s.get(key) instanceof Long v) || v != v.intValue()) throw new IllegalArgumentException(s.get("type") + "." + key + " must be an integer, got " + s.get(key));
        return v.intValue();
    }

    private static double d(Map<?, ?> s, String key) {
        if (!(s.get(key) instanceof Number v)) throw new IllegalArgumentException(s.get("type") + "." + key + " must be a number, got " + s.get(key));
        return v.doubleValue();
    }

    private static boolean b(Map<?, ?> s, String key) {
        if (!(s.get(key) instanceof Boolean v)) throw new IllegalArgumentException(s.get("type") + "." + key + " must be true or false, got " + s.get(key));
        return v;
    }

    /**
     * Runs {@code body} (which builds layers, whose constructors draw initial weights that the checkpoint then
     * replaces) without advancing the default generator, so loading a model leaves the random stream as it was, as
     * {@code torch.load} does.
     */
    private static <T> T withoutTouchingTheDefaultGenerator(Supplier<T> body) {
        return Kiln.defaultGenerator().withoutAdvancing(body);
    }

}
