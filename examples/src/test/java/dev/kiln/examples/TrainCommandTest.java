package dev.kiln.examples;

import dev.kiln.dsl.data.KnownDataset;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** kiln train: the summary lines, checkpoints and plot; and real Fashion-MNIST training reaching its accuracy. */
class TrainCommandTest {
    private static final Pattern EPOCH = Pattern.compile(
            "epoch (\\d+)/(\\d+) loss ([0-9.]+) test_acc ([0-9.]+) time ([0-9.]+)s steps_per_s ([0-9]+)");

    @Test
    void trainsOnSyntheticDataAndWritesCheckpointsAndAPlot(@TempDir Path out) throws Exception {
        String text = ExamplesTest.run("train", "mlp", "--dataset", "synthetic", "--epochs", "2", "--out", out.toString());
        Matcher m = EPOCH.matcher(text);
        double lastLoss = Double.MAX_VALUE;
        int epochs = 0;
        while (m.find()) {
            epochs++;
            double loss = Double.parseDouble(m.group(3));
            assertTrue(loss < lastLoss, "loss should fall: " + text);
            lastLoss = loss;
        }
        assertEquals(2, epochs, text);
        assertTrue(Files.size(out.resolve("checkpoint-epoch2.safetensors")) > 1000);
        byte[] png = Files.readAllBytes(out.resolve("loss.png"));
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "loss.png is a PNG");
    }

    /** Without a GPU, --device cuda stops at once saying why (no silent CPU fallback); with one it trains there. */
    @Test
    void cudaWithoutAGpuSaysWhy(@TempDir Path out) throws Exception {
        Assumptions.assumeFalse(dev.kiln.dsl.Kiln.cudaIsAvailable(), "this machine has a GPU; the CUDA path runs in GpuTest and by hand");
        java.io.PrintStream original = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.dispatch(new String[] {"train", "mlp", "--dataset", "synthetic", "--device", "cuda", "--out", out.toString()});
        } finally {
            System.setErr(original);
        }
        assertEquals(Main.USAGE, code);
        String text = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(text.contains("--device cuda: CUDA is not available: " + dev.kiln.dsl.Kiln.cudaUnavailableReason()), text);
        assertTrue(text.contains("use --device cpu"), text);
    }

    @Test
    void oneEpochOfLeNetOnFashionMnistReaches83Percent(@TempDir Path out) throws Exception {
        boolean present = KnownDataset.FASHION_MNIST.find(null).isPresent();
        if (!present && System.getenv("CI") != null) {
            throw new AssertionError("CI must install Fashion-MNIST (.ci/run installs dataset-fashion-mnist): " + KnownDataset.FASHION_MNIST.howToGet());
        }
        Assumptions.assumeTrue(present, "Fashion-MNIST is not installed here (" + KnownDataset.FASHION_MNIST.howToGet() + "), so this check runs in CI only");
        String text = ExamplesTest.run("train", "lenet", "--dataset", "fashion-mnist", "--epochs", "1", "--optimizer", "momentum",
                "--lr", "0.05", "--batch", "64", "--out", out.toString());
        Matcher m = EPOCH.matcher(text);
        assertTrue(m.find(), text);
        double accuracy = Double.parseDouble(m.group(4));
        assertTrue(accuracy >= 0.83, "test accuracy after one epoch " + accuracy + " < 0.83\n" + text);
    }
}
