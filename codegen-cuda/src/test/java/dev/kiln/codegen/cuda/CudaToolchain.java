package dev.kiln.codegen.cuda;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Path;

/**
 * What the GPU-less CUDA tests need: nvcc (for PTX) and a C++ compiler (for the host shim). In CI both are required
 * ({@code CI} set): a missing tool fails the test there instead of skipping it, so the check can't silently vanish.
 */
final class CudaToolchain {
    private CudaToolchain() {}

    static void requireNvccAndCxx() {
        boolean nvcc = Tools.onPath("nvcc"), cxx = HostShim.compiler() != null;
        String missing = (nvcc ? "" : "nvcc ") + (cxx ? "" : "a C++ compiler (c++/g++/clang++)");
        if (missing.isEmpty()) return;
        String why = "the CUDA renderer tests need " + missing.trim() + " on the PATH";
        if (System.getenv("CI") != null) throw new IllegalStateException(why + " (CI installs them; see .ci/run)");
        Assumptions.abort(why);
    }

    /** A scratch directory under target/ for generated sources and binaries. */
    static Path workDir(String name) {
        return Path.of(System.getProperty("user.dir"), "target", "cuda-tests", name);
    }
}
