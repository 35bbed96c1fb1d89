package dev.kiln.ir;

import java.lang.ref.WeakReference;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An immutable, hash-consed graph node: an op applied to input nodes. Two requests for the same op on the same
 * inputs return the same object, so equal subgraphs are shared (CSE for free). Shape and dtype are inferred at
 * construction; a mismatch throws {@link ShapeException} right there.
 */
public final class Node {
    private static final Map<Node, WeakReference<Node>> INTERNED = new WeakHashMap<>();
    private static final AtomicLong NEXT_LEAF_ID = new AtomicLong();

    private final Op op;
    private final List<Node> inputs;
    private final Shape shape;
    private final DType dtype;
    private final int hash;

    private Node(Op op, List<Node> inputs, ShapeInference.Type type) {
        this.op = op;
        this.inputs = inputs;
        this.shape = type.shape();
        this.dtype = type.dtype();
        int h = op.hashCode();
        for (Node in : inputs) h = 31 * h + System.identityHashCode(in);
        this.hash = h;
    }

    /** The node for {@code op} applied to {@code inputs}, built (and shape-checked) or found among the live ones. */
    public static Node of(Op op, Node... inputs) {
        List<Node> in = List.of(inputs);
        Node candidate = new Node(op, in, ShapeInference.infer(op, in));
        synchronized (INTERNED) {
            WeakReference<Node> ref = INTERNED.get(candidate);
            Node existing = ref == null ? null : ref.get();
            if (existing != null) return existing;
            INTERNED.put(candidate, new WeakReference<>(candidate));
            return candidate;
        }
    }

    /** A fresh leaf, distinct from every other. */
    public static Node leaf(Op.Role role, String label, Shape shape, DType dtype) {
        return of(new Op.Leaf(role, label, NEXT_LEAF_ID.incrementAndGet(), shape, dtype));
    }

    public Op op() { return op; }

    public List<Node> inputs() { return inputs; }

    public Node input(int i) { return inputs.get(i); }

    public Shape shape() { return shape; }

    public DType dtype() { return dtype; }

    public boolean isLeaf() { return op instanceof Op.Leaf; }

    /** Structural equality: same op, identical inputs. Interning makes this identity for live nodes. */
    @Override public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof Node n) || n.hash != hash || !n.op.equals(op) || n.inputs.size() != inputs.size()) return false;
        for (int i = 0; i < inputs.size(); i++) if (n.inputs.get(i) != inputs.get(i)) return false;
        return true;
    }

    @Override public int hashCode() { return hash; }

    @Override public String toString() { return op.name() + shape + ":" + dtype.torchName(); }
}
