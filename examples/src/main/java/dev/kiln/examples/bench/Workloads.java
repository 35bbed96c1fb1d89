package dev.kiln.examples.bench;

import dev.kiln.dsl.Autograd;
import dev.kiln.dsl.Device;
import dev.kiln.dsl.F;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.TrainingStep;
import dev.kiln.dsl.nn.Module;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.Parameter;
import dev.kiln.dsl.nn.ReLU;
import dev.kiln.dsl.nn.Sequential;
import dev.kiln.examples.models.LeNet;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.runtime.Executor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The benchmark workloads: the same names and computations as {@code /work/shared/bench/torch_ref.py}, written
 * with Kiln's eager Tensor API. Every iteration forces its results: a training step's {@code backward()}
 * computes the gradients and each in-place update under no_grad computes the new values; the other workloads
 * read their outputs.
 *
 * <p>Two things about Kiln that a benchmark must not trip over:
 * <ul>
 *   <li>Graph nodes are hash-consed and the values of realized nodes are remembered while the node lives, so
 *       computing {@code a.mm(b)} twice on the same leaves can return the remembered value without computing.
 *       Training steps are safe (the parameters are new leaves after every update); inference feeds each
 *       iteration a fresh leaf for its input ({@code x.detach()}, no copy), as a new batch would be.</li>
 *   <li>Reading a tensor's values through the Tensor API copies them into a {@code double[]}; for
 *       {@code sgemm_*} and {@code eltwise_chain_4m}, whose outputs are large, that copy would be a large part
 *       of what is timed, so they build the graph with the Tensor API and evaluate it with the runtime's
 *       {@link Executor} (the call Tensor reads go through), which returns the float32 buffer itself.</li>
 * </ul>
 */
public final class Workloads {
    private Workloads() {}

    /** A prepared workload: one iteration, and its floating-point operation count (0 when not reported). */
    public record Case(Runnable step, double flops) {}

    /** A named workload; {@code setup} builds its data and model on a device (untimed). */
    public record Workload(String name, String description, Function<Device, Case> setup) {}

    /** All workloads, in the reference's order. */
    public static final Map<String, Workload> ALL = new LinkedHashMap<>();

    static {
        add("seed002_step", "N=64, 1000→100→10 two-layer net by hand, sum-of-squares loss, W -= 1e-6·grad", Workloads::seed002Step);
        add("lenet_b64_step", "LeNet [64,1,32,32], cross-entropy, SGD(lr=0.01, momentum=0.9): one step", d -> lenetStep(64, d));
        add("lenet_b1_step", "LeNet [1,1,32,32], cross-entropy, SGD(lr=0.01, momentum=0.9): one step", d -> lenetStep(1, d));
        add("lenet_b64_infer", "LeNet forward [64,1,32,32] under no_grad", Workloads::lenetInfer);
        add("mlp784_adam_b64_step", "784→256→10 MLP, batch 64, cross-entropy, Adam(lr=1e-3): one step", Workloads::mlpAdamStep);
        add("tiny_rmsprop_b32_step", "1→20→1 MLP, batch 32, MSE, RMSprop(lr=0.01, alpha=0.9): one step", Workloads::tinyRmspropStep);
        add("sgemm_256", "C = A @ B, float32 [256,256]", d -> sgemm(256, d));
        add("sgemm_1024", "C = A @ B, float32 [1024,1024]", d -> sgemm(1024, d));
        add("sgemm_4096", "C = A @ B, float32 [4096,4096] (the GPU's size; not run by default)", d -> sgemm(4096, d));
        add("eltwise_chain_4m", "y = relu(x*w + b)*0.5 - x over 2^22 float32 elements", Workloads::eltwiseChain);
    }

    /** What {@code kiln bench} runs when no workload is named: all but sgemm_4096, which takes seconds per CPU run. */
    public static List<String> defaults() { return names().stream().filter(n -> !n.equals("sgemm_4096")).toList(); }

    private static void add(String name, String description, Function<Device, Case> setup) {
        ALL.put(name, new Workload(name, description, setup));
    }

    // ---- training steps: compiled (forward, loss, backward and the optimizer update in one program) ---------------

    /** Seed 002's two-layer net as a module: relu(X@W1)@W2, trained with W -= 1e-6·grad on the sum of squares. */
    static final class TwoLayer extends Module {
        final Parameter w1 = new Parameter(Kiln.randn(1000, 100));
        final Parameter w2 = new Parameter(Kiln.randn(100, 10));

        @Override public Tensor forward(Tensor x) { return x.mm(w1).clampMin(0).mm(w2); }
    }

    static Case seed002Step(Device device) {
        Tensor x = Kiln.randn(64, 1000).to(device), y = Kiln.randn(64, 10).to(device);
        TwoLayer net = new TwoLayer();
        net.to(device);
        TrainingStep step = TrainingStep.compile(net, (out, target) -> out.sub(target).pow(2).sum(),
                new dev.kiln.dsl.optim.SGD(net.parameters(), 1e-6), x, y);
        return new Case(() -> step.step(x, y), 0);
    }

