package dev.kiln.dsl.nn;

import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.ir.ShapeException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.kiln.dsl.Autograd.noGrad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The module tree: registration by field, dotted names, PyTorch's printout, apply, train/eval, gradients of shared
 * and frozen parameters, and lookup by index or path. Expected strings and numbers come from PyTorch 1.13.
 */
class ModuleTest {

    // ---- printing (PyTorch's repr) --------------------------------------------------------------------------------

    @Test
    void leNetPrintsLikePyTorch() {
        assertEquals("LeNet(\n"
                + "  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))\n"
                + "  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))\n"
                + "  (fc1): Linear(in_features=400, out_features=120, bias=True)\n"
                + "  (fc2): Linear(in_features=120, out_features=84, bias=True)\n"
                + "  (fc3): Linear(in_features=84, out_features=10, bias=True)\n"
                + ")", new LeNet().toString());
    }

    @Test
    void layersPrintLikePyTorch() {
        assertEquals("Linear(in_features=3, out_features=2, bias=False)", new Linear(3, 2, false).toString());
        assertEquals("Linear(in_features=4, out_features=8, bias=True)", new Linear(4, 8).toString());
        assertEquals("Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)",
                new Conv2d(3, 8, 3, 2, 1, false).toString());
        assertEquals("Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))", new Conv2d(3, 8, 3, 1, 1).toString());
        assertEquals("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(2).toString());
        assertEquals("MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(3, 2).toString());
        assertEquals("AvgPool2d(kernel_size=2, stride=2, padding=0)", new AvgPool2d(2).toString());
        assertEquals("ReLU()", new ReLU().toString());
        assertEquals("Sigmoid()", new Sigmoid().toString());
        assertEquals("Tanh()", new Tanh().toString());
        assertEquals("Softmax(dim=1)", new Softmax(1).toString());
        assertEquals("Flatten(start_dim=1, end_dim=-1)", new Flatten().toString());
        assertEquals("BatchNorm1d(5, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", new BatchNorm1d(5).toString());
        assertEquals("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", new BatchNorm2d(3).toString());
        assertEquals("BatchNorm2d(3, eps=0.001, momentum=0.01, affine=False, track_running_stats=False)",
                new BatchNorm2d(3, 1e-3, 0.01, false, false).toString());
        assertEquals("BatchNorm1d(5, eps=2.5e-05, momentum=0.0005, affine=True, track_running_stats=True)",
                new BatchNorm1d(5, 2.5e-5, 0.0005, true, true).toString());
        assertEquals("Dropout(p=0.5, inplace=False)", new Dropout(0.5).toString());
        assertEquals("Dropout(p=0.25, inplace=False)", new Dropout(0.25).toString());
        assertEquals("Dropout(p=1e-05, inplace=False)", new Dropout(1e-5).toString());
        assertEquals("MSELoss()", new MSELoss().toString());
        assertEquals("MSELoss()", new MSELoss("sum").toString());
        assertEquals("CrossEntropyLoss()", new CrossEntropyLoss().toString());
        assertEquals("Sequential()", new Sequential().toString());
    }

    @Test
    void parameterPrintsLikePyTorch() {
        assertEquals("Parameter containing:\ntensor([1., 2.], requires_grad=True)", new Parameter(Kiln.tensor(1f, 2f)).toString());
    }

    static Sequential block1() {
        return new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 4), new ReLU());
    }

    static Sequential block2() {
        Sequential net = new Sequential();
        for (int i = 0; i < 4; i++) net.addModule("block " + i, block1());
        return net;
    }

    private static String block(int i) {
        return "    (block " + i + "): Sequential(\n"
                + "      (0): Linear(in_features=4, out_features=8, bias=True)\n"
                + "      (1): ReLU()\n"
                + "      (2): Linear(in_features=8, out_features=4, bias=True)\n"
                + "      (3): ReLU()\n"
                + "    )\n";
    }

