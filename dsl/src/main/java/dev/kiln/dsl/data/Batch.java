package dev.kiln.dsl.data;

import dev.kiln.dsl.Tensor;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * One batch from a {@link DataLoader}: a list of tensors, one per field of the samples, each with the batch as its
 * first dimension (PyTorch's collated list). For (input, label) datasets {@link #inputs()} is float32
 * {@code [B, ...]} and {@link #labels()} int64 {@code [B]}. Being a {@code List}, it destructures in Kotlin:
 * {@code for ((x, y) in loader)}.
 */
public final class Batch extends AbstractList<Tensor> implements RandomAccess {
    private final List<Tensor> tensors;
    private final int batchSize;

    Batch(List<Tensor> tensors, int batchSize) {
        this.tensors = List.copyOf(tensors);
        this.batchSize = batchSize;
    }

    @Override public Tensor get(int index) { return tensors.get(index); }

    /** The number of fields (tensors), e.g. 2 for (inputs, labels); see {@link #batchSize()} for the samples. */
    @Override public int size() { return tensors.size(); }

    /** The number of samples in this batch (the first dimension of every tensor). */
    public int batchSize() { return batchSize; }

    /** The first field (the inputs). */
    public Tensor inputs() { return tensors.get(0); }

    /** The second field (the labels). */
    public Tensor labels() {
        if (tensors.size() < 2) throw new IllegalStateException("this batch has " + tensors.size() + " field(s), no labels");
        return tensors.get(1);
    }
}
