package dev.kiln.dsl;

import dev.kiln.runtime.Safetensors;

/** Public doors to the package-private fixture helpers, for tests in sub-packages. */
public final class FixtureAccess {
    private FixtureAccess() {}

    public static Safetensors.Contents load(String name) { return Fixtures.load(name); }

    public static Tensor tensor(Safetensors.Entry e) { return Fixtures.tensor(e); }

    public static Tensor tensor(Safetensors.Contents c, String name) { return Fixtures.tensor(c, name); }

    public static void assertRelativeErrorNorm(Safetensors.Entry expected, Tensor actual, double tolerance, String what) {
        Tensors.assertRelativeErrorNorm(expected, actual, tolerance, what);
    }
}
