package dev.kiln.dsl;

import dev.kiln.ir.Autodiff;
import dev.kiln.ir.Node;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Gradient mode and the backward pass. {@code backward()} finds the leaves (and tensors that retain grad) behind
 * a result through the grad_fn chain, builds their gradients as IR with {@link Autodiff}, evaluates them together
 * and accumulates into {@code .grad}, as PyTorch does.
 */
public final class Autograd {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> Boolean.TRUE);

    private Autograd() {}

    public static boolean isGradEnabled() { return ENABLED.get(); }

    /** A scope in which no op is recorded for autograd: {@code try (var g = Autograd.noGrad()) { ... }}. */
    public static Scope noGrad() { return setGradEnabled(false); }

    /** Runs {@code body} with gradient recording off. */
    public static void noGrad(Runnable body) {
        try (Scope ignored = noGrad()) {
            body.run();
        }
    }

    /** A scope with gradient recording switched on or off; closing it restores the previous mode. */
    public static Scope setGradEnabled(boolean enabled) {
        boolean previous = ENABLED.get();
        ENABLED.set(enabled);
        return () -> ENABLED.set(previous);
    }

    /** A gradient-mode scope; closing it restores the previous mode. */
    public interface Scope extends AutoCloseable {
        @Override void close();
    }

    /**
     * Gradients of {@code Σ <outputs[i], gradOutputs[i]>} with respect to {@code inputs}, without touching
     * {@code .grad} ({@code torch.autograd.grad}). With {@code createGraph} the results are themselves differentiable.
     */
    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> gradOutputs, boolean createGraph) {
        for (Tensor in : inputs) {
            if (!in.requiresGrad()) throw new IllegalArgumentException("One of the differentiated Tensors does not require grad");
        }
        List<Tensor> seeds = seeds(outputs, gradOutputs);
        List<Node> grads = Autodiff.gradients(nodes(outputs), nodes(seeds), nodes(inputs));
        List<Tensor> result = new ArrayList<>();
        if (createGraph) {
            List<Tensor> sources = concat(outputs, inputs, seeds);
            for (int i = 0; i < grads.size(); i++) result.add(Tensor.fromGradient(grads.get(i), sources, inputs.get(i).device()));
        } else {
            List<double[]> values = Realizer.realize(grads, outputs.get(0).device());
            for (int i = 0; i < grads.size(); i++) {
                result.add(Tensor.constant(values.get(i), grads.get(i).shape(), grads.get(i).dtype(), inputs.get(i).device()));
            }
        }
        return result;
    }

    /**
     * The gradient graph runs on the output's device (one program, wherever the loss is); each gradient then lives on
     * its tensor's device, as PyTorch's do.
     */
    static void backward(Tensor output, Tensor gradient, boolean createGraph) {
        if (!output.requiresGrad()) {
            throw new IllegalStateException("element 0 of tensors does not require grad and does not have a grad_fn");
        }
        List<Tensor> seeds = seeds(List.of(output), gradient == null ? null : List.of(gradient));
        List<Tensor> targets = gradientTargets(output);
        List<Node> grads = Autodiff.gradients(List.of(output.node()), nodes(seeds), nodes(targets));
        if (createGraph) {
            List<Tensor> sources = concat(List.of(output), targets, seeds);
            for (int i = 0; i < targets.size(); i++) {
                targets.get(i).accumulateGrad(Tensor.fromGradient(grads.get(i), sources, targets.get(i).device()));
            }
        } else {
            List<double[]> values = Realizer.realize(grads, output.device());
            for (int i = 0; i < targets.size(); i++) targets.get(i).accumulateGrad(values.get(i));
        }
    }

    private static List<Tensor> seeds(List<Tensor> outputs, List<Tensor> gradOutputs) {
        List<Tensor> seeds = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            Tensor out = outputs.get(i);
            Tensor g = gradOutputs == null ? null : gradOutputs.get(i);
            if (g == null) {
                if (out.numel() != 1) throw new IllegalArgumentException("grad can be implicitly created only for scalar outputs");
                g = Tensor.constant(new double[] {1}, out.node().shape(), out.dtype(), out.device());
            } else if (!g.node().shape().equals(out.node().shape())) {
                throw new IllegalArgumentException("Mismatch in shape: grad_output[" + i + "] has a shape of " + g.shape()
                        + " and output[" + i + "] has a shape of " + out.shape() + ".");
            } else if (!g.device().equals(out.device())) {
                throw new IllegalArgumentException("invalid gradient at index " + i + " - expected device " + out.device() + " but got " + g.device());
            }
            seeds.add(g);
        }
        return seeds;
    }

    /** Leaves that require grad and non-leaves that retain it, reachable through grad_fn, in discovery order. */
    private static List<Tensor> gradientTargets(Tensor output) {
        List<Tensor> targets = new ArrayList<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Tensor> todo = new ArrayDeque<>(List.of(output));
        while (!todo.isEmpty()) {
            Tensor t = todo.pop();
            if (!t.requiresGrad() || !seen.add(t)) continue;
            if (t.isLeaf() || t.retainsGrad()) targets.add(t);
            if (t.gradFn() != null) todo.addAll(t.gradFn().inputs());
        }
        return targets;
    }

    @SafeVarargs
    private static List<Tensor> concat(List<Tensor>... lists) {
        List<Tensor> all = new ArrayList<>();
        for (List<Tensor> l : lists) all.addAll(l);
        return all;
    }

    private static List<Node> nodes(List<Tensor> tensors) {
        List<Node> nodes = new ArrayList<>();
        for (Tensor t : tensors) nodes.add(t.node());
        return nodes;
    }
}
