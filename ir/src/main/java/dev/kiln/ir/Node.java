package dev.kiln.ir;

import dev.kiln.ir.backend.HostBuffer;

import java.lang.ref.WeakReference;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A hash-consed graph node: an op applied to input nodes, immutable in everything that makes its identity. Two
 * requests for the same op on the same inputs return the same object, so equal subgraphs are shared (CSE for free).
 * Shape and dtype are inferred at construction; a mismatch throws {@link ShapeException} right there. A node also
 * carries its value once known ({@link #value()}), which is no part of its identity.
 */
public final class Node {
    private static final Map<Node, WeakReference<Node>> INTERNED = new WeakHashMap<>();
    private static final AtomicLong NEXT_LEAF_ID = new AtomicLong();

    private final Op op;
    private final List<Node> inputs;
    private final Shape shape;
    private final DType dtype;
    private final int hash;
    /** See {@link #value()} and {@link #definition()}: the only mutable parts of a node, and no part of its identity. */
    private volatile HostBuffer value;
    private volatile Node definition;

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

    /*
     * Values live on their nodes, not in a map keyed by node: a value lives exactly as long as its node and dies in the
     * same collection. In a WeakHashMap each value outlived its key by a collection (an entry is dropped only after the
     * collection that clears its key), so every eager buffer was copied by the young collection after its use, and many
     * were promoted to the old generation, where only a marking cycle frees them (repeated no-grad inference held
     * ~1 GB after 8 s). A definition held there also kept the leaves it reads alive, one collection per link.
     */

    /** This node's value once bound (a leaf) or computed, or null. Set by whoever realizes nodes (the DSL). */
    public HostBuffer value() { return value; }

    /** Records this node's value; a leaf that stood for another node's value no longer needs that node. */
    public void setValue(HostBuffer value) {
        if (value.dtype() != dtype || value.length() != shape.numel()) {
            throw new IllegalArgumentException("a " + value.dtype().torchName() + "[" + value.length() + "] buffer can't be the value of " + this);
        }
        this.value = value;
        this.definition = null;
    }

    /**
     * The node whose value this leaf stands for until it is computed, or null: a tensor cut from the gradient graph
     * (a no-grad result, a detached tensor) stays lazy this way, and its leaf keeps what it reads alive.
     */
    public Node definition() { return definition; }

    /** Makes this fresh leaf stand for {@code definition}'s value (see {@link #definition()}). */
    public void define(Node definition) {
        if (!isLeaf()) throw new IllegalStateException("only a leaf can stand for another node's value, not " + this);
        if (this.definition != null || value != null) throw new IllegalStateException("leaf " + this + " already has a value or a definition");
        if (!definition.shape().equals(shape) || definition.dtype() != dtype) {
            throw new IllegalArgumentException("leaf " + this + " cannot stand for " + definition + ": shape and dtype must match");
        }
        this.definition = definition;
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
