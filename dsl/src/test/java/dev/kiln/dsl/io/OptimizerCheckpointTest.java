package dev.kiln.dsl.io;

import dev.kiln.dsl.Checkpoint;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.TrainingStep;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.MSELoss;
import dev.kiln.dsl.nn.Module;
import dev.kiln.dsl.nn.Parameter;
import dev.kiln.dsl.nn.Sequential;
import dev.kiln.dsl.nn.Tanh;
import dev.kiln.dsl.optim.Adam;
import dev.kiln.dsl.optim.AdamW;
import dev.kiln.dsl.optim.Optimizer;
import dev.kiln.dsl.optim.RMSprop;
import dev.kiln.dsl.optim.SGD;
import dev.kiln.runtime.Safetensors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static dev.kiln.dsl.io.CheckpointTest.assertSame;
import static dev.kiln.dsl.io.ModelCheckpointTest.assertClose;
import static dev.kiln.dsl.io.ModelCheckpointTest.map;
import static dev.kiln.dsl.io.ModelCheckpointTest.resource;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Optimizer state in PyTorch's structure: saved after 3 steps and loaded into fresh objects, training goes on bit for bit. */
class OptimizerCheckpointTest {
    @TempDir Path dir;

    private static final Map<String, Function<List<Parameter>, Optimizer>> OPTIMIZERS = new LinkedHashMap<>();

    static {
        OPTIMIZERS.put("sgd", p -> new SGD(p, 0.05));
        OPTIMIZERS.put("momentum", p -> new SGD(p, 0.05, 0.9));
        OPTIMIZERS.put("nesterov+decay", p -> new SGD(p, 0.05, 0.9, 0, 0.01, true));
        OPTIMIZERS.put("adam", p -> new Adam(p, 0.01, 0.9, 0.99));
        OPTIMIZERS.put("adamw+amsgrad", p -> new AdamW(p, 0.01, 0.9, 0.999, 1e-8, 0.05, true));
        OPTIMIZERS.put("rmsprop centered+momentum", p -> new RMSprop(p, 0.01, 0.9, 1e-8, 0, 0.5, true));
    }

    enum Mode { EAGER, COMPILED }

    private static Sequential model() { return new Sequential(new Linear(4, 8), new Tanh(), new Linear(8, 3)); }

