package dev.kiln.ir;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** Walks and prints graphs: topological order, a readable text dump, and Graphviz DOT. */
public final class Graph {
    private Graph() {}

    /** Every node reachable from {@code roots}, inputs before their users (iterative: graphs can be deep). */
    public static List<Node> topologicalOrder(List<Node> roots) { return topologicalOrder(roots, n -> false); }

    /** Like {@link #topologicalOrder(List)}, but nodes on the {@code boundary} are listed without walking into their inputs. */
    public static List<Node> topologicalOrder(List<Node> roots, Predicate<Node> boundary) {
        List<Node> order = new ArrayList<>();
        Set<Node> done = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Node> stack = new ArrayDeque<>();
        Deque<Integer> next = new ArrayDeque<>();
        for (Node root : roots) {
            if (done.contains(root)) continue;
            stack.push(root);
            next.push(0);
            while (!stack.isEmpty()) {
                Node n = stack.peek();
                int i = next.pop();
                if (i < n.inputs().size() && !boundary.test(n)) {
                    next.push(i + 1);
                    Node in = n.input(i);
                    if (!done.contains(in)) {
                        stack.push(in);
                        next.push(0);
                    }
                } else {
                    stack.pop();
                    if (done.add(n)) order.add(n);
                }
            }
        }
        return order;
    }

    /** One line per node: {@code %3 = mul(%1, %2) : [3, 4] float32}, attributes included, outputs marked. */
    public static String dump(List<Node> outputs) {
        List<Node> order = topologicalOrder(outputs);
        Map<Node, Integer> ids = number(order);
        StringBuilder s = new StringBuilder();
        for (Node n : order) {
            s.append('%').append(ids.get(n)).append(" = ").append(n.op().name());
            String attrs = attributes(n.op());
            String args = n.inputs().stream().map(i -> "%" + ids.get(i)).collect(Collectors.joining(", "));
            s.append('(').append(args);
            if (!attrs.isEmpty()) s.append(args.isEmpty() ? "" : ", ").append(attrs);
            s.append(") : ").append(n.shape()).append(' ').append(n.dtype().torchName());
            int out = outputs.indexOf(n);
            if (out >= 0) s.append("   # output ").append(out);
            s.append('\n');
        }
        return s.toString();
    }

    /** The graph in Graphviz DOT: one box per node, edges from inputs to users. */
    public static String dot(List<Node> outputs) {
        List<Node> order = topologicalOrder(outputs);
        Map<Node, Integer> ids = number(order);
        StringBuilder s = new StringBuilder("digraph kiln {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n");
        for (Node n : order) {
            String attrs = attributes(n.op());
            String label = n.op().name() + (attrs.isEmpty() ? "" : "\\n" + attrs) + "\\n" + n.shape() + " " + n.dtype().torchName();
            s.append("  n").append(ids.get(n)).append(" [label=\"").append(label.replace("\"", "\\\"")).append('"');
            if (outputs.contains(n)) s.append(", style=bold");
            if (n.isLeaf()) s.append(", style=filled, fillcolor=lightgrey");
            s.append("];\n");
            for (Node in : n.inputs()) s.append("  n").append(ids.get(in)).append(" -> n").append(ids.get(n)).append(";\n");
        }
        return s.append("}\n").toString();
    }

    private static Map<Node, Integer> number(List<Node> order) {
        Map<Node, Integer> ids = new IdentityHashMap<>();
        for (Node n : order) ids.put(n, ids.size());
        return ids;
    }

    /** The op's attributes as {@code key=value}, for dumps. */
    public static String attributes(Op op) {
        return switch (op) {
            case Op.Leaf l -> l.role().name().toLowerCase() + " \"" + l.label() + "\"";
            case Op.Constant c -> "value=" + c.value();
            case Op.RandomUniform r -> "shape=" + r.shape() + ", salt=" + r.salt();
            case Op.Cast c -> "to=" + c.to().torchName();
            case Op.Unary u -> "";
            case Op.Binary b -> "";
            case Op.Where w -> "";
            case Op.Reduce r -> "axes=" + r.axes() + (r.keepDims() ? ", keepdim" : "");
            case Op.Reshape r -> "shape=" + r.shape();
            case Op.Permute p -> "order=" + p.order();
            case Op.Expand e -> "shape=" + e.shape();
            case Op.Slice sl -> "start=" + sl.start() + ", stop=" + sl.stop() + ", step=" + sl.step();
            case Op.Pad p -> "before=" + p.before() + ", after=" + p.after() + ", value=" + p.value();
            case Op.MatMul m -> "";
            case Op.Conv2d c -> "stride=" + c.strideH() + "x" + c.strideW() + ", pad=" + c.padH() + "x" + c.padW()
                    + ", dilation=" + c.dilationH() + "x" + c.dilationW();
        };
    }
}
