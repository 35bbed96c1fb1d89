package dev.kiln.ir;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Graph.dump and Graph.dot text, and the topological order they print in. */
class GraphDumpTest {

    private static final Pattern LINE = Pattern.compile("%(\\d+) = ([A-Za-z_0-9]+)\\((.*)\\) : \\[([0-9, ]*)\\] (float32|float64|int32|int64|bool)(   # output \\d+)?");

    @Test
    void exactDumpOfATinyGraph() {
        Node x = Node.leaf(Op.Role.INPUT, "x", Shape.of(2, 3), DType.F32);
        Node w = Node.leaf(Op.Role.PARAMETER, "w", Shape.of(3, 4), DType.F32);
        Node z = Ops.sum(Ops.matmul(x, w), List.of(1), false);
        assertEquals("""
                %0 = Leaf(input "x") : [2, 3] float32
                %1 = Leaf(parameter "w") : [3, 4] float32
                %2 = matmul(%0, %1) : [2, 4] float32
                %3 = reduce_sum(%2, axes=[1]) : [2] float32   # output 0
                """, Graph.dump(List.of(z)));
    }

    @Test
    void exactDumpWithConstantsAndTwoOutputs() {
        Node x = Node.leaf(Op.Role.INPUT, "x", Shape.of(2, 3), DType.F32);
        Node t = Ops.mul(x, 2.0);
        Node e = Ops.unary(Op.UnaryFn.EXP, t);
        assertEquals("""
                %0 = Leaf(input "x") : [2, 3] float32
                %1 = Constant(value=2.0) : [] float32
                %2 = Reshape(%1, shape=[1, 1]) : [1, 1] float32
                %3 = Expand(%2, shape=[2, 3]) : [2, 3] float32
                %4 = mul(%0, %3) : [2, 3] float32   # output 0
                %5 = exp(%4) : [2, 3] float32   # output 1
                """, Graph.dump(List.of(t, e)));
    }

    @Test
    void sharedNodesAppearOnce() {
        Node x = Node.leaf(Op.Role.STATE, "s", Shape.of(3), DType.F64);
        Node sq = Ops.mul(x, x);
        Node y = Ops.add(sq, sq);
        assertEquals("""
                %0 = Leaf(state "s") : [3] float64
                %1 = mul(%0, %0) : [3] float64
                %2 = add(%1, %1) : [3] float64   # output 0
                """, Graph.dump(List.of(y)));
    }

    @Test
    void attributesOfEveryOpKind() {
        Node x = Node.leaf(Op.Role.INPUT, "img", Shape.of(1, 1, 4, 6), DType.F32);
        Node k = Node.leaf(Op.Role.PARAMETER, "k", Shape.of(2, 1, 3, 3), DType.F32);
        Node conv = Ops.conv2d(x, k, 2, 1, 1, 0, 1, 2);
        Node pad = Ops.pad(conv, List.of(0, 0, 1, 0), List.of(0, 0, 0, 1), -1);
        Node perm = Ops.permute(pad, List.of(0, 2, 3, 1));
        Node sl = Ops.slice(perm, List.of(0, 0, 0, 1), List.of(1, 3, 1, -1), List.of(1, 2, 1, -1));
        Node max = Ops.max(sl, List.of(3), true);
        Node cast = Ops.cast(max, DType.I64);
        String dump = Graph.dump(List.of(cast));
        assertEquals("""
                %0 = Leaf(input "img") : [1, 1, 4, 6] float32
                %1 = Leaf(parameter "k") : [2, 1, 3, 3] float32
                %2 = conv2d(%0, %1, stride=2x1, pad=1x0, dilation=1x2) : [1, 2, 2, 2] float32
                %3 = Pad(%2, before=[0, 0, 1, 0], after=[0, 0, 0, 1], value=-1.0) : [1, 2, 3, 3] float32
                %4 = Permute(%3, order=[0, 2, 3, 1]) : [1, 3, 3, 2] float32
                %5 = Slice(%4, start=[0, 0, 0, 1], stop=[1, 3, 1, -1], step=[1, 2, 1, -1]) : [1, 2, 1, 2] float32
                %6 = reduce_max(%5, axes=[3], keepdim) : [1, 2, 1, 1] float32
                %7 = Cast(%6, to=int64) : [1, 2, 1, 1] int64   # output 0
                """, dump);

        Node seed = Ops.scalar(5, DType.I64);
        Node r = Node.of(new Op.RandomUniform(Shape.of(2), 3), seed);
        Node w = Ops.where(Ops.lt(r, Ops.scalar(0.5, DType.F32)), r, Ops.scalar(0, DType.F32));
        String d2 = Graph.dump(List.of(w));
        assertTrue(d2.contains("= RandomUniform(%0, shape=[2], salt=3) : [2] float32"), d2);
        assertTrue(d2.contains("= lt("), d2);
        assertTrue(d2.contains(" : [2] bool"), d2);
        assertTrue(d2.contains("= where("), d2);
    }

