package dev.kiln.dsl;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Interpreter;
import dev.kiln.ir.Node;
import dev.kiln.ir.Ops;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * For every row of the op table, in float64: the gradient from autodiff matches central finite differences of
 * {@code L = Σ y·gy}, evaluated by the reference interpreter with one input element nudged at a time.
 */
class GradCheckTest {

    /** Gradients computed on each backend; the finite differences always come from the interpreter. */
    @TestFactory
    Stream<DynamicTest> autodiffMatchesFiniteDifferences() {
        return Backends.NAMES.stream().flatMap(backend -> OpTable.CASES.stream()
                .map(c -> DynamicTest.dynamicTest(c.name() + " on " + backend, () -> Backends.on(backend, () -> check(c)))));
    }

    static List<Tensor> float64Inputs(OpTable.Case c) {
        Generator g = new Generator(c.name().hashCode());
        List<Tensor> inputs = new ArrayList<>();
        for (OpTable.Input in : c.inputs()) {
            int n = dev.kiln.ir.Shape.of(in.shape()).numel();
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = switch (in.domain()) {
                    case NORMAL -> g.nextNormal();
                    case POSITIVE -> 0.5 + g.nextUniform();
                    case LABELS -> g.nextLong(0, in.classes());
                };
            }
            Tensor t = Kiln.tensor(v, in.shape(), in.differentiable() ? DType.F64 : DType.I64);
            if (in.differentiable()) t.requiresGrad_(true);
            inputs.add(t);
        }
        return inputs;
    }

    private static void check(OpTable.Case c) {
        List<Tensor> inputs = float64Inputs(c);
        Tensor y = c.fn().apply(inputs);
        Generator g = new Generator(17);
        double[] gyValues = new double[y.numel()];
        for (int i = 0; i < gyValues.length; i++) gyValues[i] = g.nextNormal();
        Tensor gy = Kiln.tensor(gyValues, y.shape().toArray(), y.dtype());
        y.backward(gy);

        Node loss = Ops.sum(Ops.mul(y.node(), gy.node()), Ops.allAxes(y.node()), false);
        Map<Node, double[]> leaves = new IdentityHashMap<>();
        for (Node n : Graph.topologicalOrder(List.of(loss))) if (n.isLeaf()) leaves.put(n, Realizer.values(n));
        double rtol = c.step() > 1e-4 ? 1e-3 : 1e-5;
        for (int i = 0; i < inputs.size(); i++) {
            Tensor x = inputs.get(i);
            if (!x.requiresGrad()) continue;
            assertNotNull(x.grad(), c.name() + ": input " + i + " got no gradient");
            double[] analytic = x.grad().toDoubleArray();
            double[] numeric = new double[analytic.length];
            if (!leaves.containsKey(x.node())) {
                Tensors.assertClose(numeric, analytic, 0, 0, c.name() + " d/dx" + i + " (y does not depend on it)");
                continue;
            }
            for (int j = 0; j < numeric.length; j++) {
                numeric[j] = (lossWith(loss, leaves, x.node(), j, c.step()) - lossWith(loss, leaves, x.node(), j, -c.step())) / (2 * c.step());
            }
            Tensors.assertClose(numeric, analytic, 1e-6, rtol, c.name() + " d/dx" + i);
        }
    }

    private static double lossWith(Node loss, Map<Node, double[]> leaves, Node leaf, int index, double delta) {
        Map<Node, double[]> bound = new IdentityHashMap<>(leaves);
        double[] nudged = leaves.get(leaf).clone();
        nudged[index] += delta;
        bound.put(leaf, nudged);
        return Interpreter.evaluate(loss, bound)[0];
    }
}
