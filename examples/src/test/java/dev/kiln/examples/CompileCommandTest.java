package dev.kiln.examples;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code kiln compile}: the artifact, the compile-time report, and what --emit writes for each device. */
class CompileCommandTest {
    private static final Pattern REPORT = Pattern.compile("compiled lenet training step \\(batch 64\\) for (\\w+): (\\d+) kernels in (\\d+) ms");

    @Test
    void cpuArtifactAndBytecodeListings(@TempDir Path dir) throws Exception {
        String text = ExamplesTest.run("compile", "lenet", "--batch", "64", "--out", dir.resolve("a.kiln").toString(), "--emit", dir.resolve("emit").toString());
        int kernels = kernels(text, "cpu");
        assertTrue(Files.size(dir.resolve("a.kiln")) > 0);
        assertTrue(Files.readString(dir.resolve("emit/kernels.txt")).contains("contraction"));
        assertTrue(Files.readString(dir.resolve("emit/K" + (kernels - 1) + ".bytecode.txt")).contains("class "));
    }

    /** Needs nvcc (CI has it) but no GPU: the .cu holds every kernel (split contractions as two functions) and the PTX every entry point, for sm_90. */
    @Test
    void cudaSourceAndPtx(@TempDir Path dir) throws Exception {
        if (!dev.kiln.codegen.cuda.PtxCompiler.available()) {
            if (System.getenv("CI") != null) throw new IllegalStateException("CI must have nvcc on the PATH (see .ci/run)");
            Assumptions.abort("no nvcc or NVRTC here: kiln compile --device cuda can't make PTX");
        }
        String text = ExamplesTest.run("compile", "lenet", "--batch", "64", "--device", "cuda", "--out", dir.resolve("c.kiln").toString(),
                "--emit", dir.resolve("emit").toString());
        int kernels = kernels(text, "cuda");
        String cu = Files.readString(dir.resolve("emit/kernels.cu")), ptx = Files.readString(dir.resolve("emit/kernels.ptx"));
        int splits = count(cu, "_part(");
        assertTrue(splits > 0, "LeNet's weight gradients are contractions split along k (a _part and a _sum function each)");
        assertEquals(kernels + splits, count(cu, "__global__ void"), "one __global__ function per kernel, two per split contraction");
        assertEquals(kernels + splits, count(ptx, ".entry "), "one PTX entry per function");
        assertTrue(ptx.contains(".target sm_90") || !text.contains("sm_90"), "PTX for the architecture the report names");
    }

    private static int kernels(String text, String device) {
        Matcher m = REPORT.matcher(text);
        assertTrue(m.find(), text);
        assertEquals(device, m.group(1));
        return Integer.parseInt(m.group(2));
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }
}
