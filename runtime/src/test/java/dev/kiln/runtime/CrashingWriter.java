package dev.kiln.runtime;

import dev.kiln.ir.DType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.backend.HostBuffer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/** Run in its own JVM by SafetensorsTest: overwrites a checkpoint and halts the JVM half-way, as a crash or kill -9 would. */
public final class CrashingWriter {
    static final int EXIT = 77;

    public static void main(String[] args) throws Exception {
        float[] v = new float[300_000];
        Arrays.fill(v, 2);
        Safetensors.writeHook = (temp, bytes) -> {
            if (bytes > 600_000) {
                System.out.println("crashing after " + bytes + " bytes of " + temp);
                System.out.flush();
                Runtime.getRuntime().halt(EXIT);
            }
        };
        Safetensors.writeRaw(Path.of(args[0]), Map.of("w", new Safetensors.Buffer(Shape.of(v.length), HostBuffer.wrap(DType.F32, v))),
                Map.of("version", "crashed"));
        System.out.println("not crashed");
    }
}
