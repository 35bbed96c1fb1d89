package dev.kiln.ir.kernel;

import dev.kiln.ir.DType;
import dev.kiln.ir.Shape;

import java.util.List;

/**
 * A scheduled program: buffers, the kernels that fill them in order, and which buffers are the program's inputs
 * and outputs. {@code slot} is the memory plan: temporaries with the same slot share storage (their lifetimes
 * don't overlap); inputs and outputs have slot -1.
 */
public record KernelGraph(List<BufferInfo> buffers, List<Integer> inputs, List<Integer> outputs, List<Kernel> kernels) {
    public KernelGraph {
        buffers = List.copyOf(buffers);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        kernels = List.copyOf(kernels);
    }

    public enum Role { INPUT, OUTPUT, TEMP }

    public record BufferInfo(int id, Shape shape, DType dtype, Role role, int slot) {}

    public BufferInfo buffer(int id) { return buffers.get(id); }

    /** The number of distinct temporary slots the memory plan uses. */
    public int slotCount() { return (int) buffers.stream().filter(b -> b.slot() >= 0).mapToInt(BufferInfo::slot).distinct().count(); }
}
