package dev.kiln.dsl.nn;

import dev.kiln.dsl.Autograd;
import dev.kiln.dsl.F;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Defining models from Java and training them with a hand-written SGD loop. */
class JavaTrainingTest {

    /** A two-layer perceptron written as a Module subclass, the way a Java user would. */
    static class Mlp extends Module {
        final Linear hidden;
        final Linear out;

        Mlp(int in, int width, int outputs) {
            hidden = new Linear(in, width);
            out = new Linear(width, outputs);
        }

        @Override public Tensor forward(Tensor x) { return out.invoke(F.relu(hidden.invoke(x))); }
    }

    /** One SGD step, PyTorch style: p -= lr * p.grad under no_grad. */
    private static void sgdStep(Module model, double lr) {
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            for (Parameter p : model.parameters()) p.sub_(p.grad().mul(lr));
        }
    }

    /** 64 points of y = 3·x0 − 2·x1 + 0.5 on [−1, 1]². */
    private static Tensor[] regressionData() {
        Kiln.manualSeed(3);
        Tensor x = Kiln.rand(64, 2).mul(2).sub(1);
        double[] xv = x.toDoubleArray();
        double[] y = new double[64];
        for (int i = 0; i < 64; i++) y[i] = 3 * xv[2 * i] - 2 * xv[2 * i + 1] + 0.5;
        return new Tensor[] {x, Kiln.tensor(y, new int[] {64, 1}, dev.kiln.ir.DType.F32)};
    }

    @Test
    void mlpSubclassLearnsALinearFunction() {
        Tensor[] data = regressionData();
        Tensor x = data[0], y = data[1];
        Kiln.manualSeed(1);
        Mlp net = new Mlp(2, 16, 1);
        assertEquals("Mlp(\n"
                + "  (hidden): Linear(in_features=2, out_features=16, bias=True)\n"
                + "  (out): Linear(in_features=16, out_features=1, bias=True)\n"
                + ")", net.toString());
        assertEquals(List.of("hidden.weight", "hidden.bias", "out.weight", "out.bias"), List.copyOf(net.namedParameters().keySet()));
        MSELoss lossFn = new MSELoss();

        double initial = Double.NaN, last = Double.NaN;
        for (int step = 0; step < 300; step++) {
            net.zeroGrad();
            Tensor loss = lossFn.invoke(net.invoke(x), y);
            loss.backward();
            for (Parameter p : net.parameters()) assertNotNull(p.grad());
            sgdStep(net, 0.1);
            if (step == 0) initial = loss.item();
            last = loss.item();
        }
        assertTrue(initial > 0.5, "the untrained net should be clearly wrong, loss " + initial);
        assertTrue(last < 0.2 * initial, "loss " + initial + " -> " + last);
        assertTrue(last < 0.05, "final loss " + last);

        // predictions on new points
        Tensor probe = Kiln.tensor(new float[][] {{0.5f, -0.5f}, {-0.25f, 0.75f}, {0, 0}});
        double[] pred = net.invoke(probe).toDoubleArray();
        double[] expected = {3 * 0.5 + 2 * 0.5 + 0.5, -3 * 0.25 - 2 * 0.75 + 0.5, 0.5};
        for (int i = 0; i < 3; i++) assertEquals(expected[i], pred[i], 0.35, "prediction " + i);
    }

    @Test
    void sequentialClassifierLearnsTwoClusters() {
        // two Gaussian blobs around (1, 1) and (−1, −1), 40 points each
        Kiln.manualSeed(5);
        Tensor noise = Kiln.randn(80, 2).mul(0.4);
        double[] xv = noise.toDoubleArray();
        long[] labels = new long[80];
        for (int i = 0; i < 80; i++) {
            double centre = i < 40 ? 1 : -1;
            xv[2 * i] += centre;
            xv[2 * i + 1] += centre;
            labels[i] = i < 40 ? 0 : 1;
        }
        Tensor x = Kiln.tensor(xv, new int[] {80, 2}, dev.kiln.ir.DType.F32);
        Tensor target = Kiln.tensor(labels);

        Sequential net = new Sequential(new Linear(2, 8), new Tanh(), new Linear(8, 2));
        CrossEntropyLoss lossFn = new CrossEntropyLoss();
        double initial = Double.NaN, last = Double.NaN;
        for (int step = 0; step < 100; step++) {
            net.zeroGrad();
            Tensor loss = lossFn.invoke(net.invoke(x), target);
            loss.backward();
            sgdStep(net, 0.5);
            if (step == 0) initial = loss.item();
            last = loss.item();
        }
        assertTrue(last < 0.2 * initial, "loss " + initial + " -> " + last);

        long[] predicted = net.invoke(x).argmax(1).toLongArray();
        assertArrayEquals(labels, predicted, "every training point classified correctly");
        long[] probe = net.invoke(Kiln.tensor(new float[][] {{2, 2}, {-2, -1.5f}})).argmax(1).toLongArray();
        assertArrayEquals(new long[] {0, 1}, probe);
    }

    @Test
    void frozenFirstLayerStaysPutWhileTheRestTrains() {
        Tensor[] data = regressionData();
        Kiln.manualSeed(2);
        Mlp net = new Mlp(2, 16, 1);
        net.hidden.weight.setRequiresGrad(false);
        double[] frozen = net.hidden.weight.toDoubleArray();
        double[] outBefore = net.out.weight.toDoubleArray();
        for (int step = 0; step < 5; step++) {
            net.zeroGrad();
            new MSELoss().invoke(net.invoke(data[0]), data[1]).backward();
            try (Autograd.Scope ignored = Autograd.noGrad()) {
                for (Parameter p : net.parameters()) if (p.grad() != null) p.sub_(p.grad().mul(0.1));
            }
        }
        assertArrayEquals(frozen, net.hidden.weight.toDoubleArray());
        assertTrue(!java.util.Arrays.equals(outBefore, net.out.weight.toDoubleArray()), "unfrozen layers train");
    }

    @Test
    void trainingWithBatchNormAndDropoutThenEvaluating() {
        Tensor[] data = regressionData();
        Kiln.manualSeed(9);
        Sequential net = new Sequential(new Linear(2, 32), new BatchNorm1d(32), new ReLU(), new Dropout(0.1), new Linear(32, 1));
        MSELoss lossFn = new MSELoss();
        net.eval();
        double initial = lossFn.invoke(net.invoke(data[0]), data[1]).item();
        net.train();
        for (int step = 0; step < 200; step++) {
            net.zeroGrad();
            lossFn.invoke(net.invoke(data[0]), data[1]).backward();
            sgdStep(net, 0.05);
        }
        net.eval();
        double fin = lossFn.invoke(net.invoke(data[0]), data[1]).item();
        assertEquals(200.0, net.stateDict().get("1.num_batches_tracked").item());
        assertTrue(fin < 0.2 * initial, "eval loss " + initial + " -> " + fin);
    }
}
