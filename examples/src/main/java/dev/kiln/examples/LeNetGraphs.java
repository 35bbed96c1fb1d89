package dev.kiln.examples;

import dev.kiln.dsl.F;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.nn.Parameter;
import dev.kiln.examples.models.LeNet;
import dev.kiln.ir.Autodiff;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Ops;

import java.util.ArrayList;
import java.util.List;

/** The graphs of a LeNet forward pass and of a LeNet training step, for inspection and kernel counting. */
public final class LeNetGraphs {
    private LeNetGraphs() {}

    /** The logits of LeNet on a [batch, 1, 32, 32] input. */
    public static List<Node> forward(int batch) {
        LeNet net = new LeNet();
        return List.of(net.invoke(Kiln.randn(batch, 1, 32, 32)).node());
    }

    /**
     * One training step: forward, cross-entropy loss, the gradient of every parameter, and the SGD update
     * {@code p - 0.01·grad}. Outputs: the loss, then the updated parameters.
     */
    public static List<Node> trainingStep(int batch) {
        LeNet net = new LeNet();
        Tensor loss = F.crossEntropy(net.invoke(Kiln.randn(batch, 1, 32, 32)), Kiln.randint(0, 10, batch));
        List<Node> params = new ArrayList<>();
        for (Parameter p : net.parameters()) params.add(p.node());
        List<Node> grads = Autodiff.gradients(List.of(loss.node()), List.of(Ops.scalar(1, DType.F32)), params);
        List<Node> outputs = new ArrayList<>(List.of(loss.node()));
        for (int i = 0; i < params.size(); i++) outputs.add(Ops.sub(params.get(i), Ops.mul(grads.get(i), 0.01)));
        return outputs;
    }
}
