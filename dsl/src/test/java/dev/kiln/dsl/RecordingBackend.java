package dev.kiln.dsl;

import dev.kiln.ir.backend.Backend;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.KernelGraph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The JVM backend with a recorder: every program run (graph, copies of its inputs, its outputs) is kept, so a test
 * can replay the same graphs on another backend and compare. Selected as backend {@code recording-jvm}.
 */
public final class RecordingBackend implements Backend {
    /** One program run. */
    public record Run(KernelGraph graph, List<HostBuffer> inputs, List<HostBuffer> outputs) {}

    static final List<Run> RUNS = Collections.synchronizedList(new ArrayList<>());

    private final Backend jvm = new dev.kiln.codegen.jvm.JvmBackend();

    @Override public String name() { return "recording-jvm"; }

    @Override public Program compile(KernelGraph graph) { return new Recording(jvm.compile(graph)); }

    @Override public Program load(KernelGraph graph, List<byte[]> code) { return new Recording(jvm.load(graph, code)); }

    @Override public void useThreads(int threads) { jvm.useThreads(threads); }

    private record Recording(Program program) implements Program {
        @Override public KernelGraph graph() { return program.graph(); }

        @Override public List<byte[]> code() { return program.code(); }

        @Override public List<HostBuffer> run(List<HostBuffer> inputs) {
            List<HostBuffer> in = copies(inputs);
            List<HostBuffer> out = program.run(inputs);
            RUNS.add(new Run(graph(), in, copies(out)));
            return out;
        }

        @Override public void runInto(HostBuffer[] inputs, HostBuffer[] outputs) {
            List<HostBuffer> in = copies(List.of(inputs));
            program.runInto(inputs, outputs);
            RUNS.add(new Run(graph(), in, copies(List.of(outputs))));
        }
    }

    static List<HostBuffer> copies(List<HostBuffer> buffers) {
        List<HostBuffer> c = new ArrayList<>();
        for (HostBuffer b : buffers) c.add(HostBuffer.of(b.dtype(), b.toDoubles()));
        return c;
    }
}
