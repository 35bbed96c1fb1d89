package dev.kiln.dsl.data;

import dev.kiln.ir.DType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * MNIST or Fashion-MNIST, one split, in memory ({@code torchvision.datasets.MNIST} / {@code FashionMNIST} with
 * {@code ToTensor()}): sample {@code i} is (image float32 {@code [1, H, W]} in [0, 1], label int64). Options:
 * {@link Loader#normalize} ({@code (x - mean) / std}) and {@link Loader#pad} (zeros around the image after
 * normalising, as {@code F.pad}; {@code pad(2)} makes the 32x32 inputs of LeNet, as torch_fashion_lenet.py).
 * The whole split lives in one float[] (60000x1x32x32 floats = 245 MB) that {@link DataLoader} slices batches from.
 * <pre>{@code
 * MnistDataset train = MnistDataset.fashionMnist().train(true).pad(2).load();
 * for (Batch b : new DataLoader(train, 64, true)) { Tensor x = b.inputs(), y = b.labels(); ... }
 * }</pre>
 * Files are found as {@link KnownDataset} describes; missing files raise a {@link DatasetNotFoundException} saying
 * how to get them.
 */
public final class MnistDataset extends TensorDataset {
    /** Fashion-MNIST's class names, by label. */
    public static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    /** MNIST's class names, by label. */
    public static final List<String> MNIST_CLASSES = List.of("0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
            "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine");

    private final KnownDataset kind;
    private final boolean train;
    private final Path directory;
    private final float[] images;
    private final long[] labels;
    private final int height, width;

    private MnistDataset(KnownDataset kind, boolean train, Path directory, float[] images, int height, int width, long[] labels) {
        super(List.of(Column.of(DType.F32, new int[] {1, height, width}, images), Column.of(DType.I64, new int[0], labels)));
        this.kind = kind;
        this.train = train;
        this.directory = directory;
        this.images = images;
        this.labels = labels;
        this.height = height;
        this.width = width;
    }

    /** Options for loading MNIST digits. */
    public static Loader mnist() { return new Loader(KnownDataset.MNIST); }

    /** Options for loading Fashion-MNIST. */
    public static Loader fashionMnist() { return new Loader(KnownDataset.FASHION_MNIST); }

    /** The {@code train} or test split of Fashion-MNIST, 28x28, unnormalised, from the default places. */
    public static MnistDataset fashionMnist(boolean train) throws IOException { return fashionMnist().train(train).load(); }

    /** The {@code train} or test split of MNIST, 28x28, unnormalised, from the default places. */
    public static MnistDataset mnist(boolean train) throws IOException { return mnist().train(train).load(); }

    /** What to load and how. */
    public static final class Loader {
        private final KnownDataset kind;
        private Path dataDir;
        private boolean train = true;
        private int pad;
        private double mean = 0, std = 1;

        private Loader(KnownDataset kind) { this.kind = kind; }

        /** Look only in {@code dir} (or {@code dir/mnist}, {@code dir/fashion-mnist}); null: the default places. */
        public Loader dataDir(Path dir) { this.dataDir = dir; return this; }

        /** The train split (60000) if true (the default), else the test split (10000). */
        public Loader train(boolean train) { this.train = train; return this; }

        /** {@code pixels} rows/columns of zeros on each side: {@code pad(2)} turns 28x28 into 32x32. */
        public Loader pad(int pixels) {
            if (pixels < 0) throw new IllegalArgumentException("padding must be non-negative, got " + pixels);
            this.pad = pixels;
            return this;
        }

        /** Pads 28x28 to 32x32 for LeNet ({@code pad(2)}). */
        public Loader padTo32() { return pad(2); }

        /** {@code (x - mean) / std} on the [0, 1] pixels ({@code transforms.Normalize((mean,), (std,))}). */
        public Loader normalize(double mean, double std) {
            if (!(std > 0)) throw new IllegalArgumentException("std must be positive, got " + std);
            this.mean = mean;
            this.std = std;
            return this;
        }

        public MnistDataset load() throws IOException {
            Path dir = kind.locate(dataDir, train);
            String[] names = KnownDataset.files(train);
            return read(kind, train, dir, KnownDataset.file(dir, names[0]), KnownDataset.file(dir, names[1]), pad, (float) mean, (float) std);
        }
    }

    /** Reads one split from its two IDX files. */
    static MnistDataset read(KnownDataset kind, boolean train, Path dir, Path imageFile, Path labelFile, int pad, float mean, float std)
            throws IOException {
        Idx.Array img = Idx.read(imageFile);
        Idx.Array lab = Idx.read(labelFile);
        int[] d = img.dims();
        if (img.type() != Idx.UBYTE || d.length != 3) {
            throw new IOException(imageFile + ": expected IDX ubyte images [N, H, W], got " + img.typeName() + " " + Arrays.toString(d));
        }
        int[] ld = lab.dims();
        if (lab.type() != Idx.UBYTE || ld.length != 1) {
            throw new IOException(labelFile + ": expected IDX ubyte labels [N], got " + lab.typeName() + " " + Arrays.toString(ld));
        }
        int n = d[0], h = d[1], w = d[2];
        if (ld[0] != n) throw new IOException(labelFile + ": " + ld[0] + " labels for the " + n + " images of " + imageFile);
        int classes = (kind == KnownDataset.FASHION_MNIST ? FASHION_CLASSES : MNIST_CLASSES).size();
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            labels[i] = lab.ubyte(i);
            if (labels[i] >= classes) throw new IOException(labelFile + ": label " + labels[i] + " of sample " + i + " is not a class 0.." + (classes - 1));
        }
        int ph = h + 2 * pad, pw = w + 2 * pad;
        float[] images = new float[Math.multiplyExact(n, Math.multiplyExact(ph, pw))];
        boolean identity = mean == 0f && std == 1f;
        java.nio.ByteBuffer bytes = img.data();
        int src = 0;
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < h; r++) {
                int dst = (i * ph + r + pad) * pw + pad;
                for (int c = 0; c < w; c++) {
                    float v = (bytes.get(src++) & 0xff) / 255f;
                    images[dst + c] = identity ? v : (v - mean) / std;
                }
            }
        }
        return new MnistDataset(kind, train, dir, images, ph, pw, labels);
    }

    /** Which dataset this is. */
    public KnownDataset kind() { return kind; }

    public boolean isTrain() { return train; }

    /** The directory the files were read from. */
    public Path directory() { return directory; }

    /** Image height and width (after padding). */
    public int height() { return height; }

    public int width() { return width; }

    /** The class names, by label. */
    public List<String> classes() { return kind == KnownDataset.FASHION_MNIST ? FASHION_CLASSES : MNIST_CLASSES; }

    /** The label of sample {@code i}, without making tensors. */
    public long label(int i) { return labels[i]; }

    /** Pixel (row, col) of image {@code i}, without making tensors. */
    public float pixel(int i, int row, int col) { return images[(i * height + row) * width + col]; }
}
