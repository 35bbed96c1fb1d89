package dev.kiln.dsl;

import dev.kiln.dsl.nn.Module;
import dev.kiln.dsl.nn.Parameter;
import dev.kiln.dsl.optim.Optimizer;
import dev.kiln.ir.Autodiff;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.runtime.Executor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole training step — forward, loss, backward and the optimizer's update — compiled into one program for given
 * input shapes: {@code TrainingStep.compile(model, loss, optimizer, exampleInput, exampleTarget)}, then
 * {@code step(input, target)} per batch, returning the loss. Parameters and optimizer state stay where the model and
 * optimizer see them; hyper-parameters changed between steps take effect. A batch of another shape compiles (and
 * caches) another program. The program is compiled for, and runs on, the backend of the model's device: move the
 * model ({@code model.to(device)}) and the batches there before compiling.
 */
public final class TrainingStep implements Tensor.StorageOwner {
    /** The loss of an output against a target, e.g. {@code F::crossEntropy}. */
    @FunctionalInterface
    public interface Loss {
        Tensor apply(Tensor output, Tensor target);
    }

    private final Module model;
    private final Loss loss;
    private final Optimizer optimizer;
    private final Map<List<Object>, Compiled> programs = new HashMap<>();
    /** Double buffers of every tensor the step updates (parameters, optimizer state, step counts), shared by all programs. */
    private final Map<Tensor, Slot> slots = new IdentityHashMap<>();
    private int generation;
    /** Step n's random draws use seed mix(seedBase + n): reproducible, also after saving and loading elsewhere. */
    private final long seedBase = Kiln.defaultGenerator().nextLong();
    private Compiled last;

    /** A tensor's storage while this step owns it: the buffer holding its newest value and the one the next run writes. */
    private static final class Slot {
        HostBuffer current, next;
        int syncedVersion;

        void swap() {
            HostBuffer t = current;
            current = next;
            next = t;
        }
    }

    @Override public int generation() { return generation; }

    @Override public HostBuffer current(Tensor t) { return slots.get(t).current; }

    @Override public void synced(Tensor t, int version) { slots.get(t).syncedVersion = version; }

    /**
     * The slot of a tensor this step updates, its buffer holding the tensor's newest value: when the tensor changed
     * outside (an eager step, loadStateDict, an in-place edit) or another owner had it, its value is copied in.
     */
    private Slot slotOf(Tensor t) {
        Slot slot = slots.get(t);
        if (slot != null && t.owner() == this && t.version() == slot.syncedVersion) return slot;
        HostBuffer value = Realizer.buffer(t.node(), t.device());
        if (slot == null) {
            slot = new Slot();
            slot.current = HostBuffer.allocate(value.dtype(), value.length());
            slot.next = HostBuffer.allocate(value.dtype(), value.length());
            slots.put(t, slot);
        }
        System.arraycopy(value.array(), 0, slot.current.array(), 0, value.length());
        t.own(this);
        slot.syncedVersion = t.version();
        return slot;
    }

    private TrainingStep(Module model, Loss loss, Optimizer optimizer) {
        this.model = model;
        this.loss = loss;
        this.optimizer = optimizer;
    }

    /** Compiles a step for the shapes and dtypes of the example input and target. */
    public static TrainingStep compile(Module model, Loss loss, Optimizer optimizer, Tensor exampleInput, Tensor exampleTarget) {
        TrainingStep s = new TrainingStep(model, loss, optimizer);
        s.programFor(exampleInput, exampleTarget);
        return s;
    }

    /** Same, with a loss module such as {@code MSELoss} or {@code CrossEntropyLoss}. */
    public static TrainingStep compile(Module model, Module lossModule, Optimizer optimizer, Tensor exampleInput, Tensor exampleTarget) {
        return compile(model, lossModule::invoke, optimizer, exampleInput, exampleTarget);
    }

    /** Runs one step on a batch and returns its loss (computed before the update, as in the eager loop). */
    public double step(Tensor input, Tensor target) {
        last = programFor(input, target);
        return last.run(input, target);
    }

    /**
     * Saves the program of the last step (or of the example shapes, before any step) with the current parameters,
     * optimizer state and hyper-parameters as one artifact file, loadable without the model's source or the DSL
     * ({@link dev.kiln.runtime.aot.LoadedStep}).
     */
    public void save(java.nio.file.Path file) throws java.io.IOException {
        Compiled c = last != null ? last : programs.values().iterator().next();
        c.artifact().write(file);
    }

