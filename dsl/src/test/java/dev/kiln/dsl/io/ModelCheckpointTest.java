package dev.kiln.dsl.io;

import dev.kiln.dsl.Checkpoint;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.nn.AvgPool2d;
import dev.kiln.dsl.nn.BatchNorm1d;
import dev.kiln.dsl.nn.BatchNorm2d;
import dev.kiln.dsl.nn.Conv2d;
import dev.kiln.dsl.nn.Dropout;
import dev.kiln.dsl.nn.Flatten;
import dev.kiln.dsl.nn.LeNet;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.MaxPool2d;
import dev.kiln.dsl.nn.Module;
import dev.kiln.dsl.nn.ReLU;
import dev.kiln.dsl.nn.Sequential;
import dev.kiln.dsl.nn.Sigmoid;
import dev.kiln.dsl.nn.Softmax;
import dev.kiln.dsl.nn.Tanh;
import dev.kiln.ir.DType;
import dev.kiln.runtime.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.kiln.dsl.io.CheckpointTest.assertSame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whole models and PyTorch-made state_dicts: architecture + weights round-trip; PyTorch's weights compute PyTorch's outputs. */
class ModelCheckpointTest {
    @TempDir Path dir;

    static Path resource(String name) {
        try {
            return Path.of(ModelCheckpointTest.class.getResource("/checkpoint/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource " + name + " missing", e);
        }
    }

    static void assertClose(Tensor expected, Tensor actual, String what) {
        assertEquals(expected.shape(), actual.shape(), what + " shape");
        double[] a = expected.toDoubleArray(), b = actual.toDoubleArray();
        double diff = 0, norm = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (a[i] - b[i]) * (a[i] - b[i]);
            norm += a[i] * a[i];
        }
        assertTrue(Math.sqrt(diff) <= 1e-4 * Math.sqrt(norm), what + ": relative error " + Math.sqrt(diff / norm));
    }

    /** PyTorch's torch_seq model, layer for layer. */
    static Sequential torchSeq() {
        return new Sequential(new Conv2d(1, 4, 3, 1, 1), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2), new Conv2d(4, 8, 3), new AvgPool2d(2),
                new Flatten(), new Linear(32, 16), new BatchNorm1d(16), new Tanh(), new Dropout(0.25), new Linear(16, 3), new Sigmoid(), new Softmax(1));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Tensor> map(Path f) throws IOException { return (Map<String, Tensor>) Kiln.load(f); }

    // ---- PyTorch's state_dicts ----------------------------------------------------------------------------------

    @Test
    void aPyTorchLeNetStateDictLoadsByNameAndComputesPyTorchsOutput() throws IOException {
        Path f = resource("torch_lenet.safetensors");
        assertEquals(Checkpoint.Kind.STATE_DICT, Checkpoint.kind(f));
        Map<String, Tensor> sd = map(f);
        assertEquals(List.of("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias",
                "fc3.weight", "fc3.bias"), List.copyOf(sd.keySet()), "PyTorch's state_dict order");
        assertEquals(dev.kiln.dsl.Size.of(6, 1, 5, 5), sd.get("conv1.weight").shape(), "PyTorch's layout [out, in, kh, kw]");
        LeNet net = new LeNet();
        net.loadStateDict(sd);
        Map<String, Tensor> io = map(resource("torch_lenet_io.safetensors"));
        assertClose(io.get("y"), net.invoke(io.get("x")), "LeNet output");
        // the same through Checkpoint.loadInto, and back out: Kiln's file holds PyTorch's tensors bit for bit
        LeNet other = new LeNet();
        Checkpoint.loadInto(other, f);
        Path mine = dir.resolve("lenet.safetensors");
        Kiln.save(other.stateDict(), mine);
        Map<String, Tensor> again = map(mine);
        sd.forEach((k, v) -> assertSame(v, again.get(k), k));
    }

