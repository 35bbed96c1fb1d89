package dev.kiln.dsl.data;

/**
 * A map-style dataset ({@code torch.utils.data.Dataset}): {@link #size()} samples, sample {@code i} from
 * {@link #get(int)}. {@link DataLoader} batches any dataset whose samples are a {@code Tensor}, a {@code Tensor[]} or a
 * {@code List} of tensors and numbers; {@link TensorDataset} (and {@link MnistDataset}) are gathered straight from
 * their backing arrays, one copy per batch.
 */
public interface Dataset<T> {
    /** The number of samples ({@code len(dataset)}). */
    int size();

    /** Sample {@code i}, 0 &lt;= i &lt; size(). */
    T get(int i);
}
