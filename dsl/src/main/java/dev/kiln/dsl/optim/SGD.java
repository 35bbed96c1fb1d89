package dev.kiln.dsl.optim;

import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.nn.Parameter;

import java.util.List;
import java.util.Map;

/** Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay (PyTorch's formulas). */
public final class SGD extends Optimizer {
    private final boolean nesterov;

    public SGD(List<Parameter> params, double lr) { this(params, lr, 0, 0, 0, false); }

    public SGD(List<Parameter> params, double lr, double momentum) { this(params, lr, momentum, 0, 0, false); }

    public SGD(List<Parameter> params, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        super(params, Map.of("lr", lr, "momentum", momentum, "dampening", dampening, "weight_decay", weightDecay));
        if (lr < 0) throw new IllegalArgumentException("Invalid learning rate: " + lr);
        if (momentum < 0) throw new IllegalArgumentException("Invalid momentum value: " + momentum);
        if (weightDecay < 0) throw new IllegalArgumentException("Invalid weight_decay value: " + weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
        this.nesterov = nesterov;
    }

    @Override protected Map<String, Boolean> flags() { return Map.of("nesterov", nesterov); }

    @Override protected List<String> stateNames(ParamGroup g) { return g.get("momentum") != 0 ? List.of("momentum_buffer") : List.of(); }

    @Override protected Map<String, Tensor> update(ParamGroup g, Tensor p, Tensor grad, Map<String, Tensor> s, Tensor step) {
        Tensor d = g.get("weight_decay") != 0 ? grad.add(p.mul(h(g, "weight_decay"))) : grad;
        if (g.get("momentum") == 0) return Map.of(PARAM, p.sub(d.mul(h(g, "lr"))));
        Tensor momentum = h(g, "momentum");
        // the first step starts the buffer at the gradient itself
        Tensor continued = s.get("momentum_buffer").mul(momentum).add(d.mul(h(g, "dampening").rsub(1)));
        Tensor buf = Kiln.where(step.eq(1), d, continued);
        Tensor direction = nesterov ? d.add(buf.mul(momentum)) : buf;
        return Map.of(PARAM, p.sub(direction.mul(h(g, "lr"))), "momentum_buffer", buf);
    }
}
