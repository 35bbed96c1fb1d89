package dev.kiln.dsl.optim;

import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.nn.Parameter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** RMSprop with optional momentum and centering (PyTorch's formulas; defaults lr=0.01, alpha=0.99, eps=1e-8). */
public final class RMSprop extends Optimizer {
    private final boolean centered;

    public RMSprop(List<Parameter> params, double lr) { this(params, lr, 0.99, 1e-8, 0, 0, false); }

    public RMSprop(List<Parameter> params, double lr, double alpha) { this(params, lr, alpha, 1e-8, 0, 0, false); }

    public RMSprop(List<Parameter> params, double lr, double alpha, double eps, double weightDecay, double momentum, boolean centered) {
        super(params, Map.of("lr", lr, "alpha", alpha, "eps", eps, "weight_decay", weightDecay, "momentum", momentum));
        if (lr < 0) throw new IllegalArgumentException("Invalid learning rate: " + lr);
        if (eps < 0) throw new IllegalArgumentException("Invalid epsilon value: " + eps);
        if (alpha < 0) throw new IllegalArgumentException("Invalid alpha value: " + alpha);
        this.centered = centered;
    }

    @Override protected Map<String, Boolean> flags() { return Map.of("centered", centered); }

    @Override protected List<String> stateNames(ParamGroup g) {
        List<String> names = new ArrayList<>(List.of("square_avg"));
        if (g.get("momentum") > 0) names.add("momentum_buffer");
        if (centered) names.add("grad_avg");
        return names;
    }

    @Override protected Map<String, Tensor> update(ParamGroup g, Tensor p, Tensor grad, Map<String, Tensor> s, Tensor step) {
        Tensor d = g.get("weight_decay") != 0 ? grad.add(p.mul(h(g, "weight_decay"))) : grad;
        Tensor alpha = h(g, "alpha");
        Map<String, Tensor> next = new LinkedHashMap<>();
        Tensor squareAvg = s.get("square_avg").mul(alpha).add(d.mul(d).mul(alpha.rsub(1)));
        next.put("square_avg", squareAvg);
        Tensor avg;
        if (centered) {
            Tensor gradAvg = s.get("grad_avg").mul(alpha).add(d.mul(alpha.rsub(1)));
            next.put("grad_avg", gradAvg);
            avg = squareAvg.sub(gradAvg.mul(gradAvg)).sqrt().add(h(g, "eps"));
        } else {
            avg = squareAvg.sqrt().add(h(g, "eps"));
        }
        if (g.get("momentum") > 0) {
            Tensor buf = s.get("momentum_buffer").mul(h(g, "momentum")).add(d.div(avg));
            next.put("momentum_buffer", buf);
            next.put(PARAM, p.sub(buf.mul(h(g, "lr"))));
        } else {
            next.put(PARAM, p.sub(d.div(avg).mul(h(g, "lr"))));
        }
        return next;
    }
}
