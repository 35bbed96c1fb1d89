package dev.kiln.dsl.nn;

import dev.kiln.dsl.F;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;

/** 2-D convolution with a square kernel, weight {@code [out, in, k, k]}, initialised as PyTorch does. */
public class Conv2d extends Module {
    private final int inChannels, outChannels, kernelSize, stride, padding;
    public final Parameter weight;
    public final Parameter bias;

    public Conv2d(int inChannels, int outChannels, int kernelSize) { this(inChannels, outChannels, kernelSize, 1, 0, true); }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding) {
        this(inChannels, outChannels, kernelSize, stride, padding, true);
    }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, boolean bias) {
        if (kernelSize <= 0 || stride <= 0 || padding < 0) {
            throw new IllegalArgumentException("Conv2d: kernel_size and stride must be positive and padding non-negative, got "
                    + kernelSize + ", " + stride + ", " + padding);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
        this.weight = new Parameter(Kiln.zeros(outChannels, inChannels, kernelSize, kernelSize));
        this.bias = bias ? new Parameter(Kiln.zeros(outChannels)) : null;
        Init.defaultInit(weight, this.bias);
    }

    @Override public Tensor forward(Tensor input) { return F.conv2d(input, weight, bias, stride, padding); }

    @Override protected String summary() { return "Conv2d " + inChannels + "→" + outChannels + ", " + kernelSize + "x" + kernelSize; }

    @Override public String extraRepr() {
        String s = inChannels + ", " + outChannels + ", kernel_size=(" + kernelSize + ", " + kernelSize + "), stride=(" + stride + ", " + stride + ")";
        if (padding != 0) s += ", padding=(" + padding + ", " + padding + ")";
        if (bias == null) s += ", bias=False";
        return s;
    }
}
