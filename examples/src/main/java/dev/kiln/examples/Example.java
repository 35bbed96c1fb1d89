package dev.kiln.examples;

/**
 * A runnable example, listed and started by {@code kiln run [NAME [ARGS...]]}.
 *
 * <p>Implementations (Java or Kotlin) need a public no-argument constructor and one line with their
 * fully-qualified class name in {@code examples/src/main/resources/META-INF/services/dev.kiln.examples.Example};
 * {@link Main} finds them with {@link java.util.ServiceLoader}.
 */
public interface Example {

    /** Short unique name used on the command line, e.g. {@code mnist-mlp}. */
    String name();

    /** One-line description shown by {@code kiln run}. */
    String description();

    /** Runs the example with the arguments that follow its name on the command line. */
    void run(String[] args) throws Exception;
}