    @Test
    void aPyTorchSequentialWithBatchNormLoadsAndComputesPyTorchsEvalOutput() throws IOException {
        Map<String, Tensor> sd = map(resource("torch_seq.safetensors"));
        assertEquals(DType.I64, sd.get("1.num_batches_tracked").dtype());
        assertEquals(3.0, sd.get("1.num_batches_tracked").item());
        Sequential net = torchSeq();
        net.loadStateDict(sd);
        net.eval();
        Map<String, Tensor> io = map(resource("torch_seq_io.safetensors"));
        assertClose(io.get("y"), net.invoke(io.get("x")), "Sequential eval output");
        // saved whole and loaded back, it is the same model
        Path f = dir.resolve("seq.safetensors");
        Kiln.save(net, f);
        Module back = assertInstanceOf(Module.class, Kiln.load(f));
        assertEquals(net.toString(), back.toString());
        assertSame(net.invoke(io.get("x")), back.invoke(io.get("x")), "reloaded output");
    }

    // ---- whole models -------------------------------------------------------------------------------------------

    static Sequential everyLayer() {
        Map<String, Module> head = new LinkedHashMap<>();
        head.put("fc", new Linear(32, 16));
        head.put("bn", new BatchNorm1d(16, 1e-3, 0.2, true, true));
        head.put("act", new Sigmoid());
        head.put("drop", new Dropout(0.3));
        head.put("out", new Linear(16, 3, false));
        head.put("softmax", new Softmax(1));
        return new Sequential(new Conv2d(1, 4, 3, 1, 1), new BatchNorm2d(4, 1e-5, 0.1, false, true), new ReLU(), new MaxPool2d(2, 2, 0),
                new Sequential(new Conv2d(4, 8, 3, 1, 0, false), new Tanh(), new BatchNorm2d(8, 1e-5, 0.1, true, false)), new AvgPool2d(2, 2, 0),
                new Flatten(1, -1), new Sequential(head));
    }

    @Test
    void aWholeModelRoundTripsArchitectureWeightsAndMode() throws IOException {
        Kiln.manualSeed(11);
        Sequential net = everyLayer();
        Tensor x = Kiln.randn(5, 1, 12, 12);
        net.invoke(x);                     // training-mode pass: running statistics move, num_batches_tracked = 1
        net.eval();
        Tensor expected = net.invoke(x);
        Path f = dir.resolve("model.safetensors");
        Kiln.save(net, f);
        Safetensors.Contents c = Safetensors.read(f);
        assertEquals("model", c.metadata().get("kind"));
        assertTrue(c.metadata().get("architecture").startsWith("{\"type\":\"Sequential\",\"children\":{\"0\":{\"type\":\"Conv2d\",\"in_channels\":1,"
                + "\"out_channels\":4,\"kernel_size\":3,\"stride\":1,\"padding\":1,\"bias\":true,\"training\":false}"), c.metadata().get("architecture"));
        assertTrue(c.tensors().containsKey("7.bn.running_var"), "PyTorch's state_dict names");

        Kiln.manualSeed(99);
        Tensor probe = Kiln.randn(3);
        Kiln.manualSeed(99);
        Module back = Checkpoint.load(f, Module.class);
        assertSame(probe, Kiln.randn(3), "loading a model leaves the default generator's stream alone");
        assertEquals(net.toString(), back.toString());
        assertFalse(back.isTraining());
        assertFalse(back.getSubmodule("7.drop").isTraining());
        assertSame(expected, back.invoke(x), "output");
        net.stateDict().forEach((k, v) -> assertSame(v, back.stateDict().get(k), k));
        assertEquals(List.copyOf(net.stateDict().keySet()), List.copyOf(back.stateDict().keySet()));

        // training mode and frozen parameters come back too
        net.train();
        net.getSubmodule("7.bn").eval();
        net.getParameter("0.weight").requiresGrad_(false);
        Kiln.save(net, f);
        Module again = (Module) Kiln.load(f);
        assertTrue(again.isTraining());
        assertFalse(again.getSubmodule("7.bn").isTraining());
        assertTrue(again.getSubmodule("7.fc").isTraining());
        assertFalse(again.getParameter("0.weight").requiresGrad());
        assertTrue(again.getParameter("0.bias").requiresGrad());
        // its weights load into a model built in code, too
        Sequential built = everyLayer();
        Checkpoint.loadInto(built, f);
        built.eval();
        assertSame(expected, built.invoke(x), "weights of a model checkpoint loaded into a model built in code");
    }

    @Test
    void aSingleLayerIsAModelToo() throws IOException {
        Linear l = new Linear(3, 2);
        Path f = dir.resolve("linear.safetensors");
        Kiln.save(l, f);
        Linear back = assertInstanceOf(Linear.class, Kiln.load(f));
        assertEquals("Linear(in_features=3, out_features=2, bias=True)", back.toString());
        Tensor x = Kiln.randn(4, 3);
        assertSame(l.invoke(x), back.invoke(x), "output");
    }

