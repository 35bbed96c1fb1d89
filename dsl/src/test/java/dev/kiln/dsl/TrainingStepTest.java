package dev.kiln.dsl;

import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.MSELoss;
import dev.kiln.dsl.nn.Module;
import dev.kiln.dsl.nn.Parameter;
import dev.kiln.dsl.nn.ReLU;
import dev.kiln.dsl.nn.Sequential;
import dev.kiln.dsl.optim.Adam;
import dev.kiln.dsl.optim.Optimizer;
import dev.kiln.dsl.optim.RMSprop;
import dev.kiln.dsl.optim.SGD;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The compiled training step: steady-state allocation, shape changes, interplay with the eager API. */
class TrainingStepTest {

    private static Module tinyNet() {
        Kiln.manualSeed(4);
        return new Sequential(new Linear(1, 20), new ReLU(), new Linear(20, 1));
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void steadyStateStepsAllocateAlmostNothing() {
        Module net = tinyNet();
        Tensor x = Kiln.randn(32, 1), y = x.pow(2);
        Kiln.evaluate(java.util.List.of(y));
        TrainingStep step = TrainingStep.compile(net, new MSELoss(), new RMSprop(net.parameters(), 0.01, 0.9), x, y);
        for (int i = 0; i < 2000; i++) step.step(x, y);           // warm-up: JIT compilation, first-touch
        int steps = 2000;
        long before = allocatedBytes();
        for (int i = 0; i < steps; i++) step.step(x, y);
        long perStep = (allocatedBytes() - before) / steps;
        assertTrue(perStep <= 1024, "compiled step allocates " + perStep + " bytes per step (limit 1 KiB)");
    }

    @Test
    void aLeNetStepAllocatesAlmostNothingToo() {
        // convolutions and GEMMs on every path of the JVM backend: strided, panel-layout and offset-table operands
        Kiln.manualSeed(4);
        dev.kiln.runtime.Executor.setThreads(1);
        Module net = new dev.kiln.dsl.nn.LeNet();
        Tensor x = Kiln.randn(8, 1, 32, 32);
        Tensor t = Kiln.tensor(1L, 2, 3, 4, 5, 6, 7, 8);
        TrainingStep step = TrainingStep.compile(net, new dev.kiln.dsl.nn.CrossEntropyLoss(), new SGD(net.parameters(), 0.01, 0.9), x, t);
        for (int i = 0; i < 1500; i++) step.step(x, t);           // warm-up: JIT compilation, first-touch
        int steps = 300;
        long before = allocatedBytes();
        for (int i = 0; i < steps; i++) step.step(x, t);
        long perStep = (allocatedBytes() - before) / steps;
        dev.kiln.runtime.Executor.setThreads(Runtime.getRuntime().availableProcessors());
        assertTrue(perStep <= 1024, "compiled LeNet step allocates " + perStep + " bytes per step (limit 1 KiB)");
    }

    @Test
    void aBatchOfAnotherShapeCompilesAnotherProgramAndStaysCorrect() {
        Module compiledNet = tinyNet(), eagerNet = tinyNet();
        Optimizer compiledOpt = new SGD(compiledNet.parameters(), 0.05, 0.9), eagerOpt = new SGD(eagerNet.parameters(), 0.05, 0.9);
        Tensor x4 = Kiln.randn(4, 1), x8 = Kiln.randn(8, 1);
        TrainingStep step = TrainingStep.compile(compiledNet, new MSELoss(), compiledOpt, x4, x4.mul(3));
        for (Tensor x : new Tensor[] {x4, x8, x4, x8}) {
            double compiled = step.step(x, x.mul(3));
            eagerOpt.zeroGrad();
            Tensor loss = new MSELoss().invoke(eagerNet.invoke(x), x.mul(3));
            loss.backward();
            eagerOpt.step();
            assertEquals(loss.item(), compiled, 1e-5 * Math.max(1, Math.abs(compiled)));
        }
        assertEquals(2, step.programCount());
        for (int i = 0; i < compiledNet.parameters().size(); i++) {
            assertArrayEquals(eagerNet.parameters().get(i).toDoubleArray(), compiledNet.parameters().get(i).toDoubleArray(), 1e-5);
        }
    }

    @Test
    void learningRateChangesAndEagerEditsReachTheCompiledStep() {
        Module net = tinyNet();
        Adam adam = new Adam(net.parameters(), 0.01);
        Tensor x = Kiln.randn(16, 1), y = x.mul(2);
        TrainingStep step = TrainingStep.compile(net, new MSELoss(), adam, x, y);
        step.step(x, y);
        Parameter w = net.parameters().get(0);
        Kiln.noGrad(() -> w.fill_(0.5));                      // an edit outside the step
        adam.paramGroups().get(0).setLr(0);                   // lr 0: Adam leaves the parameters where they are
        step.step(x, y);
        for (double v : w.toDoubleArray()) assertEquals(0.5, v, 1e-7);
    }
}
