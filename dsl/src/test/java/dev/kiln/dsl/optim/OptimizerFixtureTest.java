package dev.kiln.dsl.optim;

import dev.kiln.dsl.F;
import dev.kiln.dsl.FixtureAccess;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.nn.LeNet;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.Module;
import dev.kiln.dsl.nn.Parameter;
import dev.kiln.dsl.nn.ReLU;
import dev.kiln.dsl.nn.Sequential;
import dev.kiln.runtime.Safetensors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
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

    @TestFactory
    Stream<DynamicTest> xSquaredTenSteps() {
        Safetensors.Contents f = FixtureAccess.load("optimizers_x_squared");
        return X_SQUARED.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            Module net = new Sequential(new Linear(1, 20), new ReLU(), new Linear(20, 1));
            net.loadStateDict(withPrefix(f, "param."));
            Optimizer opt = e.getValue().apply(net.parameters());
            Tensor x = FixtureAccess.tensor(f, "x"), y = FixtureAccess.tensor(f, "y");
            for (int it = 0; it < 10; it++) {
                opt.zeroGrad();
                Tensor loss = F.mseLoss(net.invoke(x), y);
                loss.backward();
                opt.step();
                FixtureAccess.assertRelativeErrorNorm(f.get(e.getKey() + ".loss." + it), loss, TOLERANCE, e.getKey() + " loss " + it);
            }
            net.stateDict().forEach((name, value) ->
                    FixtureAccess.assertRelativeErrorNorm(f.get(e.getKey() + ".final." + name), value, TOLERANCE, e.getKey() + " final " + name));
        }));
    }

    @Test
    void leNetCrossEntropySgdMomentum() {
        Safetensors.Contents f = FixtureAccess.load("lenet_ce_sgd_momentum");
        LeNet net = new LeNet();
        net.loadStateDict(withPrefix(f, "param."));
        Optimizer opt = new SGD(net.parameters(), 0.01, 0.9);
        Tensor x = FixtureAccess.tensor(f, "input"), labels = FixtureAccess.tensor(f, "labels");
        for (int it = 0; it < 3; it++) {
            opt.zeroGrad();
            Tensor loss = F.crossEntropy(net.invoke(x), labels);
            loss.backward();
            opt.step();
            FixtureAccess.assertRelativeErrorNorm(f.get("loss." + it), loss, TOLERANCE, "loss " + it);
        }
        net.stateDict().forEach((name, value) -> FixtureAccess.assertRelativeErrorNorm(f.get("final." + name), value, TOLERANCE, "final " + name));
    }

    static Map<String, Tensor> withPrefix(Safetensors.Contents f, String prefix) {
        Map<String, Tensor> state = new LinkedHashMap<>();
        f.tensors().forEach((k, v) -> {
            if (k.startsWith(prefix)) state.put(k.substring(prefix.length()), FixtureAccess.tensor(v));
        });
        return state;
    }
}