    /** Trains {@code steps} steps on (x, y). */
    private static void train(Mode mode, Module net, Optimizer opt, Tensor x, Tensor y, int steps) {
        MSELoss loss = new MSELoss();
        TrainingStep compiled = mode == Mode.COMPILED ? TrainingStep.compile(net, loss, opt, x, y) : null;
        for (int i = 0; i < steps; i++) {
            if (compiled != null) {
                compiled.step(x, y);
            } else {
                opt.zeroGrad();
                loss.invoke(net.invoke(x), y).backward();
                opt.step();
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> threeStepsSavedAndLoadedThenThreeMoreEqualSixStraight() {
        return Stream.of(Mode.values()).flatMap(mode -> OPTIMIZERS.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey() + " " + mode, () -> {
            Kiln.manualSeed(5);
            Sequential straight = model();
            Tensor x = Kiln.randn(16, 4), y = Kiln.randn(16, 3);
            Map<String, Tensor> init = new LinkedHashMap<>();
            straight.stateDict().forEach((k, v) -> init.put(k, v.clone()));
            Optimizer opt = e.getValue().apply(straight.parameters());
            train(mode, straight, opt, x, y, 6);

            Sequential first = model();
            first.loadStateDict(init);
            Optimizer firstOpt = e.getValue().apply(first.parameters());
            train(mode, first, firstOpt, x, y, 3);
            Path modelFile = dir.resolve("model.safetensors"), optFile = dir.resolve("opt.safetensors");
            Kiln.save(first, modelFile);
            Kiln.save(firstOpt.stateDict(), optFile);

            Sequential resumed = (Sequential) Kiln.load(modelFile);
            Optimizer resumedOpt = e.getValue().apply(resumed.parameters());
            resumedOpt.loadStateDict(assertInstanceOf(Map.class, Kiln.load(optFile)));
            train(mode, resumed, resumedOpt, x, y, 3);

            straight.stateDict().forEach((k, v) -> assertArrayEquals(v.toFloatArray(), resumed.stateDict().get(k).toFloatArray(), k + " bit for bit"));
            for (int i = 0; i < straight.parameters().size(); i++) {
                Parameter a = straight.parameters().get(i), b = resumed.parameters().get(i);
                assertEquals(opt.stepCount(a), resumedOpt.stepCount(b));
                Map<String, Tensor> sa = opt.stateOf(a), sb = resumedOpt.stateOf(b);
                assertEquals(sa.keySet(), sb.keySet());
                sa.forEach((k, v) -> assertArrayEquals(v.toFloatArray(), sb.get(k).toFloatArray(), k));
            }
        })));
    }

    @Test
    void stateDictHasPyTorchsStructureAndNames() throws IOException {
        Sequential net = model();
        Adam opt = new Adam(net.parameters(), 0.01, 0.9, 0.99);
        opt.addParamGroup(List.of(), Map.of("lr", 0.1));
        Map<String, Object> sd = opt.stateDict();
        assertEquals(List.of("state", "param_groups"), List.copyOf(sd.keySet()));
        assertEquals(Map.of(), sd.get("state"), "no state before the first step");
        train(Mode.EAGER, net, opt, Kiln.randn(2, 4), Kiln.randn(2, 3), 2);
        sd = opt.stateDict();
        Map<?, ?> state = (Map<?, ?>) sd.get("state");
        assertEquals(List.of(0, 1, 2, 3), List.copyOf(state.keySet()));
        assertEquals(List.of("step", "exp_avg", "exp_avg_sq"), List.copyOf(((Map<?, ?>) state.get(0)).keySet()));
        assertEquals(2.0, ((Tensor) ((Map<?, ?>) state.get(3)).get("step")).item());
        List<?> groups = (List<?>) sd.get("param_groups");
        assertEquals("{lr=0.01, betas=[0.9, 0.99], eps=1.0E-8, weight_decay=0.0, amsgrad=false, params=[0, 1, 2, 3]}", groups.get(0).toString());
        assertEquals(List.of(), ((Map<?, ?>) groups.get(1)).get("params"));

        Path f = dir.resolve("adam.safetensors");
        Kiln.save(sd, f);
        Safetensors.Contents c = Safetensors.read(f);
        assertEquals("optimizer", c.metadata().get("kind"));
        assertEquals("[{\"lr\":0.01,\"betas\":[0.9,0.99],\"eps\":1.0E-8,\"weight_decay\":0.0,\"amsgrad\":false,\"params\":[0,1,2,3]},"
                + "{\"lr\":0.1,\"betas\":[0.9,0.99],\"eps\":1.0E-8,\"weight_decay\":0.0,\"amsgrad\":false,\"params\":[]}]", c.metadata().get("param_groups"));
        assertTrue(c.tensors().keySet().containsAll(List.of("state.0.step", "state.0.exp_avg", "state.3.exp_avg_sq")), c.tensors().keySet().toString());
        Map<?, ?> back = (Map<?, ?>) Kiln.load(f);
        assertEquals(groups, back.get("param_groups"));
        Map<?, ?> backState = (Map<?, ?>) back.get("state");
        assertEquals(List.of(0, 1, 2, 3), List.copyOf(backState.keySet()));
        assertEquals(List.of("step", "exp_avg", "exp_avg_sq"), List.copyOf(((Map<?, ?>) backState.get(0)).keySet()));
        assertSame(((Map<?, Tensor>) state.get(2)).get("exp_avg"), ((Map<?, Tensor>) backState.get(2)).get("exp_avg"), "exp_avg");
    }

    @TestFactory
    Stream<DynamicTest> aPyTorchOptimizerStateContinuesAsPyTorchDid() {
        Map<String, Function<List<Parameter>, Optimizer>> fresh = new LinkedHashMap<>();
        // built with other hyper-parameters on purpose: loading sets PyTorch's (the flags, constructor arguments, must match)
        fresh.put("sgd", p -> new SGD(p, 1, 0.5, 0, 0, true));
        fresh.put("adam", p -> new Adam(p, 1));
        fresh.put("rmsprop", p -> new RMSprop(p, 1, 0.5, 1e-3, 0, 0.1, true));
        return fresh.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            Map<String, Tensor> data = map(resource("torch_opt_data.safetensors"));
            Sequential net = model();
            Checkpoint.loadInto(net, resource("torch_opt_" + e.getKey() + "_model.safetensors"));
            Optimizer opt = e.getValue().apply(net.parameters());
            Checkpoint.loadInto(opt, resource("torch_opt_" + e.getKey() + ".safetensors"));
            Map<String, Tensor> expected = map(resource("torch_opt_" + e.getKey() + "_final.safetensors"));
            MSELoss lossFn = new MSELoss();
            for (int it = 0; it < 3; it++) {
                opt.zeroGrad();
                Tensor loss = lossFn.invoke(net.invoke(data.get("x")), data.get("y"));
                assertClose(expected.get("loss." + it), loss, "loss " + it);
                loss.backward();
                opt.step();
            }
            net.stateDict().forEach((k, v) -> assertClose(expected.get("final." + k), v, k));
        }));
    }

    @Test
    void mismatchedStateIsRefusedAndChangesNothing() throws IOException {
        Sequential net = model();
        SGD sgd = new SGD(net.parameters(), 0.05, 0.9);
        train(Mode.EAGER, net, sgd, Kiln.randn(2, 4), Kiln.randn(2, 3), 1);
        Map<String, Object> sgdState = sgd.stateDict();

        Sequential other = model();
        Adam adam = new Adam(other.parameters(), 0.01);
        train(Mode.EAGER, other, adam, Kiln.randn(2, 4), Kiln.randn(2, 3), 1);
        float[] before = adam.stateOf(other.parameters().get(0)).get("exp_avg").toFloatArray();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> adam.loadStateDict(sgdState));
        assertTrue(e.getMessage().startsWith("Error(s) in loading state_dict for Adam:\n\t"), e.getMessage());
        assertTrue(e.getMessage().contains("param_groups[0] has hyper-parameter 'momentum', which Adam does not have"), e.getMessage());
        assertTrue(e.getMessage().contains("state[0] has 'momentum_buffer', which Adam does not keep (it keeps [exp_avg, exp_avg_sq] and step)"), e.getMessage());
        assertTrue(e.getMessage().contains("param_groups[0] lacks hyper-parameter 'betas'"), e.getMessage());
        assertArrayEquals(before, adam.stateOf(other.parameters().get(0)).get("exp_avg").toFloatArray());
        assertEquals(0.01, adam.paramGroups().get(0).getLr());

        SGD small = new SGD(new Linear(4, 8).parameters(), 0.05, 0.9);
        e = assertThrows(IllegalArgumentException.class, () -> small.loadStateDict(sgdState));
        assertEquals("loaded state dict contains a parameter group that doesn't match the size of optimizer's group: param_groups[0] has 4 parameters, "
                + "this SGD's has 2", e.getMessage());

        Sequential wide = new Sequential(new Linear(4, 9), new Tanh(), new Linear(9, 3));
        SGD wideSgd = new SGD(wide.parameters(), 0.05, 0.9);
        e = assertThrows(IllegalArgumentException.class, () -> wideSgd.loadStateDict(sgdState));
        assertTrue(e.getMessage().contains("state[0].momentum_buffer has shape torch.Size([8, 4]), but parameter 0 has shape torch.Size([9, 4])"), e.getMessage());

        SGD nesterov = new SGD(model().parameters(), 0.05, 0.9, 0, 0, true);
        e = assertThrows(IllegalArgumentException.class, () -> nesterov.loadStateDict(sgdState));
        assertTrue(e.getMessage().contains("param_groups[0] has nesterov=false but this SGD was built with nesterov=true"), e.getMessage());

        Path f = dir.resolve("opt.safetensors");
        Kiln.save(sgdState, f);
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.loadInto(nesterov, f));
        assertTrue(e.getMessage().startsWith(f + ": Error(s) in loading state_dict for SGD:"), e.getMessage());
        Safetensors.Contents c = Safetensors.read(f);
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.put("param_groups", "[{\"lr\": 0.05,");
        Safetensors.write(f, c.tensors(), meta);
        IOException io = assertThrows(IOException.class, () -> Kiln.load(f));
        assertTrue(io.getMessage().startsWith(f + ": not a valid Kiln checkpoint: metadata 'param_groups' is not valid JSON"), io.getMessage());
    }
}
