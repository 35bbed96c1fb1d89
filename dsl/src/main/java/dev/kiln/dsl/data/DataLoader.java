package dev.kiln.dsl.data;

import dev.kiln.dsl.Generator;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.backend.HostBuffer;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;

/**
 * Batches of a {@link Dataset} ({@code torch.utils.data.DataLoader}), iterable with Java's for-each and Kotlin's
 * {@code for}; each pass is one epoch.
 *
 * <ul>
 *   <li>{@code shuffle}: every epoch visits the samples in a new random order drawn, when the epoch starts, from the
 *       loader's {@link Generator} (or, without one, from {@link Kiln#defaultGenerator()}, as PyTorch draws its
 *       sampler's seed from the global generator), so the same seed gives the same orders.</li>
 *   <li>{@code dropLast}: leaves out the last batch when it would be smaller than {@code batchSize}.</li>
 *   <li>{@code prefetch}: how many batches (default 2) a daemon thread gathers ahead of the consumer, for
 *       array-backed datasets ({@link TensorDataset}, {@link MnistDataset}). It only copies values into arrays: the
 *       order is fixed before the thread starts and the tensors are made on the consuming thread, so the batches are
 *       the same with or without it. Other datasets call {@code get} on the consuming thread (their code may build
 *       tensors, which is not thread-safe).</li>
 * </ul>
 *
 * A batch is a {@link Batch}: one tensor per field with the batch first, built from one array per field; samples that
 * are numbers become int64 (integers) or float32 tensors.
 */
public final class DataLoader implements Iterable<Batch> {
    private final Dataset<?> dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean dropLast;
    private final Generator generator;
    private final int prefetch;
    private Epoch current;

    public DataLoader(Dataset<?> dataset, int batchSize) { this(dataset, batchSize, false); }

    public DataLoader(Dataset<?> dataset, int batchSize, boolean shuffle) { this(dataset, batchSize, shuffle, false, null, 2); }

    /**
     * @param generator the source of the shuffle orders; null: {@link Kiln#defaultGenerator()}
     * @param prefetch  batches gathered ahead on a background thread, 0 to gather on the consuming thread
     */
    public DataLoader(Dataset<?> dataset, int batchSize, boolean shuffle, boolean dropLast, Generator generator, int prefetch) {
        this.dataset = Objects.requireNonNull(dataset, "dataset");
        if (batchSize <= 0) throw new IllegalArgumentException("batch_size should be a positive integer value, but got batch_size=" + batchSize);
        if (prefetch < 0 || prefetch > 16) throw new IllegalArgumentException("prefetch must be 0..16 batches, got " + prefetch);
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.generator = generator;
        this.prefetch = prefetch;
    }

    public static Builder builder(Dataset<?> dataset) { return new Builder(dataset); }

    /** Options by name: {@code DataLoader.builder(ds).batchSize(64).shuffle(true).dropLast(true).build()}. */
    public static final class Builder {
        private final Dataset<?> dataset;
        private int batchSize = 1;
        private boolean shuffle, dropLast;
        private Generator generator;
        private int prefetch = 2;

        private Builder(Dataset<?> dataset) { this.dataset = dataset; }

        public Builder batchSize(int batchSize) { this.batchSize = batchSize; return this; }

        public Builder shuffle(boolean shuffle) { this.shuffle = shuffle; return this; }

        public Builder dropLast(boolean dropLast) { this.dropLast = dropLast; return this; }

        /** The generator of the shuffle orders (default: {@link Kiln#defaultGenerator()}). */
        public Builder generator(Generator generator) { this.generator = generator; return this; }

        /** Batches gathered ahead on a daemon thread (default 2; 0: none). */
        public Builder prefetch(int batches) { this.prefetch = batches; return this; }

        public DataLoader build() { return new DataLoader(dataset, batchSize, shuffle, dropLast, generator, prefetch); }
    }

