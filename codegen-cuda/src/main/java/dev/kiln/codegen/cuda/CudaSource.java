package dev.kiln.codegen.cuda;

import java.util.List;

/**
 * A kernel graph rendered to CUDA C: the kernels' source (without the prelude), how to launch each function in
 * order, and the sizes of the scratch buffers the program allocates beside the graph's own (a split contraction's
 * partial sums).
 */
public record CudaSource(String kernels, List<Launch> launches, List<Long> scratchBytes) {
    public CudaSource {
        launches = List.copyOf(launches);
        scratchBytes = List.copyOf(scratchBytes);
    }

    /** A self-contained .cu file: the prelude, then the kernels. */
    public String text() { return CudaRenderer.prelude() + "\n" + kernels; }
}
