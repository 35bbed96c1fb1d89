package dev.kiln.dsl.nn;

import dev.kiln.dsl.Tensor;

/** The elementwise {@code sigmoid} as a module. */
public class Sigmoid extends Module {
    @Override public Tensor forward(Tensor input) { return input.sigmoid(); }
}
