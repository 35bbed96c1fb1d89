package dev.kiln.dsl;

import dev.kiln.runtime.Safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The PyTorch golden fixtures in the repository's testdata/golden, as tensors. */
final class Fixtures {
    private Fixtures() {}

    static Path dir() {
        String configured = System.getProperty("kiln.golden.dir");
        Path dir = configured != null ? Path.of(configured) : Path.of("..", "testdata", "golden");
        if (!Files.isDirectory(dir)) throw new IllegalStateException("golden fixtures not found at " + dir.toAbsolutePath());
        return dir;
    }

    static Safetensors.Contents load(String name) {
        try {
            return Safetensors.read(dir().resolve(name + ".safetensors"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Names (without extension) of the fixtures whose names start with {@code prefix}. */
    static List<String> names(String prefix) {
        try (Stream<Path> files = Files.list(dir())) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(prefix) && n.endsWith(".safetensors"))
                    .map(n -> n.substring(0, n.length() - ".safetensors".length()))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Tensor tensor(Safetensors.Entry e) { return Kiln.tensor(e.values(), e.shape().dims(), e.dtype()); }

    static Tensor tensor(Safetensors.Contents c, String name) { return tensor(c.get(name)); }
}
