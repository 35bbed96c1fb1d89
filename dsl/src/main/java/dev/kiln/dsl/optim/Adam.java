package dev.kiln.dsl.optim;

import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.nn.Parameter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam (and, with {@code decoupled}, AdamW) with PyTorch's formulas, bias correction and optional AMSGrad. Defaults:
 * lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0 (AdamW: 0.01).
 */
public class Adam extends Optimizer {
    private final boolean amsgrad;
    private final boolean decoupled;

    public Adam(List<Parameter> params, double lr) { this(params, lr, 0.9, 0.999, 1e-8, 0, false); }

    public Adam(List<Parameter> params, double lr, double beta1, double beta2) { this(params, lr, beta1, beta2, 1e-8, 0, false); }

    public Adam(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay, boolean amsgrad) {
        this(params, lr, beta1, beta2, eps, weightDecay, amsgrad, false);
    }

    Adam(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay, boolean amsgrad, boolean decoupled) {
        super(params, Map.of("lr", lr, "beta1", beta1, "beta2", beta2, "eps", eps, "weight_decay", weightDecay));
        if (lr < 0) throw new IllegalArgumentException("Invalid learning rate: " + lr);
        if (eps < 0) throw new IllegalArgumentException("Invalid epsilon value: " + eps);
        if (beta1 < 0 || beta1 >= 1) throw new IllegalArgumentException("Invalid beta parameter at index 0: " + beta1);
        if (beta2 < 0 || beta2 >= 1) throw new IllegalArgumentException("Invalid beta parameter at index 1: " + beta2);
        this.amsgrad = amsgrad;
        this.decoupled = decoupled;
    }

    @Override protected Map<String, Boolean> flags() { return Map.of("amsgrad", amsgrad); }

    @Override protected List<String> stateNames(ParamGroup g) {
        List<String> names = new ArrayList<>(List.of("exp_avg", "exp_avg_sq"));
        if (amsgrad) names.add("max_exp_avg_sq");
        return names;
    }

    @Override protected Map<String, Tensor> update(ParamGroup g, Tensor p, Tensor grad, Map<String, Tensor> s, Tensor step) {
        Tensor lr = h(g, "lr"), beta1 = h(g, "beta1"), beta2 = h(g, "beta2");
        Tensor param = p;
        Tensor d = grad;
        if (g.get("weight_decay") != 0) {
            if (decoupled) param = p.mul(lr.mul(h(g, "weight_decay")).rsub(1));
            else d = grad.add(p.mul(h(g, "weight_decay")));
        }
        Map<String, Tensor> next = new LinkedHashMap<>();
        Tensor expAvg = s.get("exp_avg").mul(beta1).add(d.mul(beta1.rsub(1)));
        Tensor expAvgSq = s.get("exp_avg_sq").mul(beta2).add(d.mul(d).mul(beta2.rsub(1)));
        next.put("exp_avg", expAvg);
        next.put("exp_avg_sq", expAvgSq);
        Tensor biasCorrection1 = beta1.pow(step).rsub(1);
        Tensor biasCorrection2Sqrt = beta2.pow(step).rsub(1).sqrt();
        Tensor second = expAvgSq;
        if (amsgrad) {
            second = s.get("max_exp_avg_sq").maximum(expAvgSq);
            next.put("max_exp_avg_sq", second);
        }
        // PyTorch divides by the bias correction; multiplying by its reciprocal (one scalar) spares a division per
        // element, the update's bottleneck, and differs by at most an ulp
        Tensor denom = second.sqrt().mul(biasCorrection2Sqrt.reciprocal()).add(h(g, "eps"));
        next.put(PARAM, param.sub(expAvg.div(denom).mul(lr.div(biasCorrection1))));
        return next;
    }
}
