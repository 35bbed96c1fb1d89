package dev.kiln.dsl;

import dev.kiln.runtime.Safetensors;

/** Public doors to the package-private fixture helpers, for tests in sub-packages. */
public final class FixtureAccess {
    private FixtureAccess() {}

    public static Safetensors.Contents load(String name) { return Fixtures.load(name); }

    public static Tensor tensor(Safetensors.Entry e) { return Fixtures.tensor(e); }

    public static Tensor tensor(Safetensors.Contents c, String name) { return Fixtures.tensor(c, name); }

    /** The fixture's tensors whose names start with {@code prefix}, keyed by the rest of the name (a state_dict). */
    public static java.util.Map<String, Tensor> withPrefix(Safetensors.Contents f, String prefix) {
        java.util.Map<String, Tensor> state = new java.util.LinkedHashMap<>();
        f.tensors().forEach((k, v) -> {
            if (k.startsWith(prefix)) state.put(k.substring(prefix.length()), Fixtures.tensor(v));
        });
        return state;
    }

    public static void assertRelativeErrorNorm(Safetensors.Entry expected, Tensor actual, double tolerance, String what) {
        Tensors.assertRelativeErrorNorm(expected, actual, tolerance, what);
    }
}
