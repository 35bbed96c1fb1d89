package dev.kiln.dsl.nn;

import dev.kiln.dsl.Tensor;
import dev.kiln.ir.Op;

/**
 * A tensor that is a module's trainable state ({@code torch.nn.Parameter}): it requires grad by default, and a
 * module field holding one registers it. Holds a copy of the data it was made from.
 */
public class Parameter extends Tensor {
    public Parameter(Tensor data) { this(data, true); }

    public Parameter(Tensor data, boolean requiresGrad) { super(data, Op.Role.PARAMETER, requiresGrad); }

    @Override public String toString() { return "Parameter containing:\n" + super.toString(); }
}
