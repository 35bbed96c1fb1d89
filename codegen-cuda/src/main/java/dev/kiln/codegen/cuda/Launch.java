package dev.kiln.codegen.cuda;

import java.util.List;

/**
 * How to launch one rendered kernel: its function name, grid and block size (threads in x only), and the buffer ids
 * bound to its parameters in order (the output first, then every buffer it reads).
 */
public record Launch(String name, int gridX, int gridY, int gridZ, int block, List<Integer> buffers) implements java.io.Serializable {
    public Launch {
        buffers = List.copyOf(buffers);
    }

    /** Whether there is anything to run (a kernel over an empty shape has no blocks). */
    public boolean empty() { return (long) gridX * gridY * gridZ == 0; }
}
