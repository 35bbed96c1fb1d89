package dev.kiln.runtime.aot;

import dev.kiln.ir.DType;
import dev.kiln.ir.Rng;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.runtime.Executor;
import dev.kiln.runtime.Safetensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training step loaded from a {@link StepArtifact}: it trains on batches given as buffers and can be saved again.
 * It runs exactly the stored code on exactly the stored state, so continuing here matches continuing in the JVM that
 * saved it, bit for bit.
 */
public final class LoadedStep {
    private final StepArtifact artifact;
    private final Program program;
    private final HostBuffer[] in, out, next;
    private final HostBuffer loss;
    private long stepsDone;

    private LoadedStep(StepArtifact artifact) {
        this.artifact = artifact;
        this.program = Executor.load(artifact.backend(), artifact.graph(), artifact.code());
        KernelGraph g = artifact.graph();
        in = new HostBuffer[artifact.bindings().size()];
        for (int i = 0; i < in.length; i++) {
            StepArtifact.Binding b = artifact.bindings().get(i);
            KernelGraph.BufferInfo info = g.buffer(g.inputs().get(i));
            in[i] = switch (b.kind()) {
                case "input", "target" -> null;
                case "seed" -> HostBuffer.allocate(DType.I64, 1);
                case "updated", "owned", "fixed" -> {
                    Safetensors.Entry e = artifact.values().get(b.name());
                    if (e == null) throw new IllegalArgumentException("artifact has no value for " + b.name());
                    yield HostBuffer.of(info.dtype(), e.values());
                }
                default -> throw new IllegalArgumentException("unknown binding kind " + b.kind());
            };
        }
        out = new HostBuffer[g.outputs().size()];
        next = new HostBuffer[g.outputs().size()];
        loss = HostBuffer.allocate(g.buffer(g.outputs().get(0)).dtype(), 1);
        for (int o = 1; o < out.length; o++) {
            KernelGraph.BufferInfo info = g.buffer(g.outputs().get(o));
            next[o] = HostBuffer.allocate(info.dtype(), info.shape().numel());
        }
        stepsDone = artifact.stepsDone();
    }

    public static LoadedStep load(Path file) throws IOException { return new LoadedStep(StepArtifact.read(file)); }

    /** One training step on a batch (row-major buffers of the shapes the step was compiled for); returns the loss. */
    public double step(HostBuffer input, HostBuffer target) {
        for (int i = 0; i < in.length; i++) {
            switch (artifact.bindings().get(i).kind()) {
                case "input" -> in[i] = input;
                case "target" -> in[i] = target;
                case "seed" -> in[i].set(0, seed(artifact.seedBase(), stepsDone));
                default -> { }
            }
        }
        out[0] = loss;
        for (int o = 1; o < out.length; o++) out[o] = next[o];
        program.runInto(in, out);
        for (int o = 1; o < out.length; o++) {                 // the updated values become the next step's inputs
            int b = artifact.updates().get(o - 1);
            HostBuffer old = in[b];
            in[b] = out[o];
            next[o] = old;
        }
        stepsDone++;
        return loss.get(0);
    }

    /** The seed of step {@code n}'s random draws: the same in every JVM. */
    public static long seed(long base, long n) { return Rng.mix(base + n); }

    /** The current value of every named state entry (parameters, optimizer state, step counts, hyper-parameters). */
    public Map<String, HostBuffer> state() {
        Map<String, HostBuffer> s = new LinkedHashMap<>();
        for (int i = 0; i < in.length; i++) {
            StepArtifact.Binding b = artifact.bindings().get(i);
            if (b.kind().equals("updated") || b.kind().equals("owned")) s.put(b.name(), in[i]);
        }
        return s;
    }

    /** Saves the step with its current state (to continue elsewhere later). */
    public void save(Path file) throws IOException {
        Map<String, Safetensors.Entry> values = new LinkedHashMap<>(artifact.values());
        KernelGraph g = artifact.graph();
        for (int i = 0; i < in.length; i++) {
            StepArtifact.Binding b = artifact.bindings().get(i);
            if (b.kind().equals("updated")) values.put(b.name(), StepArtifact.entry(in[i], g.buffer(g.inputs().get(i)).shape()));
        }
        new StepArtifact(artifact.backend(), g, artifact.code(), artifact.bindings(), artifact.updates(), values, artifact.seedBase(), stepsDone)
                .write(file);
    }

    public long stepsDone() { return stepsDone; }
}
