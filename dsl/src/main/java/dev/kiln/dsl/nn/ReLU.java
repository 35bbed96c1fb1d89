package dev.kiln.dsl.nn;

import dev.kiln.dsl.Tensor;

/** The elementwise {@code relu} as a module. */
public class ReLU extends Module {
    @Override public Tensor forward(Tensor input) { return input.relu(); }
}