    /** How many input signatures have a compiled program. */
    public int programCount() { return programs.size(); }

    private Compiled programFor(Tensor input, Tensor target) {
        List<Object> key = List.of(input.node().shape(), input.dtype(), input.device(), target.node().shape(), target.dtype(), target.device());
        Compiled c = programs.computeIfAbsent(key, k -> new Compiled(input, target));
        if (last == null) last = c;
        return c;
    }

    /** Where a program input's value comes from on each run. */
    private sealed interface Binding {
        record Input() implements Binding {}

        record Target() implements Binding {}

        /** The current value of a tensor the model or optimizer owns that this step only reads (a hyper-parameter). */
        record Owned(Tensor tensor) implements Binding {}

        /** A tensor this step updates: read from its slot's current buffer. */
        record Updated(Tensor tensor) implements Binding {}

        /** A fresh random seed per run (dropout masks must differ between steps). */
        record Seed(HostBuffer buffer) implements Binding {}

        /** A constant captured while tracing (e.g. class indices for a one-hot). */
        record Fixed(HostBuffer buffer) implements Binding {}
    }

    /** Where a model's parameters (else its buffers) live: the device its step runs on. */
    private static Device deviceOf(Module model) {
        for (Parameter p : model.parameters()) return p.device();
        for (Tensor b : model.buffers()) return b.device();
        return Device.CPU;
    }

    /** The program for one input signature. */
    private final class Compiled {
        private final Executor.Compiled compiled;
        /** The backend it was compiled on, for artifacts. */
        private final String backend;
        private final List<Binding> bindings = new ArrayList<>();
        private final List<Tensor> updated = new ArrayList<>();
        private HostBuffer[] in, out;
        private final List<String> names = new ArrayList<>();
        private Slot[] outSlots;
        private final HostBuffer lossBuffer;

        Compiled(Tensor exampleInput, Tensor exampleTarget) {
            Device device = deviceOf(model);
            Devices.requireUsable(device);
            // placeholders on the batches' devices: a batch elsewhere than the model fails while tracing, as in PyTorch
            Tensor x = Tensor.placeholder(exampleInput.node().shape(), exampleInput.dtype(), exampleInput.device(), "input");
            Tensor y = Tensor.placeholder(exampleTarget.node().shape(), exampleTarget.dtype(), exampleTarget.device(), "target");
            Tensor l = loss.apply(model.invoke(x), y);
            if (l.numel() != 1) throw new IllegalArgumentException("the loss must be a single value, got shape " + l.shape());
            List<Parameter> params = new ArrayList<>();
            for (Parameter p : optimizer.parameters()) if (p.requiresGrad()) params.add(p);
            List<Node> paramNodes = new ArrayList<>();
            for (Parameter p : params) paramNodes.add(p.node());
            List<Node> grads = Autodiff.gradients(List.of(l.node()), List.of(Ops.full(1, l.node().shape(), l.dtype())), paramNodes);

            Map<Node, Binding> owned = new IdentityHashMap<>();
            Map<Node, String> naming = new IdentityHashMap<>();
            Map<Parameter, String> paramNames = new IdentityHashMap<>();
            model.namedParameters().forEach((n, p) -> paramNames.put(p, n));
            owned.put(x.node(), new Binding.Input());
            owned.put(y.node(), new Binding.Target());
            naming.put(x.node(), "input");
            naming.put(y.node(), "target");
            optimizer.hyperParameterTensors().forEach((n, h) -> {
                owned.put(h.node(), new Binding.Owned(h));
                naming.put(h.node(), "hyper." + n);
            });
            List<Node> outputs = new ArrayList<>(List.of(l.node()));
            for (int i = 0; i < params.size(); i++) {
                Parameter p = params.get(i);
                Tensor step = optimizer.stepTensor(p);
                Tensor next = step.add(1);
                String pn = paramNames.getOrDefault(p, Integer.toString(i));
                owned.put(p.node(), new Binding.Updated(p));
                owned.put(step.node(), new Binding.Updated(step));
                naming.put(p.node(), "param." + pn);
                naming.put(step.node(), "step." + pn);
                Map<String, Tensor> state = optimizer.stateOf(p);
                state.forEach((sn, t) -> {
                    owned.put(t.node(), new Binding.Updated(t));
                    naming.put(t.node(), "state." + pn + "." + sn);
                });
                Tensor value = Tensor.untracked(p.node(), p.device());
                optimizer.traceUpdate(p, value, Tensor.untracked(grads.get(i), p.device()), next).forEach((name, t) -> {
                    outputs.add(t.node());
                    updated.add(name.equals("param") ? p : state.get(name));
                });
                outputs.add(next.node());
                updated.add(step);
            }
            backend = Devices.backendFor(device);
            compiled = Executor.compile(backend, outputs);
            List<Node> seeds = seeds(outputs);
            for (Node in : compiled.inputs()) {
                Binding b = owned.get(in);
                String name = naming.get(in);
                if (b == null) {
                    boolean seed = seeds.contains(in);
                    b = seed ? new Binding.Seed(HostBuffer.allocate(DType.I64, 1)) : new Binding.Fixed(Realizer.buffer(in, device));
                    name = (seed ? "seed." : "fixed.") + bindings.size();
                }
                bindings.add(b);
                names.add(name);
            }
            lossBuffer = HostBuffer.allocate(l.dtype(), 1);
            in = new HostBuffer[bindings.size()];
            out = new HostBuffer[updated.size() + 1];
            outSlots = new Slot[updated.size()];
        }

