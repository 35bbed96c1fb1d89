package dev.kiln.dsl.data;

import dev.kiln.ir.DType;
import dev.kiln.ir.backend.HostBuffer;

import java.util.Arrays;

/**
 * One field of an array-backed dataset: {@code rows} rows of {@code rowShape}, all in one flat array (float[] for
 * float32, long[] for int64, double[] otherwise), so a batch is one gather into one array.
 */
record Column(DType dtype, int[] rowShape, int rowSize, int rows, Object array) {

    static Column of(DType dtype, int[] rowShape, Object array) {
        int rowSize = 1;
        for (int d : rowShape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in row shape " + Arrays.toString(rowShape));
            rowSize = Math.multiplyExact(rowSize, d);
        }
        int length = switch (array) {
            case float[] f -> f.length;
            case long[] l -> l.length;
            case double[] d -> d.length;
            default -> throw new IllegalArgumentException("unsupported column array " + array.getClass().getSimpleName());
        };
        if ((array instanceof float[] && dtype != DType.F32) || (array instanceof long[] && dtype != DType.I64)) {
            throw new IllegalArgumentException("a " + array.getClass().getSimpleName() + " column holds " + (array instanceof float[] ? "float32" : "int64")
                    + ", not " + dtype.torchName() + "; other types are given as double[]");
        }
        if (rowSize == 0 ? length != 0 : length % rowSize != 0) {
            throw new IllegalArgumentException(length + " values are not a whole number of rows of shape " + Arrays.toString(rowShape));
        }
        return new Column(dtype, rowShape.clone(), rowSize, rowSize == 0 ? 0 : length / rowSize, array);
    }

    /**
     * Copies rows {@code order[from..to)}, in that order, into one new buffer of the column's type: float32 and int64
     * rows are copied as they are (no round trip through double: the data loader's batches are tensors as soon as
     * they arrive), other types converted from their double storage.
     */
    HostBuffer gather(int[] order, int from, int to) {
        int n = (to - from) * rowSize;
        Object out = switch (array) {
            case float[] f -> new float[n];
            case long[] l -> new long[n];
            case double[] d -> new double[n];
            default -> throw new IllegalStateException();
        };
        for (int k = from, o = 0; k < to; k++, o += rowSize) System.arraycopy(array, order[k] * rowSize, out, o, rowSize);
        return out instanceof double[] d ? HostBuffer.of(dtype, d) : HostBuffer.wrap(dtype, out);
    }

    /** The shape of a batch of {@code n} rows. */
    int[] batchShape(int n) {
        int[] shape = new int[rowShape.length + 1];
        shape[0] = n;
        System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
        return shape;
    }
}
