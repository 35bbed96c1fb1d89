package dev.kiln.examples;

import dev.kiln.dsl.F;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.TrainingStep;
import dev.kiln.dsl.nn.CrossEntropyLoss;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.ReLU;
import dev.kiln.dsl.nn.Sequential;
import dev.kiln.dsl.optim.SGD;
import org.junit.jupiter.api.Test;

import static dev.kiln.dsl.Kiln.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's Java quick start, compiled and run (ReadmeTest checks the README shows exactly this code). */
class QuickStartTest {
    @Test
    void autograd() {
        // quick start: autograd
        Tensor a = tensor(2f, 3f).requiresGrad_(true);
        Tensor b = tensor(6f, 4f).requiresGrad_(true);
        Tensor q = a.pow(3).mul(3).sub(b.pow(2));
        q.backward(tensor(1f, 1f));
        System.out.println(a.grad());   // tensor([36., 81.])
        // end
        assertEquals("tensor([36., 81.])", a.grad().toString());
    }

    @Test
    void training() {
        // quick start: training
        Sequential net = new Sequential(new Linear(2, 16), new ReLU(), new Linear(16, 2));
        Tensor x = Kiln.randn(128, 2);
        Tensor labels = x.sum(1).gt(0).to(dev.kiln.ir.DType.I64);    // class 1 when x0 + x1 > 0
        TrainingStep step = TrainingStep.compile(net, new CrossEntropyLoss(), new SGD(net.parameters(), 0.5, 0.9), x, labels);
        for (int i = 0; i < 200; i++) step.step(x, labels);
        Tensor accuracy = net.invoke(x).argmax(1).eq(labels).to(dev.kiln.ir.DType.F32).mean();
        System.out.println(accuracy);   // close to tensor(1.)
        // end
        assertTrue(accuracy.item() > 0.95, "accuracy " + accuracy);
    }
}
