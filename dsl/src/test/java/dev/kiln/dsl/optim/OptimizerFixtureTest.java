package dev.kiln.dsl.optim;

import dev.kiln.dsl.FixtureAccess;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.TrainingStep;
import dev.kiln.dsl.nn.CrossEntropyLoss;
import dev.kiln.dsl.nn.MSELoss;
import dev.kiln.dsl.nn.LeNet;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.Module;
import dev.kiln.dsl.nn.Parameter;
import dev.kiln.dsl.nn.ReLU;
import dev.kiln.dsl.nn.Sequential;
import dev.kiln.runtime.Safetensors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/** PyTorch's optimizer fixtures through the eager loop as the seeds write it: zero_grad, forward, loss, backward, step. */
class OptimizerFixtureTest {
    private static final double TOLERANCE = 1e-4;

    private static final Map<String, Function<List<Parameter>, Optimizer>> X_SQUARED = new LinkedHashMap<>();

    static {
        X_SQUARED.put("sgd", p -> new SGD(p, 0.01));
        X_SQUARED.put("momentum", p -> new SGD(p, 0.01, 0.9));
        X_SQUARED.put("nesterov", p -> new SGD(p, 0.01, 0.9, 0, 0, true));
        X_SQUARED.put("rmsprop", p -> new RMSprop(p, 0.01, 0.9));
        X_SQUARED.put("adam", p -> new Adam(p, 0.01, 0.9, 0.99));
    }

    /** Both ways of training: the eager loop, and the compiled step. */
    enum Mode { EAGER, COMPILED }

    /** One training step on (x, y) in the given mode, returning the loss. */
    private static double train(Mode mode, Module net, Module lossFn, Optimizer opt, TrainingStep[] compiled, Tensor x, Tensor y) {
        if (mode == Mode.COMPILED) {
            if (compiled[0] == null) compiled[0] = TrainingStep.compile(net, lossFn, opt, x, y);
            return compiled[0].step(x, y);
        }
        opt.zeroGrad();
        Tensor loss = lossFn.invoke(net.invoke(x), y);
        loss.backward();
        opt.step();
        return loss.item();
    }

    @TestFactory
    Stream<DynamicTest> xSquaredTenSteps() {
        Safetensors.Contents f = FixtureAccess.load("optimizers_x_squared");
        return Stream.of(Mode.values()).flatMap(mode -> X_SQUARED.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey() + " " + mode, () -> {
            Module net = new Sequential(new Linear(1, 20), new ReLU(), new Linear(20, 1));
            net.loadStateDict(FixtureAccess.withPrefix(f, "param."));
            Optimizer opt = e.getValue().apply(net.parameters());
            Tensor x = FixtureAccess.tensor(f, "x"), y = FixtureAccess.tensor(f, "y");
            TrainingStep[] compiled = new TrainingStep[1];
            for (int it = 0; it < 10; it++) {
                double loss = train(mode, net, new MSELoss(), opt, compiled, x, y);
                FixtureAccess.assertRelativeErrorNorm(f.get(e.getKey() + ".loss." + it), Kiln.scalarTensor(loss, dev.kiln.ir.DType.F32),
                        TOLERANCE, e.getKey() + " loss " + it);
            }
            net.stateDict().forEach((name, value) ->
                    FixtureAccess.assertRelativeErrorNorm(f.get(e.getKey() + ".final." + name), value, TOLERANCE, e.getKey() + " final " + name));
        })));
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Mode.class)
    void leNetCrossEntropySgdMomentum(Mode mode) {
        Safetensors.Contents f = FixtureAccess.load("lenet_ce_sgd_momentum");
        LeNet net = new LeNet();
        net.loadStateDict(FixtureAccess.withPrefix(f, "param."));
        Optimizer opt = new SGD(net.parameters(), 0.01, 0.9);
        Tensor x = FixtureAccess.tensor(f, "input"), labels = FixtureAccess.tensor(f, "labels");
        TrainingStep[] compiled = new TrainingStep[1];
        for (int it = 0; it < 3; it++) {
            double loss = train(mode, net, new CrossEntropyLoss(), opt, compiled, x, labels);
            FixtureAccess.assertRelativeErrorNorm(f.get("loss." + it), Kiln.scalarTensor(loss, dev.kiln.ir.DType.F32), TOLERANCE, "loss " + it);
        }
        net.stateDict().forEach((name, value) -> FixtureAccess.assertRelativeErrorNorm(f.get("final." + name), value, TOLERANCE, "final " + name));
    }

}