    static Case lenetStep(int batch, Device device) {
        LeNet net = new LeNet();
        net.to(device);
        Tensor x = Kiln.randn(batch, 1, 32, 32).to(device), t = Kiln.randint(0, 10, batch).to(device);
        TrainingStep step = TrainingStep.compile(net, F::crossEntropy, new dev.kiln.dsl.optim.SGD(net.parameters(), 0.01, 0.9), x, t);
        return new Case(() -> step.step(x, t), 0);
    }

    static Case mlpAdamStep(Device device) {
        Sequential net = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10));
        net.to(device);
        Tensor x = Kiln.randn(64, 784).to(device), t = Kiln.randint(0, 10, 64).to(device);
        TrainingStep step = TrainingStep.compile(net, F::crossEntropy, new dev.kiln.dsl.optim.Adam(net.parameters(), 1e-3), x, t);
        return new Case(() -> step.step(x, t), 0);
    }

    static Case tinyRmspropStep(Device device) {
        Sequential net = new Sequential(new Linear(1, 20), new ReLU(), new Linear(20, 1));
        net.to(device);
        Tensor cpuX = Kiln.randn(32, 1);
        Tensor x = cpuX.to(device), y = materialize(cpuX.pow(2)).to(device);   // y computed once, as PyTorch's eager x.pow(2) is
        TrainingStep step = TrainingStep.compile(net, F::mseLoss, new dev.kiln.dsl.optim.RMSprop(net.parameters(), 0.01, 0.9), x, y);
        return new Case(() -> step.step(x, y), 0);
    }

    // ---- inference and kernels ------------------------------------------------------------------------------------

    static Case lenetInfer(Device device) {
        LeNet net = new LeNet();
        net.to(device);
        double[] data = Kiln.randn(64, 1, 32, 32).toDoubleArray();
        return new Case(() -> Autograd.noGrad(() -> {
            // a new input leaf each time (a 256 KB copy), so no remembered value of an identical graph is reused
            Tensor x = Kiln.tensor(data, new int[] {64, 1, 32, 32}, DType.F32).to(device);
            Tensor out = net.invoke(x);
            out.toFloatArray();            // [64, 10]: forces the forward pass
        }), 0);
    }

    static Case sgemm(int n, Device device) {
        Leaf a = Leaf.of(Kiln.randn(n, n)), b = Leaf.of(Kiln.randn(n, n));
        Map<Node, HostBuffer> known = Map.of(a.tensor.node(), a.buffer, b.tensor.node(), b.buffer);
        return new Case(() -> {
            Node c = a.tensor.mm(b.tensor).node();
            evaluate(device, c, known);
        }, 2.0 * n * n * n);
    }

    static Case eltwiseChain(Device device) {
        int n = 1 << 22;
        Leaf x = Leaf.of(Kiln.randn(n)), w = Leaf.of(Kiln.randn(n)), b = Leaf.of(Kiln.randn(n));
        Map<Node, HostBuffer> known = Map.of(x.tensor.node(), x.buffer, w.tensor.node(), w.buffer, b.tensor.node(), b.buffer);
        return new Case(() -> {
            Node y = F.relu(x.tensor.mul(w.tensor).add(b.tensor)).mul(0.5).sub(x.tensor).node();
            evaluate(device, y, known);
        }, 0);
    }

    /** A float32 leaf tensor and a buffer holding its values, for evaluating graphs over it with {@link Executor}. */
    private record Leaf(Tensor tensor, HostBuffer buffer) {
        static Leaf of(Tensor t) { return new Leaf(t, HostBuffer.wrap(DType.F32, t.toFloatArray())); }
    }

    /**
     * Computes {@code out} (its whole float32 buffer, not a copy) from the given leaf values, on the device's backend:
     * the selected one for the CPU, {@code cuda} for a GPU (which copies the leaves in and the result out, as reading
     * a CUDA tensor's values does).
     */
    private static HostBuffer evaluate(Device device, Node out, Map<Node, HostBuffer> known) {
        String backend = device.isCuda() ? "cuda" : Executor.backendName();
        HostBuffer result = Executor.realize(backend, List.of(out), known).get(0);
        if (result.length() != out.shape().numel()) throw new IllegalStateException("unexpected result size " + result.length());
        return result;
    }

    /** A new leaf holding {@code t}'s values. */
    private static Tensor materialize(Tensor t) {
        return Kiln.tensor(t.toDoubleArray(), t.shape().toArray(), t.dtype());
    }

    // ---- optimizers: torch.optim's single-tensor formulas, written with in-place updates under no_grad ------------

    /** SGD with momentum (dampening 0, no Nesterov, no weight decay). */
    public static List<String> names() { return new ArrayList<>(ALL.keySet()); }
}
