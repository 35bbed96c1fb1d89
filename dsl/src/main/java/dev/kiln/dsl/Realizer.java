package dev.kiln.dsl;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Interpreter;
import dev.kiln.ir.Node;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Turns lazy nodes into values. Holds the value of every leaf and of every node realized so far (for as long as
 * the node lives), and evaluates what is missing through the reference {@link Interpreter}. A leaf may also be
 * defined lazily by another node: a tensor cut from the gradient graph keeps its laziness that way.
 */
final class Realizer {
    /** Node → double[] (its value, rounded to its dtype) or Node (a definition still to evaluate). */
    private static final Map<Node, Object> VALUES = Collections.synchronizedMap(new WeakHashMap<>());

    private Realizer() {}

    static void bind(Node leaf, double[] values) {
        if (values.length != leaf.shape().numel()) {
            throw new IllegalArgumentException(values.length + " values for a tensor of shape " + leaf.shape());
        }
        double[] rounded = values.clone();
        for (int i = 0; i < rounded.length; i++) rounded[i] = leaf.dtype().round(rounded[i]);
        VALUES.put(leaf, rounded);
    }

    static void defineLazily(Node leaf, Node definition) { VALUES.put(leaf, definition); }

    static double[] values(Node n) { return realize(List.of(n)).get(0); }

    /** The values of all {@code nodes}, evaluated together so shared subgraphs are computed once. */
    static List<double[]> realize(List<Node> nodes) {
        Map<Node, double[]> known = new IdentityHashMap<>();
        Deque<Node> todo = new ArrayDeque<>(nodes);
        Map<Node, Boolean> seen = new IdentityHashMap<>();
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (seen.put(n, Boolean.TRUE) != null) continue;
            Object v = VALUES.get(n);
            if (v instanceof Node definition) {
                double[] value = values(definition);
                VALUES.put(n, value);
                known.put(n, value);
            } else if (v instanceof double[] value) {
                known.put(n, value);
            } else if (n.isLeaf()) {
                throw new IllegalStateException("leaf " + Graph.attributes(n.op()) + " " + n.shape() + " has no value");
            } else {
                todo.addAll(n.inputs());
            }
        }
        Map<Node, double[]> computed = Interpreter.evaluate(nodes, known);
        List<double[]> result = new ArrayList<>();
        for (Node n : nodes) {
            double[] v = known.get(n);
            if (v == null) {
                v = computed.get(n);
                for (int i = 0; i < v.length; i++) v[i] = n.dtype().round(v[i]);
                VALUES.put(n, v);
            }
            result.add(v);
        }
        return result;
    }
}
