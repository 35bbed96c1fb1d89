package dev.kiln.examples;

import dev.kiln.dsl.Kiln;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every example runs to completion through the CLI and prints its key values. */
class ExamplesTest {

    /** Runs {@code kiln run NAME} and returns what it printed. */
    static String run(String... args) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.dispatch(args);
        } finally {
            System.setOut(original);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, "exit code of kiln " + String.join(" ", args) + "\n" + text);
        return text;
    }

    private static void assertContains(String text, String expected) {
        assertTrue(text.contains(expected), "expected to find\n" + expected + "\nin\n" + text);
    }

    @Test
    void listsTheExamples() throws Exception {
        String text = run("run");
        for (String name : new String[] {"autograd", "lenet", "toolbox"}) assertContains(text, "  " + name + " ");
    }

    @Test
    void autograd() throws Exception {
        String text = run("run", "autograd");
        assertContains(text, "a.grad = tensor([36., 81.])");
        assertContains(text, "b.grad = tensor([-12.,  -8.])");
        assertContains(text, "9*a**2 == a.grad: tensor([True, True])");
        assertContains(text, "-2*b == b.grad: tensor([True, True])");
        assertContains(text, "Does `a` require gradients?: false");
        assertContains(text, "Does `b` require gradients?: true");
        assertContains(text, "0.weight requires_grad=false grad=None");
        assertContains(text, "2.weight requires_grad=true grad=torch.Size([10, 32])");
    }

    @Test
    void lenet() throws Exception {
        String text = run("run", "lenet");
        assertContains(text, """
                LeNet(
                  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))
                  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))
                  (fc1): Linear(in_features=400, out_features=120, bias=True)
                  (fc2): Linear(in_features=120, out_features=84, bias=True)
                  (fc3): Linear(in_features=84, out_features=10, bias=True)
                )
                10
                torch.Size([6, 1, 5, 5])
                tensor([[""");
        assertContains(text, "grad_fn=<MseLossBackward0>)");
        assertContains(text, "conv1.bias.grad before backward\nNone\nconv1.bias.grad after backward\ntensor([");
        assertTrue(text.matches("(?s).*loss before the update ([0-9.]+), after ([0-9.]+).*"), text);
        assertContains(text, "== With an optimizer (torch.optim.SGD)\nstep 0 loss");
    }

    @Test
    void toolbox() throws Exception {
        String text = run("run", "toolbox");
        assertContains(text, "(block 3): Sequential(");
        assertContains(text, "same object: true");
        assertContains(text, "shared.weight.grad == grad(first use) + grad(second use): true");
        assertContains(text, "parameters: 6 (the shared layer counted once), state_dict entries: 8");
        assertContains(text, "tensor([[42., 42., 42., 42., 42., 42., 42., 42.]])");
        assertContains(text, "tensor([-2., -1.,  0.,  1.,  2.])");
    }

    @Test
    void devices() throws Exception {
        String text = run("run", "devices");
        assertContains(text, "devices: " + Kiln.devices());
        assertContains(text, "x.device: cpu");
        assertContains(text, "Z.to(Z.device) is Z: true");
        if (Kiln.cudaIsAvailable()) {
            assertContains(text, "using cuda:0");
            assertContains(text, "net(X).device: cuda:0");
            assertContains(text, "error: Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!");
        } else {
            assertContains(text, "CUDA available: false (" + Kiln.cudaUnavailableReason() + ")");
            assertContains(text, "CUDA device count: 0");
            assertContains(text, "using cpu");
            assertContains(text, "net[0].weight.device: cpu");
            assertContains(text, "net(X).device: cpu");
            assertContains(text, "the mixed-device demonstration needs a GPU");
            assertContains(text, "error: cannot use device cuda:0: CUDA is not available: " + Kiln.cudaUnavailableReason());
        }
    }
}
