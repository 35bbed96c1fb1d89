package dev.kiln.examples;

import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.TrainingStep;
import dev.kiln.dsl.nn.CrossEntropyLoss;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.Module;
import dev.kiln.dsl.nn.Parameter;
import dev.kiln.dsl.nn.ReLU;
import dev.kiln.dsl.nn.Sequential;
import dev.kiln.dsl.optim.SGD;
import dev.kiln.ir.DType;
import dev.kiln.ir.Shape;
import dev.kiln.runtime.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A compiled step saved, loaded in a fresh JVM without the DSL, and trained on: bit-identical to training on here. */
class AotArtifactTest {

    @Test
    void continuingInAFreshJvmIsBitIdentical(@TempDir Path dir) throws Exception {
        Kiln.manualSeed(7);
        Module net = new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 3));
        Tensor x = Kiln.randn(4, 8), labels = Kiln.tensor(0L, 2L, 1L, 2L);
        TrainingStep step = TrainingStep.compile(net, new CrossEntropyLoss(), new SGD(net.parameters(), 0.1, 0.9), x, labels);
        for (int i = 0; i < 3; i++) step.step(x, labels);
        Path artifact = dir.resolve("step.kiln"), data = dir.resolve("data.safetensors"), out = dir.resolve("out.safetensors");
        step.save(artifact);
        Safetensors.write(data, Map.of(
                "input", new Safetensors.Entry(DType.F32, Shape.of(4, 8), x.toDoubleArray()),
                "target", new Safetensors.Entry(DType.I64, Shape.of(4), labels.toDoubleArray())), Map.of());

        List<Double> losses = new ArrayList<>();
        for (int i = 0; i < 10; i++) losses.add(step.step(x, labels));

        Process child = new ProcessBuilder(javaCommand(), "--add-modules", "jdk.incubator.vector", "-cp", runtimeOnlyClassPath(),
                "dev.kiln.runtime.aot.ArtifactRunner", artifact.toString(), data.toString(), "10", out.toString())
                .redirectErrorStream(true).start();
        String log = new String(child.getInputStream().readAllBytes());
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "child JVM timed out\n" + log);
        assertEquals(0, child.exitValue(), "child JVM failed:\n" + log);

        Safetensors.Contents result = Safetensors.read(out);
        for (int i = 0; i < 10; i++) {
            assertEquals(losses.get(i), result.get("loss." + i).values()[0], 0.0, "loss " + i + " (bitwise)");
        }
        net.namedParameters().forEach((name, p) -> assertBitwise(p, result.get("param." + name), name));
    }

    private static void assertBitwise(Parameter p, Safetensors.Entry e, String name) {
        float[] here = p.toFloatArray();
        double[] there = e.values();
        assertEquals(here.length, there.length, name);
        for (int i = 0; i < here.length; i++) {
            assertEquals(Float.floatToRawIntBits(here[i]), Float.floatToRawIntBits((float) there[i]), name + "[" + i + "] differs");
        }
    }

    /** The test's class path minus the DSL, the examples and Kotlin: what a serving machine would have. */
    static String runtimeOnlyClassPath() {
        List<String> keep = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            boolean kiln = entry.contains("kiln-ir") || entry.contains("kiln-runtime") || entry.contains("kiln-codegen-jvm")
                    || entry.matches(".*[/\\\\](ir|runtime|codegen-jvm)[/\\\\]target[/\\\\]classes.*");
            if (kiln || entry.contains("/org/ow2/asm/")) keep.add(entry);
        }
        String cp = String.join(File.pathSeparator, keep);
        assertFalse(cp.contains("kiln-dsl") || cp.contains("/dsl/target") || cp.contains("kotlin"), "the child must not see the DSL: " + cp);
        return cp;
    }

    static String javaCommand() { return Path.of(System.getProperty("java.home"), "bin", "java").toString(); }
}
