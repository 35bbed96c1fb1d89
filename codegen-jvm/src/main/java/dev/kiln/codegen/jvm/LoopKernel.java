package dev.kiln.codegen.jvm;

/** A generated pointwise or reduction kernel: runs the loop nest for parallel-axis indices {@code [lo, hi)}. */
public interface LoopKernel {
    void run(Object[] buffers, int lo, int hi);
}
