package dev.kiln.dsl.nn;

import dev.kiln.dsl.F;
import dev.kiln.dsl.Tensor;

/** Max over square windows; the stride defaults to the kernel size. */
public class MaxPool2d extends Module {
    private final int kernelSize, stride, padding;

    public MaxPool2d(int kernelSize) { this(kernelSize, kernelSize, 0); }

    public MaxPool2d(int kernelSize, int stride) { this(kernelSize, stride, 0); }

    public MaxPool2d(int kernelSize, int stride, int padding) {
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
    }

    @Override public Tensor forward(Tensor input) { return F.maxPool2d(input, kernelSize, stride, padding); }

    @Override public String extraRepr() {
        return "kernel_size=" + kernelSize + ", stride=" + stride + ", padding=" + padding + ", dilation=1, ceil_mode=False";
    }
}
