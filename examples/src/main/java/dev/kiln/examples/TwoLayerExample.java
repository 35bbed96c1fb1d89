package dev.kiln.examples;

import dev.kiln.dsl.Autograd;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.examples.plot.LinePlot;

import java.nio.file.Path;

/**
 * PyTorch's "Learning PyTorch with examples" (seed 002), the autograd version of its two-layer network: a fully
 * connected ReLU net with one hidden layer, no bias, trained to map random x to random y by minimising the squared
 * Euclidean distance, with the weight update written by hand. Writes the loss curve to {@code DIR/loss.png}.
 *
 * <p>Arguments: {@code [--out DIR]} (default {@code runs/two-layer}) {@code [--steps N]} (default 500).
 */
public final class TwoLayerExample implements Example {
    @Override public String name() { return "two-layer"; }

    @Override public String description() {
        return "seed 002: a two-layer ReLU net trained by hand with autograd (w -= lr * w.grad); loss curve PNG";
    }

    @Override public void run(String[] args) throws Exception {
        Path out = Path.of("runs", "two-layer");
        int steps = 500;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Path.of(value(args, ++i, "--out"));
                case "--steps" -> steps = Integer.parseInt(value(args, ++i, "--steps"));
                default -> throw new IllegalArgumentException("two-layer: unknown argument '" + args[i] + "' (expected --out DIR, --steps N)");
            }
        }

        Kiln.manualSeed(2);
        // N is batch size; D_in is input dimension; H is hidden dimension; D_out is output dimension.
        int n = 64, dIn = 1000, h = 100, dOut = 10;

        // Random tensors for inputs and outputs. requires_grad stays false: no gradients for them.
        Tensor x = Kiln.randn(n, dIn);
        Tensor y = Kiln.randn(n, dOut);

        // Random tensors for the weights. requiresGrad_(true): backward() computes their gradients.
        Tensor w1 = Kiln.randn(dIn, h).requiresGrad_(true);
        Tensor w2 = Kiln.randn(h, dOut).requiresGrad_(true);

        double learningRate = 1e-6;
        double[] losses = new double[steps];
        long start = System.nanoTime();
        for (int t = 0; t < steps; t++) {
            // Forward pass: predicted y. clamp(min=0) is the ReLU; no intermediate values are kept by hand,
            // autograd records what backward needs.
            Tensor yPred = x.mm(w1).clampMin(0).mm(w2);

            // The loss, a scalar tensor: loss.item() is its value as a number.
            Tensor loss = yPred.sub(y).pow(2).sum();
            losses[t] = loss.item();
            if (t % 50 == 49) System.out.println(t + " " + loss.item());

            // Backward pass: w1.grad and w2.grad now hold the gradient of the loss with respect to w1 and w2.
            loss.backward();

            // Gradient descent by hand. The update itself must not be recorded by autograd: no-grad mode.
            try (var ignored = Autograd.noGrad()) {
                w1.sub_(w1.grad().mul(learningRate));
                w2.sub_(w2.grad().mul(learningRate));

                // Zero the gradients after the update: backward() accumulates into .grad.
                w1.grad().zero_();
                w2.grad().zero_();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%d iterations in %.2f s; loss %.4g -> %.4g%n", steps, seconds, losses[0], losses[steps - 1]);

        Path png = new LinePlot("Two-layer net, manual gradient descent (lr = 1e-6)", "iteration", "loss (sum of squared errors, log scale)")
                .logY()
                .series("loss", losses)
                .save(out.resolve("loss.png"));
        System.out.println("loss curve: " + png);
    }

    static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }
}
