package dev.kiln.dsl;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Safetensors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Every op_* PyTorch fixture through the Tensor API: the forward value and every input's vector-Jacobian product. */
class GoldenOpTest {

    @Test
    void everyOpFixtureHasARow() {
        List<String> fixtures = Fixtures.names("op_");
        assertFalse(fixtures.isEmpty(), "no op fixtures found in " + Fixtures.dir());
        fixtures.forEach(OpTable::byFixture);
    }

    /** Every fixture, on the reference interpreter and on the JVM backend. */
    @TestFactory
    Stream<DynamicTest> matchesPyTorch() {
        return Backends.NAMES.stream().flatMap(backend -> OpTable.CASES.stream().filter(c -> c.fixture() != null)
                .map(c -> DynamicTest.dynamicTest(c.fixture() + " on " + backend,
                        () -> Backends.on(backend, () -> check(c, Fixtures.load(c.fixture()))))));
    }

    static void check(OpTable.Case c, Safetensors.Contents f) {
        List<Tensor> inputs = new ArrayList<>();
        for (int i = 0; i < c.inputs().size(); i++) {
            Tensor x = Fixtures.tensor(f, "x" + i);
            if (x.dtype().isFloating()) x.requiresGrad_(true);
            inputs.add(x);
        }
        Tensor y = c.fn().apply(inputs);
        Tensors.assertClose(f.get("y"), y, c.fixture() + " y");
        y.backward(Fixtures.tensor(f, "gy").reshape(y.shape().toArray()));
        for (int i = 0; i < inputs.size(); i++) {
            if (!f.tensors().containsKey("gx" + i)) continue;
            assertNotNull(inputs.get(i).grad(), c.fixture() + " gx" + i + " missing");
            Tensors.assertClose(f.get("gx" + i), inputs.get(i).grad(), c.fixture() + " gx" + i);
        }
    }

    @Test
    void autogradSeed001() {
        Safetensors.Contents f = Fixtures.load("autograd_seed001");
        Tensor a = Fixtures.tensor(f, "a").requiresGrad_(true);
        Tensor b = Fixtures.tensor(f, "b").requiresGrad_(true);
        Tensor q = a.pow(3).mul(3).sub(b.pow(2));
        Tensors.assertClose(f.get("Q"), q, "Q");
        q.backward(Fixtures.tensor(f, "external_grad"));
        Tensors.assertClose(f.get("a.grad"), a.grad(), "a.grad");
        Tensors.assertClose(f.get("b.grad"), b.grad(), "b.grad");
        assertEquals(DType.F32, a.grad().dtype());
    }
}
