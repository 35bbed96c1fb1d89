package dev.kiln.dsl.data;

import dev.kiln.ir.DType;

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
        if (rowSize == 0 ? length != 0 : length % rowSize != 0) {
            throw new IllegalArgumentException(length + " values are not a whole number of rows of shape " + Arrays.toString(rowShape));
        }
        return new Column(dtype, rowShape.clone(), rowSize, rowSize == 0 ? 0 : length / rowSize, array);
    }

    /** Copies rows {@code order[from..to)} into one new array, in that order. */
    double[] gather(int[] order, int from, int to) {
        double[] out = new double[(to - from) * rowSize];
        int o = 0;
        switch (array) {
            case float[] f -> {
                for (int k = from; k < to; k++) {
                    int s = order[k] * rowSize;
                    for (int j = 0; j < rowSize; j++) out[o++] = f[s + j];
                }
            }
            case long[] l -> {
                for (int k = from; k < to; k++) {
                    int s = order[k] * rowSize;
                    for (int j = 0; j < rowSize; j++) out[o++] = l[s + j];
                }
            }
            case double[] d -> {
                for (int k = from; k < to; k++) {
                    System.arraycopy(d, order[k] * rowSize, out, o, rowSize);
                    o += rowSize;
                }
            }
            default -> throw new IllegalStateException();
        }
        return out;
    }

    /** The shape of a batch of {@code n} rows. */
    int[] batchShape(int n) {
        int[] shape = new int[rowShape.length + 1];
        shape[0] = n;
        System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
        return shape;
    }
}