    @Test
    void nestedSequentialsWithNamesContainingSpacesPrintLikePyTorch() {
        Sequential rgnet = new Sequential(block2(), new Linear(4, 1));
        assertEquals("Sequential(\n  (0): Sequential(\n" + block(0) + block(1) + block(2) + block(3)
                + "  )\n  (1): Linear(in_features=4, out_features=1, bias=True)\n)", rgnet.toString());

        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            for (String p : List.of("0.weight", "0.bias", "2.weight", "2.bias")) expected.add("0.block " + i + "." + p);
        }
        expected.add("1.weight");
        expected.add("1.bias");
        assertEquals(expected, new ArrayList<>(rgnet.namedParameters().keySet()));
        assertEquals(expected, new ArrayList<>(rgnet.stateDict().keySet()));

        // rgnet[0][1][0].bias, three ways
        Linear inner = assertInstanceOf(Linear.class, rgnet.get(0).get(1).get(0));
        assertSame(inner.bias, rgnet.getParameter("0.block 1.0.bias"));
        assertSame(inner, rgnet.getSubmodule("0.block 1.0"));
        assertSame(inner.bias, rgnet.namedParameters().get("0.block 1.0.bias"));
        assertArrayEquals(new int[] {2, 1}, rgnet.invoke(Kiln.rand(2, 4)).shape().toArray());
    }

    @Test
    void sequentialFromAnOrderedMapKeepsNamesAndOrder() {
        Map<String, Module> layers = new LinkedHashMap<>();
        layers.put("conv1", new Conv2d(1, 20, 5));
        layers.put("relu1", new ReLU());
        layers.put("conv2", new Conv2d(20, 64, 5));
        layers.put("relu2", new ReLU());
        Sequential model = new Sequential(layers);
        assertEquals("Sequential(\n"
                + "  (conv1): Conv2d(1, 20, kernel_size=(5, 5), stride=(1, 1))\n"
                + "  (relu1): ReLU()\n"
                + "  (conv2): Conv2d(20, 64, kernel_size=(5, 5), stride=(1, 1))\n"
                + "  (relu2): ReLU()\n"
                + ")", model.toString());
        assertEquals(List.of("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"), new ArrayList<>(model.namedParameters().keySet()));
        assertEquals(List.of("conv1", "relu1", "conv2", "relu2"), new ArrayList<>(model.namedChildren().keySet()));
        assertEquals(4, model.size());
        assertArrayEquals(new int[] {2, 64, 4, 4}, model.invoke(Kiln.randn(2, 1, 12, 12)).shape().toArray());
    }

    @Test
    void addAndAddModuleMixPositionalAndNamedChildren() {
        Sequential s = new Sequential(new Linear(4, 8));
        s.addModule("act", new ReLU());
        s.addModule("out", new Linear(8, 1));
        assertEquals("Sequential(\n"
                + "  (0): Linear(in_features=4, out_features=8, bias=True)\n"
                + "  (act): ReLU()\n"
                + "  (out): Linear(in_features=8, out_features=1, bias=True)\n"
                + ")", s.toString());
        s.add(new Sigmoid());                         // PyTorch's append names it str(len(self))
        assertEquals(List.of("0", "act", "out", "3"), new ArrayList<>(s.namedChildren().keySet()));
    }

    @Test
    void invalidNamesAreRejected() {
        Sequential s = new Sequential();
        assertThrows(IllegalArgumentException.class, () -> s.addModule("a.b", new ReLU()));
        assertThrows(IllegalArgumentException.class, () -> s.addModule("", new ReLU()));
    }

    // ---- names, order, parameters --------------------------------------------------------------------------------

    @Test
    void leNetParametersHaveDottedNamesInDeclarationOrder() {
        LeNet net = new LeNet();
        assertEquals(List.of("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
                "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"), new ArrayList<>(net.namedParameters().keySet()));
        List<Parameter> params = net.parameters();
        assertEquals(10, params.size());
        assertArrayEquals(new int[] {6, 1, 5, 5}, params.get(0).shape().toArray());
        assertArrayEquals(new int[] {6}, params.get(1).shape().toArray());
        assertArrayEquals(new int[] {120, 400}, params.get(4).shape().toArray());
        assertSame(net.conv1.weight, params.get(0));
        assertSame(net.fc3.bias, params.get(9));
        for (Parameter p : params) assertTrue(p.requiresGrad(), "parameters require grad by default");

        assertEquals(List.of("conv1", "conv2", "fc1", "fc2", "fc3"), new ArrayList<>(net.namedChildren().keySet()));
        assertEquals(List.of("", "conv1", "conv2", "fc1", "fc2", "fc3"), new ArrayList<>(net.namedModules().keySet()));
        assertEquals(6, net.modules().size());
        assertSame(net, net.modules().get(0));
        assertEquals(List.of(net.conv1, net.conv2, net.fc1, net.fc2, net.fc3), net.children());
        assertTrue(net.buffers().isEmpty());
    }

    @Test
    void sequentialParametersArePrefixedByPosition() {
        Sequential net = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 1));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), new ArrayList<>(net.namedParameters().keySet()));
        Sequential outer = new Sequential(new Sequential(new Linear(4, 8), new ReLU()), new Linear(8, 1));
        assertEquals(List.of("0.0.weight", "0.0.bias", "1.weight", "1.bias"), new ArrayList<>(outer.namedParameters().keySet()));
        assertEquals(List.of("", "0", "0.0", "0.1", "1"), new ArrayList<>(outer.namedModules().keySet()));
    }

    @Test
    void linearWithoutBiasHasOnlyAWeight() {
        Linear l = new Linear(3, 2, false);
        assertNull(l.bias);
        assertEquals(List.of("weight"), new ArrayList<>(l.namedParameters().keySet()));
        assertEquals(List.of("weight"), new ArrayList<>(l.stateDict().keySet()));
        Conv2d c = new Conv2d(3, 8, 3, 2, 1, false);
        assertEquals(List.of("weight"), new ArrayList<>(c.namedParameters().keySet()));
    }

    static class Base extends Module {
        final Linear a = new Linear(2, 3);
    }

    static class Derived extends Base {
        final Linear b = new Linear(3, 4);
        final Parameter scale = new Parameter(Kiln.ones(4));
        final Tensor notAParameter = Kiln.ones(4);           // a plain tensor field is not registered
        final List<Linear> notAModule = List.of(new Linear(1, 1)); // nor is a plain list (PyTorch needs ModuleList)

        @Override public Tensor forward(Tensor x) { return b.invoke(a.invoke(x)).mul(scale); }
    }

    @Test
    void superclassFieldsComeFirstAndOnlyModulesAndParametersRegister() {
        Derived d = new Derived();
        assertEquals(List.of("scale", "a.weight", "a.bias", "b.weight", "b.bias"), new ArrayList<>(d.namedParameters().keySet()));
        assertEquals(List.of("scale", "a.weight", "a.bias", "b.weight", "b.bias"), new ArrayList<>(d.stateDict().keySet()));
        assertEquals(List.of("a", "b"), new ArrayList<>(d.namedChildren().keySet()));
        assertEquals("Derived(\n"
                + "  (a): Linear(in_features=2, out_features=3, bias=True)\n"
                + "  (b): Linear(in_features=3, out_features=4, bias=True)\n"
                + ")", d.toString());
    }

    static class Swappable extends Module {
        Linear layer = new Linear(2, 2);

        @Override public Tensor forward(Tensor x) { return layer.invoke(x); }
    }

    @Test
    void reassigningAFieldReplacesTheChild() {
        Swappable s = new Swappable();
        Linear replacement = new Linear(2, 5);
        s.layer = replacement;
        assertSame(replacement.weight, s.getParameter("layer.weight"));
        assertEquals(2, s.parameters().size());
        assertEquals("Swappable(\n  (layer): Linear(in_features=2, out_features=5, bias=True)\n)", s.toString());
    }

    @Test
    void batchNormBuffersAppearInStateDictInPyTorchOrder() {
        Sequential net = new Sequential(new Linear(4, 5), new BatchNorm1d(5), new ReLU());
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"),
                new ArrayList<>(net.stateDict().keySet()));
        assertEquals(List.of("1.running_mean", "1.running_var", "1.num_batches_tracked"), new ArrayList<>(net.namedBuffers().keySet()));
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias"), new ArrayList<>(net.namedParameters().keySet()));
        assertEquals("Sequential(\n"
                + "  (0): Linear(in_features=4, out_features=5, bias=True)\n"
                + "  (1): BatchNorm1d(5, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
                + "  (2): ReLU()\n"
                + ")", net.toString());
        Tensor nbt = net.stateDict().get("1.num_batches_tracked");
        assertEquals(0, nbt.dim(), "num_batches_tracked is a 0-d tensor");
        assertEquals("int64", nbt.dtype().torchName());
    }

    // ---- shared parameters -----------------------------------------------------------------------------------------

    @Test
    void aSharedLayerIsOneModuleWithOneSetOfParameters() {
        Linear shared = new Linear(8, 8);
        Sequential net = new Sequential(new Linear(4, 8), new ReLU(), shared, new ReLU(), shared, new ReLU(), new Linear(8, 1));
        assertSame(net.get(2), net.get(4));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "6.weight", "6.bias"), new ArrayList<>(net.namedParameters().keySet()));
        assertEquals(6, net.parameters().size());
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "6.weight", "6.bias"),
                new ArrayList<>(net.stateDict().keySet()));
        assertEquals(List.of("", "0", "1", "2", "3", "5", "6"), new ArrayList<>(net.namedModules().keySet()));
        assertEquals("Sequential(\n"
                + "  (0): Linear(in_features=4, out_features=8, bias=True)\n"
                + "  (1): ReLU()\n"
                + "  (2): Linear(in_features=8, out_features=8, bias=True)\n"
                + "  (3): ReLU()\n"
                + "  (4): Linear(in_features=8, out_features=8, bias=True)\n"
                + "  (5): ReLU()\n"
                + "  (6): Linear(in_features=8, out_features=1, bias=True)\n"
                + ")", net.toString());
        // changing the weight through one use changes it for the other
        noGrad(() -> ((Linear) net.get(2)).weight.fill_(0.5));
        for (double v : ((Linear) net.get(4)).weight.toDoubleArray()) assertEquals(0.5, v);
    }

    private static void set(Tensor target, float[][] values) { noGrad(() -> target.copy_(Kiln.tensor(values))); }

    private static void set(Tensor target, float... values) { noGrad(() -> target.copy_(Kiln.tensor(values))); }

    @Test
    void aSharedLayersGradientIsTheSumOfBothUses() {
        float[][] w = {{0.5f, -1f}, {1.5f, 0.25f}};
        float[] b = {0.1f, -0.2f};
        Tensor x = Kiln.tensor(new float[][] {{1, 2}, {-0.5f, 3}});

        Linear shared = new Linear(2, 2);
        set(shared.weight, w);
        set(shared.bias, b);
        Sequential net = new Sequential(shared, new Tanh(), shared);
        Tensor out = net.invoke(x);
        out.pow(2).sum().backward();

        // PyTorch 1.13: the same model, weights and input
        assertClose(new double[] {-1.2894818, -1.291326, -0.2007917, -1.7438451}, out.toDoubleArray(), 1e-5, "output");
        assertClose(new double[] {1.5871843, -4.7139702, 6.1876779, -2.7125158}, shared.weight.grad().toDoubleArray(), 1e-4, "weight grad");
        assertClose(new double[] {-4.1363969, -6.3221488}, shared.bias.grad().toDoubleArray(), 1e-4, "bias grad");

        // the same as two separate copies' gradients added up
        Linear first = new Linear(2, 2), second = new Linear(2, 2);
        for (Linear l : List.of(first, second)) {
            set(l.weight, w);
            set(l.bias, b);
        }
        new Sequential(first, new Tanh(), second).invoke(x).pow(2).sum().backward();
        assertClose(first.weight.grad().add(second.weight.grad()).toDoubleArray(), shared.weight.grad().toDoubleArray(), 1e-5, "weight grad sum");
        assertClose(first.bias.grad().add(second.bias.grad()).toDoubleArray(), shared.bias.grad().toDoubleArray(), 1e-5, "bias grad sum");
    }

    // ---- gradients: frozen parameters, zeroGrad -------------------------------------------------------------------

    @Test
    void frozenParametersGetNoGradientWhileOthersDo() {
        Linear first = new Linear(3, 4), last = new Linear(4, 1);
        Sequential net = new Sequential(first, new ReLU(), last);
        first.weight.setRequiresGrad(false);
        assertFalse(first.weight.requiresGrad());
        assertEquals(4, net.parameters().size(), "frozen parameters are still parameters");

        net.invoke(Kiln.randn(5, 3)).sum().backward();
        assertNull(first.weight.grad(), "frozen weight");
        assertNotNull(first.bias.grad());
        assertNotNull(last.weight.grad());
        assertNotNull(last.bias.grad());
        assertArrayEquals(new int[] {1, 4}, last.weight.grad().shape().toArray());

        first.weight.setRequiresGrad(true);             // unfreezing: the next backward reaches it
        net.invoke(Kiln.randn(5, 3)).sum().backward();
        assertNotNull(first.weight.grad());
    }

    @Test
    void zeroGradSetsEveryGradientToNull() {
        LeNet net = new LeNet();
        net.invoke(Kiln.randn(2, 1, 32, 32)).sum().backward();
        for (Parameter p : net.parameters()) assertNotNull(p.grad());
        net.zeroGrad();
        for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) assertNull(e.getValue().grad(), e.getKey());
    }

    @Test
    void gradientsAccumulateUntilZeroGrad() {
        Linear l = new Linear(2, 1);
        Tensor x = Kiln.tensor(new float[][] {{1, 2}});
        l.invoke(x).sum().backward();
        l.invoke(x).sum().backward();
        assertClose(new double[] {2, 4}, l.weight.grad().toDoubleArray(), 1e-6, "accumulated weight grad");
        assertClose(new double[] {2}, l.bias.grad().toDoubleArray(), 1e-6, "accumulated bias grad");
        l.zeroGrad();
        l.invoke(x).sum().backward();
        assertClose(new double[] {1, 2}, l.weight.grad().toDoubleArray(), 1e-6, "weight grad after zeroGrad");
    }

    // ---- apply, train/eval ----------------------------------------------------------------------------------------

    @Test
    void applyVisitsChildrenBeforeParents() {
        Linear l1 = new Linear(2, 2), l2 = new Linear(2, 2);
        ReLU relu = new ReLU();
        Sequential inner = new Sequential(l1, relu);
        Sequential outer = new Sequential(inner, l2);
        List<Module> visited = new ArrayList<>();
        assertSame(outer, outer.apply(visited::add));
        assertEquals(5, visited.size());
        // torch: inner Linear, ReLU, inner Sequential, Linear, outer Sequential
        List<Module> expected = List.of(l1, relu, inner, l2, outer);
        for (int i = 0; i < expected.size(); i++) assertSame(expected.get(i), visited.get(i), "visit " + i);
    }

    @Test
    void applyVisitsASharedModuleOnce() {
        Linear shared = new Linear(2, 2);
        Sequential net = new Sequential(shared, new ReLU(), shared);
        List<Module> visited = new ArrayList<>();
        net.apply(visited::add);
        assertEquals(3, visited.size());
    }

    @Test
    void trainAndEvalPropagateToEveryDescendant() {
        Sequential net = new Sequential(new Sequential(new Linear(2, 3), new BatchNorm1d(3), new Dropout(0.5)), new Linear(3, 1));
        for (Module m : net.modules()) assertTrue(m.isTraining(), "modules start in training mode");
        assertSame(net, net.eval());
        for (Module m : net.modules()) assertFalse(m.isTraining(), "eval() reaches " + m.getName());
        assertSame(net, net.train());
        for (Module m : net.modules()) assertTrue(m.isTraining(), "train() reaches " + m.getName());
        net.train(false);
        for (Module m : net.modules()) assertFalse(m.isTraining());
        net.get(0).train(true);                           // only that subtree
        assertFalse(net.isTraining());
        assertTrue(net.get(0).get(1).isTraining());
        assertFalse(net.get(1).isTraining());
    }

    // ---- lookup ---------------------------------------------------------------------------------------------------

    @Test
    void indexingAndPathLookup() {
        Linear a = new Linear(4, 8), c = new Linear(8, 1);
        ReLU b = new ReLU();
        Sequential net = new Sequential(a, b, c);
        assertSame(a, net.get(0));
        assertSame(c, net.get(2));
        assertSame(c, net.get(-1));
        assertSame(a, net.get(-3));
        assertThrows(IndexOutOfBoundsException.class, () -> net.get(3));
        assertThrows(IndexOutOfBoundsException.class, () -> net.get(-4));
        assertSame(net, net.getSubmodule(""));
        assertSame(b, net.getSubmodule("1"));
        assertSame(c.bias, net.getParameter("2.bias"));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.getSubmodule("5"));
        assertTrue(e.getMessage().contains("Sequential has no attribute `5`"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> net.getSubmodule("0.foo"));
        assertTrue(e.getMessage().contains("Linear has no attribute `foo`"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> net.getParameter("1.weight"));
        assertTrue(e.getMessage().contains("ReLU") && e.getMessage().contains("`weight`"), e.getMessage());

        LeNet le = new LeNet();
        assertSame(le.fc2.weight, le.getParameter("fc2.weight"));
        assertSame(le.conv2, le.getSubmodule("conv2"));
        assertSame(le.conv1, le.get(0));
    }

    // ---- shape errors name the module path ------------------------------------------------------------------------

    @Test
    void leNetOnMnistSizedInputFailsAtTheCallNamingFc1AndBothShapes() {
        LeNet net = new LeNet();
        Tensor x = Kiln.randn(1, 1, 28, 28);
        ShapeException e = assertThrows(ShapeException.class, () -> net.invoke(x));
        String m = e.getMessage();
        assertTrue(m.contains("fc1"), m);
        assertTrue(m.contains("torch.Size([1, 256])"), "names the input's shape: " + m);
        assertTrue(m.contains("torch.Size([120, 400])"), "names the weight's shape: " + m);
        assertTrue(m.contains("(in fc1 (Linear 400→120))"), m);
        assertFalse(m.contains("conv"), m);
        // the right size works
        assertArrayEquals(new int[] {1, 10}, net.invoke(Kiln.randn(1, 1, 32, 32)).shape().toArray());
    }

    @Test
    void shapeErrorsInNestedSequentialsNameTheDottedPath() {
        Sequential net = new Sequential(new Linear(4, 8), new ReLU(), new Sequential(new Linear(9, 2)));
        ShapeException e = assertThrows(ShapeException.class, () -> net.invoke(Kiln.randn(3, 4)));
        assertTrue(e.getMessage().contains("(in 2.0 (Linear 9→2))"), e.getMessage());
        assertTrue(e.getMessage().contains("torch.Size([3, 8])"), e.getMessage());
        assertTrue(e.getMessage().contains("torch.Size([2, 9])"), e.getMessage());
    }

    static void assertClose(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            assertTrue(err <= tol * Math.max(1, Math.abs(expected[i])),
                    what + "[" + i + "]: expected " + expected[i] + " but was " + actual[i]);
        }
    }
}
