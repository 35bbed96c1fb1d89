package dev.kiln.dsl.data;

import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.backend.HostBuffer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tensors sharing their first dimension, sample {@code i} being row {@code i} of each
 * ({@code torch.utils.data.TensorDataset}). The values are held in flat arrays, so a {@link DataLoader} gathers a
 * batch with one array copy per field, never one tensor per sample.
 */
public class TensorDataset implements Dataset<List<Tensor>> {
    private final List<Column> columns;
    private final int size;

    /** Rows of {@code tensors} (their values are copied once, now). */
    public TensorDataset(Tensor... tensors) { this(columnsOf(tensors)); }

    TensorDataset(List<Column> columns) {
        if (columns.isEmpty()) throw new IllegalArgumentException("TensorDataset needs at least one tensor");
        int n = columns.get(0).rows();
        for (Column c : columns) {
            if (c.rows() != n) {
                throw new IllegalArgumentException("Size mismatch between tensors: first dimensions "
                        + columns.stream().map(x -> String.valueOf(x.rows())).toList());
            }
        }
        this.columns = List.copyOf(columns);
        this.size = n;
    }

    /**
     * float32 inputs of row shape {@code inputShape} from {@code inputs} (row-major, used without copying) with
     * int64 {@code labels}, one per row.
     */
    public static TensorDataset of(float[] inputs, int[] inputShape, long[] labels) {
        return new TensorDataset(List.of(Column.of(DType.F32, inputShape, inputs), Column.of(DType.I64, new int[0], labels)));
    }

    @Override public int size() { return size; }

    /** Row {@code i} of each tensor (new tensors; {@link DataLoader} does not go through here). */
    @Override public List<Tensor> get(int i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("index " + i + " is out of range for a dataset of size " + size);
        List<Tensor> row = new ArrayList<>(columns.size());
        for (Column c : columns) row.add(Kiln.tensor(c.gather(new int[] {i}, 0, 1), c.rowShape()));
        return row;
    }

    /** The number of tensors per sample. */
    public int fields() { return columns.size(); }

    /** The shape of one sample's field {@code f} (without the dataset dimension). */
    public int[] rowShape(int f) { return columns.get(f).rowShape(); }

    public DType dtype(int f) { return columns.get(f).dtype(); }

    List<Column> columns() { return columns; }

    /** The values of rows {@code order[from..to)}, one buffer per field. */
    HostBuffer[] gather(int[] order, int from, int to) {
        HostBuffer[] out = new HostBuffer[columns.size()];
        for (int f = 0; f < out.length; f++) out[f] = columns.get(f).gather(order, from, to);
        return out;
    }

    private static List<Column> columnsOf(Tensor[] tensors) {
        List<Column> columns = new ArrayList<>();
        for (Tensor t : tensors) {
            if (t.dim() == 0) throw new IllegalArgumentException("TensorDataset needs tensors of at least one dimension, got a 0-d tensor");
            int[] shape = t.shape().toArray();
            int[] row = Arrays.copyOfRange(shape, 1, shape.length);
            Object values = switch (t.dtype()) {
                case F32 -> t.toFloatArray();
                case I64 -> t.toLongArray();
                default -> t.toDoubleArray();
            };
            columns.add(Column.of(t.dtype(), row, values));
        }
        return columns;
    }
}
