package dev.kiln.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode differentiation as a graph transformation: walk the nodes that lie between the outputs and the
 * nodes to differentiate, newest first, apply each one's {@link Vjp} rule and sum the contributions per node.
 */
public final class Autodiff {
    private Autodiff() {}

    /**
     * Gradient nodes of {@code Σ_i <outputs[i], seeds[i]>} with respect to each node of {@code wrt} (a zero
     * constant where an output does not depend on it).
     */
    public static List<Node> gradients(List<Node> outputs, List<Node> seeds, List<Node> wrt) {
        if (outputs.size() != seeds.size()) throw new IllegalArgumentException(outputs.size() + " outputs but " + seeds.size() + " seeds");
        for (int i = 0; i < outputs.size(); i++) {
            if (!outputs.get(i).shape().equals(seeds.get(i).shape())) {
                throw new ShapeException("gradient for output " + i + " has shape " + seeds.get(i).shape()
                        + " but the output has shape " + outputs.get(i).shape());
            }
        }
        List<Node> order = Graph.topologicalOrder(outputs);
        Set<Node> targets = Collections.newSetFromMap(new IdentityHashMap<>());
        targets.addAll(wrt);
        Set<Node> onPath = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : order) {
            if (targets.contains(n) || n.inputs().stream().anyMatch(onPath::contains)) onPath.add(n);
        }
        Map<Node, Node> grad = new IdentityHashMap<>();
        for (int i = 0; i < outputs.size(); i++) {
            if (onPath.contains(outputs.get(i))) accumulate(grad, outputs.get(i), Ops.cast(seeds.get(i), outputs.get(i).dtype()));
        }
        for (int k = order.size() - 1; k >= 0; k--) {
            Node n = order.get(k);
            Node g = grad.get(n);
            if (g == null || !onPath.contains(n)) continue;
            Node[] inputGrads = Vjp.rule(n, g);
            for (int i = 0; i < inputGrads.length; i++) {
                Node in = n.input(i);
                if (inputGrads[i] != null && onPath.contains(in)) accumulate(grad, in, inputGrads[i]);
            }
        }
        List<Node> result = new ArrayList<>();
        for (Node w : wrt) result.add(grad.getOrDefault(w, Ops.full(0, w.shape(), w.dtype())));
        return result;
    }

    private static void accumulate(Map<Node, Node> grad, Node n, Node g) {
        if (!g.shape().equals(n.shape())) {
            throw new IllegalStateException("VJP of a user of " + n + " produced a gradient of shape " + g.shape());
        }
        grad.merge(n, g, Ops::add);
    }
}
