package dev.kiln.dsl.nn;

import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.kiln.dsl.Autograd.noGrad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** state_dict and load_state_dict: keys, round trips, and PyTorch 1.13's error messages and results. */
class StateDictTest {

    private static final List<String> LENET_KEYS = List.of("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
            "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias");

    /** Every value of a state dict, copied out, so later changes to the model can be detected. */
    private static Map<String, double[]> snapshot(Module m) {
        Map<String, double[]> values = new LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> values.put(k, v.toDoubleArray()));
        return values;
    }

    private static void assertUnchanged(Map<String, double[]> before, Module m) {
        Map<String, double[]> after = snapshot(m);
        assertEquals(before.keySet(), after.keySet());
        before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k + " changed by a failed load"));
    }

    @Test
    void leNetStateDictKeysValuesAndDetachment() {
        LeNet net = new LeNet();
        Map<String, Tensor> state = net.stateDict();
        assertEquals(LENET_KEYS, new ArrayList<>(state.keySet()));
        Map<String, Parameter> params = net.namedParameters();
        state.forEach((k, v) -> {
            assertFalse(v.requiresGrad(), k + " in state_dict must be detached");
            assertEquals(params.get(k).shape(), v.shape());
            assertArrayEquals(params.get(k).toDoubleArray(), v.toDoubleArray(), k);
        });
        assertEquals(List.of("weight", "bias"), new ArrayList<>(net.fc1.stateDict().keySet()));
    }

    @Test
    void roundTripIntoAFreshModelGivesIdenticalOutputs() {
        Kiln.manualSeed(11);
        LeNet trained = new LeNet();
        LeNet fresh = new LeNet();
        Tensor x = Kiln.randn(3, 1, 32, 32);
        assertFalse(java.util.Arrays.equals(trained.invoke(x).toDoubleArray(), fresh.invoke(x).toDoubleArray()),
                "two LeNets should start differently");

        Map<String, Parameter> before = fresh.namedParameters();
        Module.LoadResult r = fresh.loadStateDict(trained.stateDict());
        assertTrue(r.missingKeys().isEmpty());
        assertTrue(r.unexpectedKeys().isEmpty());
        assertArrayEquals(trained.invoke(x).toDoubleArray(), fresh.invoke(x).toDoubleArray());
        // loaded in place: the same Parameter objects, now holding the checkpoint's values, still trainable
        fresh.namedParameters().forEach((k, p) -> {
            assertSame(before.get(k), p, k);
            assertTrue(p.requiresGrad(), k);
            assertTrue(p.isLeaf(), k);
        });
        fresh.invoke(x).sum().backward();
        fresh.parameters().forEach(p -> assertTrue(p.grad() != null));
    }

    @Test
    void loadingCopiesValuesSoTheCheckpointAndModelStayIndependent() {
        Linear src = new Linear(3, 2), dst = new Linear(3, 2);
        Map<String, Tensor> state = new LinkedHashMap<>();
        state.put("weight", Kiln.ones(2, 3));
        state.put("bias", Kiln.zeros(2));
        dst.loadStateDict(state);
        noGrad(() -> state.get("weight").mul_(5));       // changing the checkpoint afterwards
        for (double v : dst.weight.toDoubleArray()) assertEquals(1.0, v);
        noGrad(() -> dst.weight.add_(1));                // changing the model afterwards
        for (double v : state.get("weight").toDoubleArray()) assertEquals(5.0, v);
        assertFalse(java.util.Arrays.equals(src.weight.toDoubleArray(), dst.weight.toDoubleArray()));
    }

    /** PyTorch's state_dict() holds the live tensors (detached, sharing storage), so it sees later in-place updates. */
    @Test
    void stateDictTensorsShareStorageWithTheModelLikePyTorch() {
        Linear l = new Linear(2, 2);
        Map<String, Tensor> state = l.stateDict();
        noGrad(() -> l.weight.fill_(3));
        for (double v : state.get("weight").toDoubleArray()) {
            assertEquals(3.0, v, "torch: sd = m.state_dict(); m.weight.fill_(3) under no_grad -> sd['weight'] is all 3");
        }
    }

    @Test
    void strictLoadWithAMissingKeyFailsWithPyTorchsMessageAndChangesNothing() {
        LeNet net = new LeNet();
        Map<String, double[]> before = snapshot(net);
        Map<String, Tensor> state = new LinkedHashMap<>(new LeNet().stateDict());
        state.remove("fc3.bias");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(state));
        assertEquals("Error(s) in loading state_dict for LeNet:\n\tMissing key(s) in state_dict: \"fc3.bias\". ", e.getMessage());
        assertUnchanged(before, net);
    }

    @Test
    void strictLoadWithAnUnexpectedKeyFailsWithPyTorchsMessageAndChangesNothing() {
        LeNet net = new LeNet();
        Map<String, double[]> before = snapshot(net);
        Map<String, Tensor> state = new LinkedHashMap<>(new LeNet().stateDict());
        state.put("fc4.weight", Kiln.zeros(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(state, true));
        assertEquals("Error(s) in loading state_dict for LeNet:\n\tUnexpected key(s) in state_dict: \"fc4.weight\". ", e.getMessage());
        assertUnchanged(before, net);
    }

    @Test
    void aShapeMismatchFailsWithPyTorchsMessageAndChangesNothing() {
        LeNet net = new LeNet();
        Map<String, double[]> before = snapshot(net);
        Map<String, Tensor> state = new LinkedHashMap<>(new LeNet().stateDict());
        state.put("conv1.weight", Kiln.zeros(6, 1, 3, 3));
        String expected = "Error(s) in loading state_dict for LeNet:\n\tsize mismatch for conv1.weight: copying a param with shape "
                + "torch.Size([6, 1, 3, 3]) from checkpoint, the shape in current model is torch.Size([6, 1, 5, 5]).";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(state));
        assertEquals(expected, e.getMessage());
        assertUnchanged(before, net);
        // a shape mismatch is an error even when not strict
        e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(state, false));
        assertEquals(expected, e.getMessage());
        assertUnchanged(before, net);
    }

    @Test
    void allProblemsAreReportedTogetherInPyTorchsOrder() {
        LeNet net = new LeNet();
        Map<String, double[]> before = snapshot(net);
        Map<String, Tensor> state = new LinkedHashMap<>(new LeNet().stateDict());
        state.remove("fc3.bias");
        state.remove("conv1.weight");
        state.put("extra", Kiln.zeros(1));
        state.put("fc1.extra", Kiln.zeros(1));
        state.put("fc2.weight", Kiln.zeros(84, 121));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(state));
        assertEquals("Error(s) in loading state_dict for LeNet:\n"
                + "\tMissing key(s) in state_dict: \"conv1.weight\", \"fc3.bias\". \n"
                + "\tUnexpected key(s) in state_dict: \"extra\", \"fc1.extra\". \n"
                + "\tsize mismatch for fc2.weight: copying a param with shape torch.Size([84, 121]) from checkpoint, "
                + "the shape in current model is torch.Size([84, 120]).", e.getMessage());
        assertUnchanged(before, net);
    }

    @Test
    void nonStrictLoadReturnsMissingAndUnexpectedKeysAndLoadsTheRest() {
        LeNet source = new LeNet();
        LeNet net = new LeNet();
        double[] fc3BiasBefore = net.fc3.bias.toDoubleArray();
        Map<String, Tensor> state = new LinkedHashMap<>(source.stateDict());
        state.remove("fc3.bias");
        state.put("fc4.weight", Kiln.zeros(3));
        Module.LoadResult r = net.loadStateDict(state, false);
        assertEquals(List.of("fc3.bias"), r.missingKeys());
        assertEquals(List.of("fc4.weight"), r.unexpectedKeys());
        assertArrayEquals(fc3BiasBefore, net.fc3.bias.toDoubleArray(), "a missing key leaves its parameter alone");
        for (String k : LENET_KEYS) {
            if (!k.equals("fc3.bias")) assertArrayEquals(source.getParameter(k).toDoubleArray(), net.getParameter(k).toDoubleArray(), k);
        }
    }

    /**
     * PyTorch finds unexpected keys module by module (the root's own level first, then each child's), so
     * {"fc1.extra", "extra"} is reported as ['extra', 'fc1.extra'], whatever the checkpoint's order.
     */
    @Test
    void unexpectedKeysAreListedInModuleTraversalOrderLikePyTorch() {
        LeNet net = new LeNet();
        Map<String, Tensor> state = new LinkedHashMap<>(net.stateDict());
        state.put("fc1.extra", Kiln.zeros(1));
        state.put("extra", Kiln.zeros(1));
        Module.LoadResult r = net.loadStateDict(state, false);
        assertEquals(List.of(), r.missingKeys());
        assertEquals(List.of("extra", "fc1.extra"), r.unexpectedKeys());
    }

    @Test
    void missingBufferIsReportedWithTheContainersClassName() {
        Sequential bn = new Sequential(new Linear(2, 3), new BatchNorm1d(3));
        Map<String, Tensor> state = new LinkedHashMap<>(bn.stateDict());
        state.remove("1.running_var");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bn.loadStateDict(state));
        assertEquals("Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: \"1.running_var\". ", e.getMessage());
    }

    @Test
    void batchNormRunningStatisticsRoundTrip() {
        Sequential trained = new Sequential(new Linear(3, 4), new BatchNorm1d(4), new ReLU());
        for (int i = 0; i < 3; i++) trained.invoke(Kiln.randn(8, 3).mul(2).add(1));
        Map<String, Tensor> state = trained.stateDict();
        assertEquals(3, state.get("1.num_batches_tracked").item());

        Sequential fresh = new Sequential(new Linear(3, 4), new BatchNorm1d(4), new ReLU());
        fresh.loadStateDict(state);
        Map<String, Tensor> loaded = fresh.stateDict();
        state.forEach((k, v) -> assertArrayEquals(v.toDoubleArray(), loaded.get(k).toDoubleArray(), k));
        assertEquals("int64", loaded.get("1.num_batches_tracked").dtype().torchName());

        trained.eval();
        fresh.eval();
        Tensor x = Kiln.randn(5, 3);
        assertArrayEquals(trained.invoke(x).toDoubleArray(), fresh.invoke(x).toDoubleArray());
    }

    /**
     * PyTorch's _load_from_state_dict accepts a one-element 1-D value for a 0-d parameter or buffer (a legacy rule:
     * {@code input_param = input_param[0]}), so {@code num_batches_tracked} saved as shape [1] loads.
     */
    @Test
    void aOneElementVectorLoadsIntoAZeroDimBufferLikePyTorch() {
        BatchNorm1d bn = new BatchNorm1d(3);
        Map<String, Tensor> state = new LinkedHashMap<>(bn.stateDict());
        state.put("num_batches_tracked", Kiln.tensor(7L));
        Module.LoadResult r = bn.loadStateDict(state);
        assertTrue(r.missingKeys().isEmpty() && r.unexpectedKeys().isEmpty());
        Tensor nbt = bn.stateDict().get("num_batches_tracked");
        assertEquals(0, nbt.dim());
        assertEquals(7.0, nbt.item());
    }

    @Test
    void loadingLiveParametersOfAnotherModelCopiesWithoutRecordingGradients() {
        Linear src = new Linear(3, 2), dst = new Linear(3, 2);
        Map<String, Tensor> state = new LinkedHashMap<>(src.namedParameters());   // requires_grad tensors
        dst.loadStateDict(state);
        assertArrayEquals(src.weight.toDoubleArray(), dst.weight.toDoubleArray());
        assertTrue(dst.weight.isLeaf() && dst.weight.requiresGrad());
        dst.invoke(Kiln.randn(4, 3)).sum().backward();
        assertTrue(src.weight.grad() == null, "no gradient flows back into the checkpoint's tensors");
    }

    @Test
    void sharedLayersRoundTrip() {
        Linear shared = new Linear(4, 4);
        Sequential a = new Sequential(shared, new Tanh(), shared);
        Linear other = new Linear(4, 4);
        Sequential b = new Sequential(other, new Tanh(), other);
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), new ArrayList<>(a.stateDict().keySet()));
        b.loadStateDict(a.stateDict());
        Tensor x = Kiln.randn(2, 4);
        assertArrayEquals(a.invoke(x).toDoubleArray(), b.invoke(x).toDoubleArray());
    }
}
