package dev.kiln.dsl.nn;

import dev.kiln.dsl.Autograd;
import dev.kiln.dsl.FixtureAccess;
import dev.kiln.dsl.Tensor;
import dev.kiln.runtime.Safetensors;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** PyTorch's LeNet fixture through the module DSL: output, MSE loss, every gradient, and one manual SGD step. */
class LeNetFixtureTest {
    private static final double TOLERANCE = 1e-4;

    @Test
    void outputLossGradientsAndUpdateMatchPyTorch() {
        Safetensors.Contents f = FixtureAccess.load("lenet_mse_backward");
        LeNet net = new LeNet();
        net.loadStateDict(FixtureAccess.withPrefix(f, "param."));

        net.zeroGrad();
        assertNull(net.conv1.bias.grad());
        Tensor out = net.invoke(FixtureAccess.tensor(f, "input"));
        Tensor loss = new MSELoss().invoke(out, FixtureAccess.tensor(f, "target"));
        FixtureAccess.assertRelativeErrorNorm(f.get("output"), out, TOLERANCE, "output");
        FixtureAccess.assertRelativeErrorNorm(f.get("loss"), loss, TOLERANCE, "loss");
        loss.backward();

        Map<String, Parameter> params = net.namedParameters();
        assertEquals(10, params.size());
        params.forEach((name, p) -> FixtureAccess.assertRelativeErrorNorm(f.get("grad." + name), p.grad(), TOLERANCE, "grad of " + name));

        Autograd.noGrad(() -> params.values().forEach(p -> p.sub_(p.grad().mul(0.01))));
        params.forEach((name, p) -> FixtureAccess.assertRelativeErrorNorm(f.get("after_sgd." + name), p, TOLERANCE, name + " after SGD"));
    }

}
