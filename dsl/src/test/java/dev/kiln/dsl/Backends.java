package dev.kiln.dsl;

import dev.kiln.runtime.Executor;

import java.util.List;

/** The backends the op table runs on: the reference interpreter and every compiled one. */
final class Backends {
    static final List<String> NAMES = List.of(Executor.INTERPRETER, "jvm");

    private Backends() {}

    static void on(String backend, Runnable body) {
        Executor.withBackend(backend, () -> {
            body.run();
            return null;
        });
    }
}
