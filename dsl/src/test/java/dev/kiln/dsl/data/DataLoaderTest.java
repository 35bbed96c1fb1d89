package dev.kiln.dsl.data;

import dev.kiln.dsl.Generator;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.ir.DType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import static org.junit.jupiter.api.Assertions.*;

class DataLoaderTest {

    /** n samples: x[i] = [i, 100+i, 200+i] (float32, row shape [3]), y[i] = i (int64). */
    static TensorDataset dataset(int n) {
        float[] x = new float[n * 3];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            x[3 * i] = i;
            x[3 * i + 1] = 100 + i;
            x[3 * i + 2] = 200 + i;
            y[i] = i;
        }
        return TensorDataset.of(x, new int[] {3}, y);
    }

    /** The label order of one epoch, checking that each batch's inputs match its labels. */
    static List<Long> epoch(Iterable<Batch> loader) {
        List<Long> order = new ArrayList<>();
        for (Batch b : loader) {
            long[] y = b.labels().toLongArray();
            float[] x = b.inputs().toFloatArray();
            assertEquals(y.length * 3, x.length);
            for (int k = 0; k < y.length; k++) {
                assertEquals(y[k], x[3 * k]);
                assertEquals(100 + y[k], x[3 * k + 1]);
                assertEquals(200 + y[k], x[3 * k + 2]);
                order.add(y[k]);
            }
        }
        return order;
    }

    @Test void tensorDatasetRows() {
        Tensor x = Kiln.tensor(new double[] {1, 2, 3, 4, 5, 6}, new int[] {3, 2}, DType.F32);
        Tensor y = Kiln.tensor(7L, 8L, 9L);
        TensorDataset ds = new TensorDataset(x, y);
        assertEquals(3, ds.size());
        assertEquals(2, ds.fields());
        List<Tensor> row = ds.get(1);
        assertArrayEquals(new int[] {2}, row.get(0).shape().toArray());
        assertArrayEquals(new double[] {3, 4}, row.get(0).toDoubleArray());
        assertEquals(DType.F32, row.get(0).dtype());
        assertEquals(0, row.get(1).dim());
        assertEquals(8, row.get(1).item());
        assertEquals(DType.I64, row.get(1).dtype());
        assertThrows(IndexOutOfBoundsException.class, () -> ds.get(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TensorDataset(x, Kiln.tensor(1L, 2L)));
        assertTrue(e.getMessage().contains("Size mismatch"), e.getMessage());
    }

    @Test void batchShapesAndPartialLastBatch() {
        DataLoader loader = new DataLoader(dataset(10), 4);
        assertEquals(3, loader.len());
        assertEquals(3, loader.size());
        List<Batch> batches = new ArrayList<>();
        loader.forEach(batches::add);
        assertEquals(3, batches.size());
        int[] sizes = batches.stream().mapToInt(Batch::batchSize).toArray();
        assertArrayEquals(new int[] {4, 4, 2}, sizes);
        Batch last = batches.get(2);
        assertEquals(2, last.size());
        assertArrayEquals(new int[] {2, 3}, last.inputs().shape().toArray());
        assertEquals(DType.F32, last.inputs().dtype());
        assertArrayEquals(new int[] {2}, last.labels().shape().toArray());
        assertEquals(DType.I64, last.labels().dtype());
        assertArrayEquals(new long[] {8, 9}, last.labels().toLongArray());
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), epoch(loader));
    }

    @Test void dropLast() {
        DataLoader loader = DataLoader.builder(dataset(10)).batchSize(4).dropLast(true).build();
        assertEquals(2, loader.len());
        List<Integer> sizes = new ArrayList<>();
        for (Batch b : loader) sizes.add(b.batchSize());
        assertEquals(List.of(4, 4), sizes);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), epoch(loader));
        // exact multiple: nothing dropped; smaller than one batch: nothing at all
        assertEquals(3, DataLoader.builder(dataset(12)).batchSize(4).dropLast(true).build().len());
        DataLoader none = DataLoader.builder(dataset(3)).batchSize(4).dropLast(true).build();
        assertEquals(0, none.len());
        assertFalse(none.iterator().hasNext());
        assertEquals(1, new DataLoader(dataset(3), 4).len());
    }

    @Test void seededShuffleIsReproducibleAndChangesEachEpoch() {
        DataLoader a = DataLoader.builder(dataset(50)).batchSize(8).shuffle(true).generator(new Generator(42)).build();
        DataLoader b = DataLoader.builder(dataset(50)).batchSize(8).shuffle(true).generator(new Generator(42)).build();
        List<Long> a1 = epoch(a), a2 = epoch(a), a3 = epoch(a);
        assertEquals(a1, epoch(b), "same seed, same first epoch");
        assertEquals(a2, epoch(b), "same seed, same second epoch");
        assertNotEquals(a1, a2, "each epoch reshuffles");
        assertNotEquals(a2, a3);
        assertNotEquals(sorted(a1), a1, "shuffled, not in order");
        for (List<Long> e : List.of(a1, a2, a3)) assertEquals(range(50), sorted(e), "every sample exactly once per epoch");
        DataLoader c = DataLoader.builder(dataset(50)).batchSize(8).shuffle(true).generator(new Generator(43)).build();
        assertNotEquals(a1, epoch(c), "another seed, another order");
    }

    @Test void shuffleWithoutGeneratorUsesTheDefaultGenerator() {
        Kiln.manualSeed(7);
        List<Long> first = epoch(new DataLoader(dataset(30), 5, true));
        Kiln.manualSeed(7);
        assertEquals(first, epoch(new DataLoader(dataset(30), 5, true)));
        assertEquals(range(30), sorted(first));
    }

    @Test void shuffleWithDropLastVisitsEachKeptSampleOnce() {
        DataLoader loader = DataLoader.builder(dataset(23)).batchSize(5).shuffle(true).dropLast(true).generator(new Generator(1)).build();
        List<Long> e = epoch(loader);
        assertEquals(20, e.size());
        assertEquals(20, e.stream().distinct().count());
    }

    @Test void prefetchGivesTheSameBatchesAsNoPrefetch() {
        TensorDataset ds = dataset(1000);
        for (int prefetch : new int[] {1, 2, 5}) {
            DataLoader with = DataLoader.builder(ds).batchSize(7).shuffle(true).generator(new Generator(3)).prefetch(prefetch).build();
            DataLoader without = DataLoader.builder(ds).batchSize(7).shuffle(true).generator(new Generator(3)).prefetch(0).build();
            for (int epoch = 0; epoch < 3; epoch++) {
                Iterator<Batch> i = with.iterator(), j = without.iterator();
                while (j.hasNext()) {
                    assertTrue(i.hasNext());
                    Batch p = i.next(), q = j.next();
                    assertArrayEquals(q.inputs().toFloatArray(), p.inputs().toFloatArray());
                    assertArrayEquals(q.labels().toLongArray(), p.labels().toLongArray());
                }
                assertFalse(i.hasNext());
                assertThrows(NoSuchElementException.class, i::next);
            }
        }
    }

    @Test void batchesKeepTheirTypesValuesExactly() {
        // gathered straight into float32 and int64 buffers: int64 labels beyond 2^53 (which a double can't hold) and
        // float32 values survive to the last bit, with and without prefetching
        long big = (1L << 53) + 1;
        float[] x = {0.1f, Float.MIN_VALUE, -3.4e38f, 1.0f / 3};
        long[] y = {big, -big, Long.MAX_VALUE, 7};
        TensorDataset ds = TensorDataset.of(x, new int[] {1}, y);
        for (int prefetch : new int[] {0, 2}) {
            Batch b = DataLoader.builder(ds).batchSize(4).prefetch(prefetch).build().iterator().next();
            assertArrayEquals(y, b.labels().toLongArray());
            assertArrayEquals(x, b.inputs().toFloatArray());
            assertEquals(DType.F32, b.inputs().dtype());
            assertEquals(DType.I64, b.labels().dtype());
        }
        assertEquals(big, ds.get(0).get(1).toLongArray()[0]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Column.of(DType.F64, new int[] {1}, new float[2]));
        assertTrue(e.getMessage().contains("float32"), e.getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
                () -> Kiln.tensor(dev.kiln.ir.backend.HostBuffer.wrap(DType.F32, new float[6]), 2, 2));
        assertTrue(f.getMessage().contains("do not fill shape"), f.getMessage());
    }

    @Test void abandoningAnEpochStopsItsPrefetchThread() throws InterruptedException {
        DataLoader loader = DataLoader.builder(dataset(100)).batchSize(2).prefetch(2).build();
        Iterator<Batch> first = loader.iterator();
        first.next();
        Iterator<Batch> second = loader.iterator(); // starts a new epoch; the first is cancelled
        assertFalse(first.hasNext());
        assertEquals(range(100), epochOf(second));
        Thread.sleep(50);
        assertTrue(Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("kiln-dataloader-prefetch"))
                .allMatch(Thread::isDaemon));
    }

    private static List<Long> epochOf(Iterator<Batch> it) {
        List<Long> out = new ArrayList<>();
        while (it.hasNext()) for (long y : it.next().labels().toLongArray()) out.add(y);
        return out;
    }

    @Test void genericDatasetsAreCollated() {
        Dataset<List<Object>> ds = new Dataset<>() {
            @Override public int size() { return 5; }

            @Override public List<Object> get(int i) {
                return List.of(Kiln.tensor(new double[] {i, -i}, new int[] {2}, DType.F32), i * 10);
            }
        };
        DataLoader loader = new DataLoader(ds, 2);
        assertEquals(3, loader.len());
        List<Batch> batches = new ArrayList<>();
        loader.forEach(batches::add);
        Batch b = batches.get(1);
        assertArrayEquals(new int[] {2, 2}, b.inputs().shape().toArray());
        assertArrayEquals(new float[] {2, -2, 3, -3}, b.inputs().toFloatArray());
        assertEquals(DType.I64, b.labels().dtype());
        assertArrayEquals(new long[] {20, 30}, b.labels().toLongArray());
        assertEquals(1, batches.get(2).batchSize());

        Dataset<Tensor> single = new Dataset<>() {
            @Override public int size() { return 3; }

            @Override public Tensor get(int i) { return Kiln.tensor(new double[] {i}, new int[] {1}, DType.F32); }
        };
        Batch only = new DataLoader(single, 3).iterator().next();
        assertEquals(1, only.size());
        assertArrayEquals(new int[] {3, 1}, only.inputs().shape().toArray());
        assertThrows(IllegalStateException.class, only::labels);
    }

    @Test void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> new DataLoader(dataset(3), 0));
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(dataset(3)).prefetch(-1).build());
    }

    private static List<Long> sorted(List<Long> l) {
        List<Long> s = new ArrayList<>(l);
        s.sort(null);
        return s;
    }

    private static List<Long> range(int n) {
        Long[] r = new Long[n];
        for (int i = 0; i < n; i++) r[i] = (long) i;
        return Arrays.asList(r);
    }
}
