package dev.kiln.dsl.nn;

import dev.kiln.dsl.Tensor;

/** The elementwise {@code tanh} as a module. */
public class Tanh extends Module {
    @Override public Tensor forward(Tensor input) { return input.tanh(); }
}
