package dev.kiln.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tutorial examples two-layer, optimizers and save-load: what they print, and the PNG plots they write. */
class TutorialExamplesTest {

    private static void assertContains(String text, String expected) {
        assertTrue(text.contains(expected), "expected to find\n" + expected + "\nin\n" + text);
    }

    @Test
    void listsTheTutorialExamples() throws Exception {
        String text = ExamplesTest.run("run");
        for (String name : new String[] {"two-layer", "optimizers", "save-load"}) assertContains(text, "  " + name + " ");
    }

    @Test
    void twoLayerLossFallsByOrdersOfMagnitude(@TempDir Path out) throws Exception {
        // 100 of the tutorial's 500 iterations keep the test fast; the loss already falls from ~4e7 to a few hundred
        String text = ExamplesTest.run("run", "two-layer", "--out", out.toString(), "--steps", "100");
        List<Double> printed = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^(\\d+) (\\S+)$").matcher(text);
        List<Integer> iterations = new ArrayList<>();
        while (m.find()) {
            iterations.add(Integer.parseInt(m.group(1)));
            printed.add(Double.parseDouble(m.group(2)));
        }
        assertEquals(List.of(49, 99), iterations, text);
        assertTrue(printed.get(1) < printed.get(0), text);

        Matcher summary = Pattern.compile("100 iterations in \\S+ s; loss (\\S+) -> (\\S+)").matcher(text);
        assertTrue(summary.find(), text);
        double first = Double.parseDouble(summary.group(1)), last = Double.parseDouble(summary.group(2));
        assertTrue(first > 1e6 && last < first * 1e-3, "loss should fall by orders of magnitude: " + first + " -> " + last);
        assertEquals(last, printed.get(1), 1e-3 * last);          // the summary prints 4 significant digits

        assertContains(text, "loss curve: " + out.resolve("loss.png"));
        assertPlot(out.resolve("loss.png"), 0x1f77b4);
    }

    @Test
    void everyOptimizerLowersTheLoss(@TempDir Path out) throws Exception {
        String text = ExamplesTest.run("run", "optimizers", "--out", out.toString(), "--epochs", "3");
        assertContains(text, "Epoch:  0\nEpoch:  1\nEpoch:  2\n");
        assertContains(text, "96 steps per optimizer (32 batches x 3 epochs)");
        for (String name : new String[] {"SGD", "Momentum", "RMSprop", "Adam"}) {
            Matcher m = Pattern.compile("(?m)^" + name + " +(\\S+) +(\\S+) +(\\S+)$").matcher(text);
            assertTrue(m.find(), "no summary row for " + name + " in\n" + text);
            double first = Double.parseDouble(m.group(1)), lastEpoch = Double.parseDouble(m.group(2)), min = Double.parseDouble(m.group(3));
            assertTrue(lastEpoch < first, name + ": last epoch's mean loss " + lastEpoch + " should be below the first step's " + first);
            assertTrue(min <= lastEpoch, name + ": " + text);
        }
        assertContains(text, "loss curves: " + out.resolve("optimizers.png"));
        // matplotlib's first four colours, one per curve
        assertPlot(out.resolve("optimizers.png"), 0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728);
    }

    @Test
    void saveLoadRoundTrips(@TempDir Path out) throws Exception {
        String text = ExamplesTest.run("run", "save-load", "--out", out.toString());
        assertContains(text, "== Loading and saving tensors\ntensor([0, 1, 2, 3])\n");
        assertContains(text, "(tensor([0, 1, 2, 3]), tensor([0., 0., 0., 0.]))");
        assertContains(text, "{'x': tensor([0, 1, 2, 3]), 'y': tensor([0., 0., 0., 0.])}");
        assertContains(text, "same keys and values: true");
        assertContains(text, "fresh MLP has the same parameters before loading: false");
        assertContains(text, "hidden.weight torch.Size([256, 20]) equal: true");
        assertContains(text, "output.bias torch.Size([10]) equal: true");
        assertContains(text, "tensor([[True, True, True, True, True, True, True, True, True, True],\n"
                + "        [True, True, True, True, True, True, True, True, True, True]])");
        assertContains(text, "(2): Linear(in_features=256, out_features=10, bias=True)");
        assertContains(text, "parameters equal: true");
        assertEquals(2, text.split("outputs identical: true", -1).length - 1, text);
        assertTrue(!text.contains("false") || text.indexOf("false") == text.indexOf("before loading: false") + "before loading: ".length(), text);
        for (String f : new String[] {"x-file", "x-files", "mydict", "mlp.params", "model.pt"}) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
    }

    /** A real PNG, bigger than a thumbnail, not blank, showing each of the given line colours. */
    static void assertPlot(Path png, int... lineColors) throws Exception {
        assertTrue(Files.isRegularFile(png), png + " was not written");
        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(bytes, 8), "PNG signature");
        BufferedImage image = ImageIO.read(png.toFile());
        assertTrue(image.getWidth() > 100 && image.getHeight() > 100, image.getWidth() + "x" + image.getHeight());
        Set<Integer> colors = new HashSet<>();
        for (int yy = 0; yy < image.getHeight(); yy++) {
            for (int xx = 0; xx < image.getWidth(); xx++) colors.add(image.getRGB(xx, yy) & 0xffffff);
        }
        // text, axes, grid and anti-aliased lines: a blank or single-colour image has a handful at most
        assertTrue(colors.size() > 20, png + " looks blank: " + colors.size() + " distinct colours");
        for (int c : lineColors) assertTrue(colors.contains(c), png + " has no pixel of colour " + Integer.toHexString(c));
    }
}