    static class Custom extends Module {
        final Linear fc = new Linear(2, 2);

        @Override public Tensor forward(Tensor x) { return fc.invoke(x).relu(); }
    }

    @Test
    void modelsNotBuiltFromKilnsLayersAreRefusedClearly() {
        Path f = dir.resolve("m.safetensors");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kiln.save(new Custom(), f));
        assertEquals("cannot save a whole model: the module at the top (Custom) is a dev.kiln.dsl.io.ModelCheckpointTest$Custom, which Kiln cannot "
                + "rebuild from a file. Whole-model checkpoints support Sequential (nested as you like) of Linear, Conv2d, ReLU, Sigmoid, Tanh, Softmax, "
                + "Flatten, MaxPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d and Dropout; for other models save model.stateDict() and load it into a model "
                + "built in code", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Kiln.save(new Sequential(new Linear(2, 2), new Sequential(new ReLU(), new Custom())), f));
        assertTrue(e.getMessage().startsWith("cannot save a whole model: the module at '1.1' (Custom) is a"), e.getMessage());
        Linear shared = new Linear(2, 2);
        e = assertThrows(IllegalArgumentException.class, () -> Kiln.save(new Sequential(shared, new ReLU(), shared), f));
        assertTrue(e.getMessage().contains("holds the same module twice"), e.getMessage());
        Linear anonymous = new Linear(2, 2) {
            @Override public Tensor forward(Tensor x) { return super.forward(x).mul(2); }
        };
        e = assertThrows(IllegalArgumentException.class, () -> Kiln.save(new Sequential(anonymous), f));
        assertTrue(e.getMessage().contains("the module at '0' (") && e.getMessage().contains("which Kiln cannot rebuild"), e.getMessage());
        Linear extra = new Linear(2, 2);
        extra.registerBuffer("scale", Kiln.ones(1));
        e = assertThrows(IllegalArgumentException.class, () -> Kiln.save(new Sequential(extra), f));
        assertTrue(e.getMessage().contains("not those its layers' constructors make; extra: [0.scale]"), e.getMessage());
        assertFalse(f.toFile().exists(), "nothing written");
    }

    @Test
    void aModelFileWhoseWeightsDoNotFitItsArchitectureSaysSo() throws IOException {
        Path f = dir.resolve("m.safetensors");
        Kiln.save(new Linear(4, 3), f);
        Safetensors.Contents c = Safetensors.read(f);
        Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>(c.tensors());
        tensors.put("weight", new Safetensors.Entry(DType.F32, dev.kiln.ir.Shape.of(3, 5), new double[15]));
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        Safetensors.write(f, tensors, meta);
        IOException e = assertThrows(IOException.class, () -> Kiln.load(f));
        assertEquals(f + ": not a valid Kiln checkpoint: weights do not fit the architecture: Error(s) in loading state_dict for Linear:\n\t"
                + "size mismatch for weight: copying a param with shape torch.Size([3, 5]) from checkpoint, the shape in current model is "
                + "torch.Size([3, 4]).", e.getMessage());
        meta.put("architecture", "{\"type\":\"Linear\",\"in_features\":4}");
        Safetensors.write(f, c.tensors(), meta);
        e = assertThrows(IOException.class, () -> Kiln.load(f));
        assertEquals(f + ": not a valid Kiln checkpoint: architecture cannot be built: Linear.out_features must be an integer, got null", e.getMessage());
        meta.put("architecture", "{\"type\":\"Transformer\"}");
        Safetensors.write(f, c.tensors(), meta);
        e = assertThrows(IOException.class, () -> Kiln.load(f));
        assertTrue(e.getMessage().contains("unknown layer type 'Transformer' at the top"), e.getMessage());
        Map<String, Safetensors.Entry> fewer = new LinkedHashMap<>(c.tensors());
        fewer.remove("bias");
        meta = new LinkedHashMap<>(c.metadata());
        meta.remove("keys");
        Safetensors.write(f, fewer, meta);
        e = assertThrows(IOException.class, () -> Kiln.load(f));
        assertTrue(e.getMessage().endsWith("Missing key(s) in state_dict: \"bias\". "), e.getMessage());
    }
}