    /** The number of batches per epoch ({@code len(loader)}). */
    public int len() {
        int n = dataset.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** The number of batches per epoch, as {@link #len()}. */
    public int size() { return len(); }

    public Dataset<?> dataset() { return dataset; }

    public int batchSize() { return batchSize; }

    public boolean shuffle() { return shuffle; }

    public boolean dropLast() { return dropLast; }

    public int prefetch() { return prefetch; }

    /** Starts an epoch (drawing its order now); a previous epoch's prefetching thread, if any, is stopped. */
    @Override public synchronized Iterator<Batch> iterator() {
        if (current != null) current.cancel();
        int[] order = order();
        Epoch epoch = new Epoch(order, len());
        if (prefetch > 0 && dataset instanceof TensorDataset && epoch.batches > 0) epoch.start();
        current = epoch;
        return epoch;
    }

    private int[] order() {
        int n = dataset.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        if (shuffle) {
            Generator g = generator != null ? generator : Kiln.defaultGenerator();
            for (int i = n - 1; i > 0; i--) {
                int j = (int) g.nextLong(0, i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /** The arrays of batch {@code b}: one per field. */
    private HostBuffer[] gather(int[] order, int b) {
        int from = b * batchSize, to = Math.min(order.length, from + batchSize);
        return ((TensorDataset) dataset).gather(order, from, to);
    }

    private Batch tensors(HostBuffer[] buffers, int n) {
        List<Column> columns = ((TensorDataset) dataset).columns();
        List<Tensor> out = new ArrayList<>(buffers.length);
        for (int f = 0; f < buffers.length; f++) out.add(Kiln.tensor(buffers[f], columns.get(f).batchShape(n)));
        return new Batch(out, n);
    }

    private final class Epoch implements Iterator<Batch> {
        private final int[] order;
        private final int batches;
        private int next;
        private LinkedBlockingQueue<Object> ready;
        private Semaphore free;
        private Thread worker;
        private volatile boolean cancelled;

        Epoch(int[] order, int batches) {
            this.order = order;
            this.batches = batches;
        }

        void start() {
            ready = new LinkedBlockingQueue<>();
            free = new Semaphore(prefetch);
            worker = new Thread(() -> {
                try {
                    for (int b = 0; b < batches && !cancelled; b++) {
                        free.acquire();
                        if (cancelled) return;
                        ready.add(gather(order, b));
                    }
                } catch (InterruptedException e) {
                    // cancelled
                } catch (Throwable t) {
                    ready.add(new Failure(t));
                }
            }, "kiln-dataloader-prefetch");
            worker.setDaemon(true);
            worker.start();
        }

        void cancel() {
            cancelled = true;
            if (worker != null) worker.interrupt();
        }

        @Override public boolean hasNext() { return next < batches && !cancelled; }

        @Override public Batch next() {
            if (!hasNext()) throw new NoSuchElementException(cancelled ? "this epoch was abandoned: a new one started" : "end of epoch");
            int b = next++;
            int n = Math.min(order.length, (b + 1) * batchSize) - b * batchSize;
            if (!(dataset instanceof TensorDataset)) return collate(b * batchSize, b * batchSize + n);
            HostBuffer[] arrays;
            if (worker == null) {
                arrays = gather(order, b);
            } else {
                Object item;
                try {
                    item = ready.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for batch " + b, e);
                }
                free.release();
                if (item instanceof Failure f) {
                    cancelled = true;
                    throw new IllegalStateException("loading batch " + b + " failed: " + f.cause, f.cause);
                }
                arrays = (HostBuffer[]) item;
            }
            return tensors(arrays, n);
        }

        /** The default collate of samples from {@code get}: one array per field, then one tensor per field. */
        private Batch collate(int from, int to) {
            int n = to - from;
            List<List<?>> samples = new ArrayList<>(n);
            for (int k = from; k < to; k++) samples.add(fields(dataset.get(order[k]), order[k]));
            int fields = samples.get(0).size();
            List<Tensor> out = new ArrayList<>(fields);
            for (int f = 0; f < fields; f++) {
                Object first = samples.get(0).get(f);
                int[] rowShape;
                DType dtype;
                if (first instanceof Tensor t) {
                    rowShape = t.shape().toArray();
                    dtype = t.dtype();
                } else if (first instanceof Number num) {
                    rowShape = new int[0];
                    dtype = num instanceof Double || num instanceof Float ? DType.F32 : DType.I64;
                } else {
                    throw new IllegalArgumentException("default collate: field " + f + " of a sample is a "
                            + (first == null ? "null" : first.getClass().getName()) + ", expected a Tensor or a Number");
                }
                int rowSize = 1;
                for (int d : rowShape) rowSize *= d;
                double[] values = new double[n * rowSize];
                for (int k = 0; k < n; k++) {
                    List<?> sample = samples.get(k);
                    if (sample.size() != fields) {
                        throw new IllegalArgumentException("each sample must have equal size: " + fields + " fields vs " + sample.size());
                    }
                    Object v = sample.get(f);
                    if (v instanceof Tensor t) {
                        if (!java.util.Arrays.equals(t.shape().toArray(), rowShape)) {
                            throw new IllegalArgumentException("stack expects each tensor to be equal size, but got "
                                    + java.util.Arrays.toString(rowShape) + " and " + java.util.Arrays.toString(t.shape().toArray()) + " in field " + f);
                        }
                        System.arraycopy(t.toDoubleArray(), 0, values, k * rowSize, rowSize);
                    } else if (v instanceof Number num) {
                        values[k] = num.doubleValue();
                    } else {
                        throw new IllegalArgumentException("default collate: field " + f + " mixes " + first.getClass().getSimpleName()
                                + " and " + (v == null ? "null" : v.getClass().getSimpleName()));
                    }
                }
                int[] shape = new int[rowShape.length + 1];
                shape[0] = n;
                System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
                out.add(Kiln.tensor(values, shape, dtype));
            }
            return new Batch(out, n);
        }
    }

    private static List<?> fields(Object sample, int index) {
        return switch (sample) {
            case Tensor t -> List.of(t);
            case Tensor[] ts -> List.of((Object[]) ts);
            case List<?> l -> l;
            case Number num -> List.of(num);
            case null -> throw new IllegalArgumentException("dataset.get(" + index + ") returned null");
            default -> throw new IllegalArgumentException("default collate: dataset.get(" + index + ") returned a "
                    + sample.getClass().getName() + "; expected a Tensor, a Tensor[] or a List of tensors and numbers");
        };
    }

    private record Failure(Throwable cause) {}
}