    @Test
    void everyLineHasTheDocumentedForm() {
        Node x = Node.leaf(Op.Role.INPUT, "x", Shape.of(4, 3), DType.F32);
        Node w = Node.leaf(Op.Role.PARAMETER, "w", Shape.of(3, 2), DType.F32);
        Node h = Ops.matmul(x, w);
        Node relu = Ops.where(Ops.gt(h, Ops.scalar(0, DType.F32)), h, Ops.scalar(0, DType.F32));
        Node loss = Ops.sum(Ops.mul(relu, relu), Ops.allAxes(relu), false);
        List<Node> grads = Autodiff.gradients(List.of(loss), List.of(Ops.scalar(1, DType.F32)), List.of(w));
        List<Node> outputs = List.of(loss, grads.get(0));
        String dump = Graph.dump(outputs);
        String[] lines = dump.split("\n");
        List<Node> order = Graph.topologicalOrder(outputs);
        assertEquals(order.size(), lines.length, "one line per node");
        int outputsSeen = 0;
        for (int i = 0; i < lines.length; i++) {
            Matcher m = LINE.matcher(lines[i]);
            assertTrue(m.matches(), "line " + i + ": " + lines[i]);
            assertEquals(i, Integer.parseInt(m.group(1)));
            assertEquals(order.get(i).shape().toString(), "[" + m.group(4) + "]");
            assertEquals(order.get(i).dtype().torchName(), m.group(5));
            // inputs are always numbered before their users
            Matcher ref = Pattern.compile("%(\\d+)").matcher(m.group(3));
            while (ref.find()) assertTrue(Integer.parseInt(ref.group(1)) < i, lines[i]);
            if (m.group(6) != null) outputsSeen++;
        }
        assertEquals(2, outputsSeen);
        assertTrue(dump.contains("# output 0") && dump.contains("# output 1"));
        assertTrue(dump.endsWith("\n"));
    }

    @Test
    void exactDotOfATinyGraph() {
        Node x = Node.leaf(Op.Role.INPUT, "x", Shape.of(2, 3), DType.F32);
        Node w = Node.leaf(Op.Role.PARAMETER, "w", Shape.of(3, 4), DType.F32);
        Node y = Ops.matmul(x, w);
        assertEquals("""
                digraph kiln {
                  rankdir=TB;
                  node [shape=box, fontname="monospace"];
                  n0 [label="Leaf\\ninput \\"x\\"\\n[2, 3] float32", style=filled, fillcolor=lightgrey];
                  n1 [label="Leaf\\nparameter \\"w\\"\\n[3, 4] float32", style=filled, fillcolor=lightgrey];
                  n2 [label="matmul\\n[2, 4] float32", style=bold];
                  n0 -> n2;
                  n1 -> n2;
                }
                """, Graph.dot(List.of(y)));
    }

    @Test
    void dotHasOneBoxPerNodeAndOneEdgePerInput() {
        Node x = Node.leaf(Op.Role.INPUT, "x", Shape.of(4), DType.F32);
        Node y = Ops.sum(Ops.mul(Ops.unary(Op.UnaryFn.TANH, x), x), List.of(0), false);
        String dot = Graph.dot(List.of(y));
        assertTrue(dot.startsWith("digraph kiln {\n"), dot);
        assertTrue(dot.endsWith("}\n"), dot);
        List<Node> order = Graph.topologicalOrder(List.of(y));
        long boxes = dot.lines().filter(l -> l.matches("  n\\d+ \\[label=\".*\"(, [a-z]+=[a-z]+)*\\];")).count();
        long edges = dot.lines().filter(l -> l.matches("  n\\d+ -> n\\d+;")).count();
        int inputs = order.stream().mapToInt(n -> n.inputs().size()).sum();
        assertEquals(order.size(), boxes, dot);
        assertEquals(inputs, edges, dot);
        assertEquals(dot.chars().filter(c -> c == '{').count(), dot.chars().filter(c -> c == '}').count());
        // quotes inside labels are escaped, so every line has an even number of unescaped quotes
        for (String line : dot.lines().toList()) {
            long quotes = line.replace("\\\"", "").chars().filter(c -> c == '"').count();
            assertEquals(0, quotes % 2, line);
        }
    }

    @Test
    void topologicalOrderPutsInputsFirstAndHandlesDeepGraphs() {
        Node x = Node.leaf(Op.Role.INPUT, "x", Shape.of(1), DType.F64);
        Node n = x;
        for (int i = 0; i < 20000; i++) n = Ops.unary(i % 2 == 0 ? Op.UnaryFn.NEG : Op.UnaryFn.TANH, n);
        List<Node> order = Graph.topologicalOrder(List.of(n));
        assertEquals(20001, order.size());
        assertEquals(x, order.get(0));
        assertEquals(n, order.get(order.size() - 1));
        String dump = Graph.dump(List.of(n));
        assertEquals(20001, dump.lines().count());
        // the boundary predicate stops the walk
        Node mid = n.input(0).input(0);
        List<Node> cut = Graph.topologicalOrder(List.of(n), node -> node == mid);
        assertEquals(3, cut.size());
        assertEquals(mid, cut.get(0));
    }
}
