package dev.kiln.codegen.jvm.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Gemm.best() on a JVM started without --add-modules jdk.incubator.vector: the scalar implementation, working. */
class GemmFallbackTest {

    /** Runs in the child JVM: prints the implementation's name and a small product. */
    public static final class Main {
        public static void main(String[] args) {
            float[] a = {1, 2, 3, 4, 5, 6}, b = {7, 8, 9, 10, 11, 12}, c = new float[4];
            Gemm.best().sgemm(2, 2, 3, a, b, c, false, Parallelism.shared(2));
            System.out.println(Gemm.best().name() + " " + Gemm.vectorized() + " " + java.util.Arrays.toString(c));
        }
    }

    @Test
    void scalarFallbackWithoutIncubatorModule() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertEquals("scalar-4x4 false [58.0, 64.0, 139.0, 154.0]", out);
    }
}
