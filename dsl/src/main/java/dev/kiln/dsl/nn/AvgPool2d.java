package dev.kiln.dsl.nn;

import dev.kiln.dsl.F;
import dev.kiln.dsl.Tensor;

/** Mean over square windows (padding counted as zeros); the stride defaults to the kernel size. */
public class AvgPool2d extends Module {
    private final int kernelSize, stride, padding;

    public AvgPool2d(int kernelSize) { this(kernelSize, kernelSize, 0); }

    public AvgPool2d(int kernelSize, int stride, int padding) {
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
    }

    @Override public Tensor forward(Tensor input) { return F.avgPool2d(input, kernelSize, stride, padding); }

    @Override public String extraRepr() { return "kernel_size=" + kernelSize + ", stride=" + stride + ", padding=" + padding; }
}
