package dev.kiln.codegen.cuda;

import java.util.List;

/**
 * A kernel graph rendered to CUDA C: the kernels' source (without the prelude) and how to launch each, in the
 * graph's order.
 */
public record CudaSource(String kernels, List<Launch> launches) {
    public CudaSource {
        launches = List.copyOf(launches);
    }

    /** A self-contained .cu file: the prelude, then the kernels. */
    public String text() { return CudaRenderer.prelude() + "\n" + kernels; }
}