        /** One run: binds current values, writes every update into the other half of its double buffer, swaps. */
        double run(Tensor input, Tensor target) {
            for (int i = 0; i < bindings.size(); i++) {
                in[i] = switch (bindings.get(i)) {
                    case Binding.Input b -> value(input);
                    case Binding.Target b -> value(target);
                    case Binding.Owned o -> value(o.tensor());
                    case Binding.Updated u -> slotOf(u.tensor()).current;
                    case Binding.Seed s -> {
                        s.buffer().set(0, dev.kiln.runtime.aot.LoadedStep.seed(seedBase, generation));
                        yield s.buffer();
                    }
                    case Binding.Fixed f -> f.buffer();
                };
            }
            out[0] = lossBuffer;
            for (int i = 0; i < updated.size(); i++) {
                outSlots[i] = slotOf(updated.get(i));
                out[i + 1] = outSlots[i].next;
            }
            compiled.program().runInto(in, out);
            for (Slot slot : outSlots) slot.swap();
            generation++;
            return lossBuffer.get(0);
        }

        /** This program with the current values of everything it reads, as an artifact. */
        dev.kiln.runtime.aot.StepArtifact artifact() {
            var graph = compiled.program().graph();
            List<dev.kiln.runtime.aot.StepArtifact.Binding> specs = new ArrayList<>();
            Map<String, dev.kiln.runtime.Safetensors.Entry> values = new java.util.LinkedHashMap<>();
            for (int i = 0; i < bindings.size(); i++) {
                Binding b = bindings.get(i);
                String kind = switch (b) {
                    case Binding.Input x -> "input";
                    case Binding.Target t -> "target";
                    case Binding.Owned o -> "owned";
                    case Binding.Updated u -> "updated";
                    case Binding.Seed s -> "seed";
                    case Binding.Fixed f -> "fixed";
                };
                specs.add(new dev.kiln.runtime.aot.StepArtifact.Binding(kind, names.get(i)));
                HostBuffer value = switch (b) {
                    case Binding.Owned o -> value(o.tensor());
                    case Binding.Updated u -> slotOf(u.tensor()).current;
                    case Binding.Fixed f -> f.buffer();
                    case Binding.Input x -> null;
                    case Binding.Target t -> null;
                    case Binding.Seed s -> null;
                };
                if (value != null) values.put(names.get(i), dev.kiln.runtime.aot.StepArtifact.entry(value, graph.buffer(graph.inputs().get(i)).shape()));
            }
            List<Integer> updates = new ArrayList<>();
            for (Tensor t : updated) {
                int index = -1;
                for (int i = 0; i < bindings.size(); i++) if (bindings.get(i) instanceof Binding.Updated u && u.tensor() == t) index = i;
                updates.add(index);
            }
            return new dev.kiln.runtime.aot.StepArtifact(backend, graph, compiled.program().code(), specs, updates,
                    values, seedBase, generation);
        }

        /** A tensor's value: its buffer directly when it has one (no allocation), else computed. */
        private static HostBuffer value(Tensor t) {
            HostBuffer b = Realizer.existing(t.node());
            return b != null ? b : Realizer.buffer(t.node(), t.device());
        }

        /** The seed inputs of random draws in the graph. */
        private static List<Node> seeds(List<Node> outputs) {
            List<Node> seeds = new ArrayList<>();
            for (Node n : Graph.topologicalOrder(outputs)) if (n.op() instanceof Op.RandomUniform) seeds.add(n.input(0));
            return seeds;
        }
    }
}
