package dev.kiln.ir.backend;

import dev.kiln.ir.kernel.KernelGraph;

import java.util.List;

/** A compiled kernel graph. */
public interface Program {
    KernelGraph graph();

    /** The generated code, one entry per kernel (JVM class files, PTX, ...), for ahead-of-time artifacts. */
    List<byte[]> code();

    /**
     * Runs the kernels. {@code inputs} follow {@link KernelGraph#inputs()}; the result follows
     * {@link KernelGraph#outputs()}, with fresh buffers the caller owns (an output that is also an input is that
     * input's buffer).
     */
    List<HostBuffer> run(List<HostBuffer> inputs);

    /**
     * Runs the kernels writing the results into {@code outputs} (buffers of the outputs' dtypes and sizes, which the
     * caller owns and may reuse). An output must not be one of the inputs. Allocates nothing in steady state, so a
     * training loop can call it every step.
     */
    void runInto(HostBuffer[] inputs, HostBuffer[] outputs);
}
