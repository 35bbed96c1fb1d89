package dev.kiln.runtime.aot;

import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.runtime.Safetensors;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Continues training from a saved step without the DSL:
 * {@code java -cp <ir, runtime, backend jars> dev.kiln.runtime.aot.ArtifactRunner STEP.zip DATA.safetensors STEPS OUT.safetensors}.
 * DATA holds the batch as tensors {@code input} and {@code target}; OUT receives every state entry after the steps and
 * the losses as {@code loss.0}, {@code loss.1}, ...
 */
public final class ArtifactRunner {
    private ArtifactRunner() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: ArtifactRunner STEP.zip DATA.safetensors STEPS OUT.safetensors");
            System.exit(2);
        }
        LoadedStep step = LoadedStep.load(Path.of(args[0]));
        Safetensors.Contents data = Safetensors.read(Path.of(args[1]));
        Safetensors.Entry x = data.get("input"), y = data.get("target");
        HostBuffer input = HostBuffer.of(x.dtype(), x.values()), target = HostBuffer.of(y.dtype(), y.values());
        int steps = Integer.parseInt(args[2]);
        Map<String, Safetensors.Entry> out = new LinkedHashMap<>();
        for (int i = 0; i < steps; i++) {
            double loss = step.step(input, target);
            out.put("loss." + i, new Safetensors.Entry(dev.kiln.ir.DType.F64, dev.kiln.ir.Shape.scalar(), new double[] {loss}));
        }
        step.state().forEach((name, b) -> out.put(name, new Safetensors.Entry(b.dtype(), dev.kiln.ir.Shape.of(b.length()), b.toDoubles())));
        Safetensors.write(Path.of(args[3]), out, Map.of());
        System.out.println("ran " + steps + " steps; last loss " + out.get("loss." + (steps - 1)).values()[0]);
    }
}
