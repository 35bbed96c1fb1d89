package dev.kiln.dsl;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.runtime.Executor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns lazy nodes into values. The value of every leaf and of every node realized so far stays on the node
 * ({@link Node#value()}, for as long as the node lives); what is missing is computed on the backend of the device asked
 * for ({@link Executor}, one backend per device type, see {@link Devices}). Values are host buffers whichever backend
 * computed them, so a value is the node's on every device. A leaf may also stand for another node's value
 * ({@link Node#definition()}): a tensor cut from the gradient graph keeps its laziness that way.
 */
final class Realizer {
    private Realizer() {}

    static void bind(Node leaf, double[] values) {
        if (values.length != leaf.shape().numel()) {
            throw new IllegalArgumentException(values.length + " values for a tensor of shape " + leaf.shape());
        }
        leaf.setValue(HostBuffer.of(leaf.dtype(), values));
    }

    /** Binds a leaf to a buffer the caller hands over (not copied). */
    static void bind(Node leaf, HostBuffer buffer) {
        if (buffer.length() != leaf.shape().numel() || buffer.dtype() != leaf.dtype()) {
            throw new IllegalArgumentException(buffer.dtype().torchName() + "[" + buffer.length() + "] for a tensor of shape " + leaf.shape()
                    + " and dtype " + leaf.dtype().torchName());
        }
        leaf.setValue(buffer);
    }

    static void defineLazily(Node leaf, Node definition) { leaf.define(definition); }

    /** The values of {@code n} as doubles (a copy), computed on the CPU's backend if need be. */
    static double[] values(Node n) { return values(n, Device.CPU); }

    /** The values of {@code n} as doubles (a copy), computed on {@code device}'s backend if need be. */
    static double[] values(Node n, Device device) { return buffer(n, device).toDoubles(); }

    /** The value of a node that already has one, without allocating; null if it has none yet. */
    static HostBuffer existing(Node n) { return n.value(); }

    /** The value of {@code n} (shared: don't modify). */
    static HostBuffer buffer(Node n, Device device) { return buffers(List.of(n), device).get(0); }

    /** The values of all {@code nodes} as doubles, computed together so shared subgraphs are computed once. */
    static List<double[]> realize(List<Node> nodes, Device device) {
        List<double[]> values = new ArrayList<>();
        for (HostBuffer b : buffers(nodes, device)) values.add(b.toDoubles());
        return values;
    }

    /** The values of {@code tensors}, each computed on its own device's backend: one program per device. */
    static List<HostBuffer> buffersOf(List<Tensor> tensors) {
        Map<Device, List<Integer>> byDevice = new java.util.LinkedHashMap<>();
        for (int i = 0; i < tensors.size(); i++) byDevice.computeIfAbsent(tensors.get(i).device(), d -> new ArrayList<>()).add(i);
        HostBuffer[] values = new HostBuffer[tensors.size()];
        byDevice.forEach((device, at) -> {
            List<Node> nodes = new ArrayList<>();
            for (int i : at) nodes.add(tensors.get(i).node());
            List<HostBuffer> computed = buffers(nodes, device);
            for (int k = 0; k < at.size(); k++) values[at.get(k)] = computed.get(k);
        });
        return List.of(values);
    }

    /**
     * The values of all {@code nodes} (shared: don't modify), computed together. Leaves defined lazily by other nodes
     * (tensors computed under no-grad or detached) are inlined into one graph first, so a no-grad forward pass is one
     * fused program rather than one per layer.
     */
    static List<HostBuffer> buffers(List<Node> nodes, Device device) {
        Map<Node, Node> inlined = new IdentityHashMap<>();
        List<Node> targets = new ArrayList<>();
        for (Node n : nodes) targets.add(inline(n, inlined));
        List<HostBuffer> values = computed(targets, device);
        for (int i = 0; i < nodes.size(); i++) if (nodes.get(i) != targets.get(i)) nodes.get(i).setValue(values.get(i));
        return values;
    }

    /** {@code n} with every lazily defined leaf that has no value yet replaced by its definition (recursively). */
    private static Node inline(Node n, Map<Node, Node> memo) {
        Node done = memo.get(n);
        if (done != null) return done;
        Node definition = n.definition();     // read before the value: setValue() stores the value, then drops this
        Node result;
        if (n.value() != null || n.isLeaf() && definition == null) {
            result = n;
        } else if (definition != null) {
            result = inline(definition, memo);
        } else {
            Node[] inputs = new Node[n.inputs().size()];
            boolean same = true;
            for (int i = 0; i < inputs.length; i++) {
                inputs[i] = inline(n.input(i), memo);
                same &= inputs[i] == n.input(i);
            }
            result = same ? n : Node.of(n.op(), inputs);
        }
        memo.put(n, result);
        return result;
    }

    private static List<HostBuffer> computed(List<Node> nodes, Device device) {
        Map<Node, HostBuffer> known = new IdentityHashMap<>();
        Deque<Node> todo = new ArrayDeque<>(nodes);
        Map<Node, Boolean> seen = new IdentityHashMap<>();
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (seen.put(n, Boolean.TRUE) != null) continue;
            Node definition = n.definition();
            HostBuffer value = n.value();
            if (value != null) {
                known.put(n, value);
            } else if (definition != null) {
                value = buffer(definition, device);
                n.setValue(value);
                known.put(n, value);
            } else if (n.isLeaf()) {
                throw new IllegalStateException("leaf " + Graph.attributes(n.op()) + " " + n.shape() + " has no value");
            } else {
                todo.addAll(n.inputs());
            }
        }
        List<Node> missing = new ArrayList<>();
        for (Node n : nodes) if (!known.containsKey(n) && !missing.contains(n)) missing.add(n);
        if (!missing.isEmpty()) {
            Devices.requireUsable(device);
            List<HostBuffer> computed = Executor.realize(Devices.backendFor(device), missing, known);
            for (int i = 0; i < missing.size(); i++) {
                missing.get(i).setValue(computed.get(i));
                known.put(missing.get(i), computed.get(i));
            }
        }
        List<HostBuffer> result = new ArrayList<>();
        for (Node n : nodes) result.add(known.get(n));
        return result;
    }
}
