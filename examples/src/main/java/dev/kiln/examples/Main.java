package dev.kiln.examples;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The {@code kiln} command line. Each command is one entry in {@link #COMMANDS}: to add one, write a
 * handler {@code static int name(String[] args)} returning the exit code and register it there.
 */
public final class Main {

    /** Exit code for a command-line mistake (unknown command, unknown example). */
    static final int USAGE = 2;

    /** A command's handler: gets the arguments after the command name, returns the exit code. */
    @FunctionalInterface
    interface Handler {
        int run(String[] args) throws Exception;
    }

    record Command(String usage, String summary, Handler handler) {}

    /** Commands in the order {@code kiln help} lists them. */
    static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("run", new Command("run [NAME [ARGS...]]",
                "list the examples, or run example NAME with ARGS", Main::run));
        COMMANDS.put("train", new Command("train lenet|mlp [--dataset D] [--epochs N] [--batch B] [--optimizer O] [--lr LR] ...",
                "train a model with a compiled step: progress, per-epoch summary, checkpoints, loss.png", TrainCommand::run));
        COMMANDS.put("compile", new Command("compile lenet|mlp [--batch B] [--out FILE] [--emit DIR]",
                "compile a training step ahead of time into one artifact file", CompileCommand::run));
        COMMANDS.put("graph", new Command("graph lenet [--batch B] [--dot]",
                "print the IR and the kernels of a LeNet forward pass and training step", GraphCommand::run));
        COMMANDS.put("bench", new Command("bench [--json] [--threads N] [--min-time S] [--warmup S] [WORKLOAD...]", "time the benchmark workloads (BENCHMARKS.md)", dev.kiln.examples.bench.Bench::run));
        COMMANDS.put("data", new Command(DataCommand.USAGE_LINE, "list the datasets and where they are, or fetch MNIST (kiln data mnist)", DataCommand::run));
        COMMANDS.put("help", new Command("help", "show this help", args -> {
            usage(System.out);
            return 0;
        }));
    }

    private Main() {}

    public static void main(String[] args) throws Exception {
        int code = dispatch(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    static int dispatch(String[] args) throws Exception {
        if (args.length == 0) {
            usage(System.out);
            return 0;
        }
        Command command = COMMANDS.get(args[0]);
        if (command == null) {
            System.err.println("kiln: unknown command '" + args[0] + "'");
            usage(System.err);
            return USAGE;
        }
        return command.handler().run(Arrays.copyOfRange(args, 1, args.length));
    }

    static void usage(PrintStream out) {
        out.println("Usage: kiln COMMAND [ARGS...]");
        out.println();
        out.println("Commands:");
        int width = COMMANDS.values().stream().mapToInt(c -> c.usage().length()).max().orElse(0);
        COMMANDS.values().forEach(c -> out.printf("  %-" + width + "s  %s%n", c.usage(), c.summary()));
    }

    /** {@code run}: without a name lists the examples, else runs the named one. */
    static int run(String[] args) throws Exception {
        Map<String, Example> examples = examples();
        if (args.length == 0) {
            System.out.println("Examples:");
            int width = examples.keySet().stream().mapToInt(String::length).max().orElse(0);
            examples.values().forEach(e -> System.out.printf("  %-" + width + "s  %s%n", e.name(), e.description()));
            return 0;
        }
        Example example = examples.get(args[0]);
        if (example == null) {
            System.err.println("kiln: unknown example '" + args[0] + "'; known examples: "
                    + (examples.isEmpty() ? "(none)" : String.join(", ", examples.keySet())));
            return USAGE;
        }
        example.run(Arrays.copyOfRange(args, 1, args.length));
        return 0;
    }

    /** The examples registered with {@link ServiceLoader}, sorted by name. */
    static Map<String, Example> examples() {
        Map<String, Example> byName = new TreeMap<>();
        List<String> duplicates = new ArrayList<>();
        for (Example e : ServiceLoader.load(Example.class)) {
            Example previous = byName.putIfAbsent(e.name(), e);
            if (previous != null) {
                duplicates.add(e.name() + " (" + previous.getClass().getName() + ", " + e.getClass().getName() + ")");
            }
        }
        if (!duplicates.isEmpty()) {
            throw new IllegalStateException("duplicate example names: " + String.join("; ", duplicates));
        }
        return byName;
    }
}
