package dev.kiln.runtime;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Interpreter;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.backend.Backend;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.Scheduler;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Computes values of graph nodes on the selected backend ({@code -Dkiln.backend=NAME}, default {@code jvm};
 * {@code interpreter} evaluates with the reference interpreter instead). Compiled programs are cached by the
 * graph's structure — leaves and already-computed values count only by shape and dtype — so running the same
 * computation again on new data compiles nothing. {@link #realize(String, List, Map)} and {@link #compile(String, List)}
 * name the backend instead (the DSL computes a tensor on its device's backend).
 */
public final class Executor {
    /** The reference interpreter's name as a backend choice. */
    public static final String INTERPRETER = "interpreter";

    private static final Map<Structure, Program> CACHE = new ConcurrentHashMap<>();
    private static final AtomicLong COMPILATIONS = new AtomicLong();
    private static volatile String backendName = System.getProperty("kiln.backend", "jvm");
    private static final Map<String, java.util.Optional<Backend>> FOUND = new ConcurrentHashMap<>();

    private Executor() {}

    /** Placeholder for an input in a structure key: only its shape and dtype matter. */
    private record InputSlot(Shape shape, DType dtype) {}

    /** One node of a canonical graph: its op (inputs as slots) and its inputs' positions. */
    private record Entry(Object op, List<Integer> inputs) {}

    private record Structure(String backend, List<Entry> nodes, List<Integer> outputs) {}

    /**
     * The values of {@code outputs}, given the values of every leaf they depend on (and optionally of other nodes,
     * which are then inputs rather than recomputed).
     */
    public static List<HostBuffer> realize(List<Node> outputs, Map<Node, HostBuffer> known) {
        return realize(backendName, outputs, known);
    }

    /**
     * The values of {@code outputs} computed on the backend called {@code backend} rather than the selected one (the
     * DSL runs a tensor's work on its device's backend); {@code interpreter} evaluates with the reference interpreter.
     */
    public static List<HostBuffer> realize(String backend, List<Node> outputs, Map<Node, HostBuffer> known) {
        if (backend.equals(INTERPRETER)) return interpret(outputs, known);
        List<Node> order = Graph.topologicalOrder(outputs, n -> n.isLeaf() || known.containsKey(n));
        Map<Node, Integer> position = new IdentityHashMap<>();
        List<Entry> entries = new ArrayList<>();
        List<Node> inputs = new ArrayList<>();
        for (Node n : order) {
            position.put(n, entries.size());
            if (n.isLeaf() || known.containsKey(n)) {
                inputs.add(n);
                entries.add(new Entry(new InputSlot(n.shape(), n.dtype()), List.of()));
            } else {
                List<Integer> in = new ArrayList<>();
                for (Node i : n.inputs()) in.add(position.get(i));
                entries.add(new Entry(n.op(), in));
            }
        }
        List<Integer> outs = new ArrayList<>();
        for (Node o : outputs) outs.add(position.get(o));
        Program program = CACHE.computeIfAbsent(new Structure(backend, entries, outs), s -> compile(backend, outputs, known::containsKey).program());
        List<HostBuffer> in = new ArrayList<>();
        for (Node n : inputs) {
            HostBuffer b = known.get(n);
            if (b == null) throw new IllegalArgumentException("no value bound for leaf " + Graph.attributes(n.op()) + " " + n.shape());
            in.add(b);
        }
        return program.run(in);
    }

    /** Schedules and compiles {@code outputs}, taking the nodes {@code known} accepts as inputs (counted for tests). */
    private static Compiled compile(String backend, List<Node> outputs, java.util.function.Predicate<Node> known) {
        Backend b = backend(backend);
        COMPILATIONS.incrementAndGet();
        if (dev.kiln.ir.DebugFlags.on("ir")) System.err.println("== ir\n" + Graph.dump(outputs));
        Scheduler.Schedule schedule = Scheduler.schedule(outputs, known);
        return new Compiled(b.compile(schedule.graph()), schedule.inputs());
    }

    private static List<HostBuffer> interpret(List<Node> outputs, Map<Node, HostBuffer> known) {
        Map<Node, double[]> values = new IdentityHashMap<>();
        known.forEach((n, b) -> values.put(n, b.toDoubles()));
        Map<Node, double[]> result = Interpreter.evaluate(outputs, values);
        List<HostBuffer> out = new ArrayList<>();
        for (Node o : outputs) out.add(HostBuffer.of(o.dtype(), result.get(o)));
        return out;
    }

    /** A program compiled on its own (not through the cache), with its inputs in the order it takes them. */
    public record Compiled(Program program, List<Node> inputs) {}

    /** Compiles the computation of {@code outputs} from the leaves it depends on, on the selected backend. */
    public static Compiled compile(List<Node> outputs) { return compile(backendName, outputs); }

    /** Compiles the computation of {@code outputs} on the backend called {@code backend} (a compiled step on a model's device). */
    public static Compiled compile(String backend, List<Node> outputs) {
        if (backend.equals(INTERPRETER)) throw new IllegalStateException("compiled programs need a compiling backend, not the interpreter");
        return compile(backend, outputs, n -> false);
    }

    /** Rebuilds a program from stored code on the named backend (ahead-of-time artifacts). */
    public static Program load(String backendName, dev.kiln.ir.kernel.KernelGraph graph, List<byte[]> code) {
        return findBackend(backendName)
                .orElseThrow(() -> new IllegalStateException("the artifact needs backend '" + backendName + "', which is not on the class path"))
                .load(graph, code);
    }

    /** Sets how many threads the selected backend's programs may use (kiln train/bench --threads). */
    public static void setThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        if (!backendName.equals(INTERPRETER)) backend().useThreads(threads);
    }

    /** The selected backend's name, for artifacts. */
    public static String compilingBackend() { return backend().name(); }

    /** How many programs have been compiled so far (tests assert that a repeated computation compiles nothing). */
    public static long compilations() { return COMPILATIONS.get(); }

    /** The backend in use. */
    public static String backendName() { return backendName; }

    /** Switches backend ({@code jvm}, {@code interpreter}, or any other on the class path). */
    public static void useBackend(String name) {
        backendName = name;
    }

    /** Runs {@code body} with another backend selected, then restores the previous one. */
    public static <T> T withBackend(String name, java.util.function.Supplier<T> body) {
        String previous = backendName;
        useBackend(name);
        try {
            return body.get();
        } finally {
            useBackend(previous);
        }
    }

    private static Backend backend() { return backend(backendName); }

    private static Backend backend(String name) {
        return findBackend(name).orElseThrow(() -> {
            List<String> names = new ArrayList<>();
            for (Backend candidate : ServiceLoader.load(Backend.class)) names.add(candidate.name());
            names.add(INTERPRETER);
            return new IllegalStateException("no backend named '" + name + "' on the class path; available: " + names);
        });
    }

    /**
     * The backend called {@code name} on the class path, or empty when there is none (e.g. {@code cuda} without the
     * codegen-cuda module). One instance per name, found once: the class path does not change while running.
     */
    public static java.util.Optional<Backend> findBackend(String name) {
        return FOUND.computeIfAbsent(name, n -> {
            for (Backend candidate : ServiceLoader.load(Backend.class)) if (candidate.name().equals(n)) return java.util.Optional.of(candidate);
            return java.util.Optional.empty();
        });
    }
}
