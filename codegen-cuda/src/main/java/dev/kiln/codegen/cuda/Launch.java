package dev.kiln.codegen.cuda;

import java.util.List;

/**
 * How to launch one rendered CUDA function: its name, the kernel of the graph it computes (a split contraction has
 * two launches for one kernel), grid and block size (threads in x only), and what is bound to its parameters in order
 * (the output first, then every buffer it reads): a graph buffer's id, or for a program's own scratch memory
 * {@link #scratch(int)}.
 */
public record Launch(String name, int kernel, int gridX, int gridY, int gridZ, int block, List<Integer> buffers) {
    public Launch {
        buffers = List.copyOf(buffers);
    }

    /** The parameter entry for scratch buffer {@code index} of {@link CudaSource#scratchBytes()}: negative, unlike buffer ids. */
    public static int scratch(int index) { return -1 - index; }

    /** Which scratch buffer a negative parameter entry names. */
    public static int scratchIndex(int entry) { return -1 - entry; }

    /** Whether there is anything to run (a kernel over an empty shape has no blocks). */
    public boolean empty() { return (long) gridX * gridY * gridZ == 0; }
}
