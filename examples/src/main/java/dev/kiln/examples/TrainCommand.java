package dev.kiln.examples;

import dev.kiln.dsl.Autograd;
import dev.kiln.dsl.F;
import dev.kiln.dsl.Device;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.TrainingStep;
import dev.kiln.dsl.data.Batch;
import dev.kiln.dsl.data.DataLoader;
import dev.kiln.dsl.data.Dataset;
import dev.kiln.dsl.data.KnownDataset;
import dev.kiln.dsl.data.MnistDataset;
import dev.kiln.dsl.data.TensorDataset;
import dev.kiln.dsl.nn.Flatten;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.Module;
import dev.kiln.dsl.nn.ReLU;
import dev.kiln.dsl.nn.Sequential;
import dev.kiln.dsl.optim.Adam;
import dev.kiln.dsl.optim.AdamW;
import dev.kiln.dsl.optim.Optimizer;
import dev.kiln.dsl.optim.RMSprop;
import dev.kiln.dsl.optim.SGD;
import dev.kiln.examples.models.LeNet;
import dev.kiln.examples.plot.LinePlot;
import dev.kiln.ir.DType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code kiln train lenet|mlp}: trains with a compiled training step, one progress bar and one summary line per epoch
 * ({@code epoch E/N loss L test_acc A time Ts steps_per_s S}), a checkpoint per epoch and {@code loss.png} at the end.
 */
final class TrainCommand {
    private TrainCommand() {}

    /** The command line. */
    record Options(String model, String dataset, int epochs, int batch, String optimizer, double lr, long seed, String device,
                   int threads, Path out, Path data) {}

    static int run(String[] args) throws Exception {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("kiln train: " + e.getMessage() + "\nusage: kiln train lenet|mlp [--dataset mnist|fashion-mnist|synthetic]"
                    + " [--epochs N] [--batch B] [--optimizer sgd|momentum|nesterov|rmsprop|adam|adamw] [--lr LR] [--seed S]"
                    + " [--device cpu|cuda] [--threads N] [--out DIR] [--data DIR]");
            return Main.USAGE;
        }
        Device device = o.device().equals("cuda") ? Device.cuda(0) : Device.CPU;
        if (device.isCuda() && !Kiln.cudaIsAvailable()) {
            System.err.println("kiln train: --device cuda: CUDA is not available: " + Kiln.cudaUnavailableReason() + "; use --device cpu");
            return Main.USAGE;
        }
        try {
            LinePlot.requireFonts();                  // before training, not after: loss.png is written at the end
        } catch (IllegalStateException e) {
            System.err.println("kiln train: " + e.getMessage());
            return 1;
        }
        dev.kiln.runtime.Executor.setThreads(o.threads());
        java.nio.file.Files.createDirectories(o.out());
        Kiln.manualSeed(o.seed());
        boolean lenet = o.model().equals("lenet");
        Data data = Data.load(o, lenet);
        System.out.println("dataset: " + data.description());
        Module net = (lenet ? new LeNet() : new Sequential(new Flatten(), new Linear(28 * 28, 256), new ReLU(), new Linear(256, 10))).to(device);
        Optimizer opt = optimizer(o, net);
        DataLoader loader = DataLoader.builder(data.train()).batchSize(o.batch()).shuffle(true).dropLast(true).build();
        Batch first = loader.iterator().next();
        long compileStart = System.nanoTime();
        TrainingStep step = TrainingStep.compile(net, F::crossEntropy, opt, first.inputs().to(device), first.labels().to(device));
        System.out.printf(Locale.ROOT, "compiled the %s training step (batch %d, %s, lr %s) in %.0f ms%n", o.model(), o.batch(),
                o.optimizer(), o.lr(), (System.nanoTime() - compileStart) / 1e6);

        List<Double> losses = new ArrayList<>();
        List<Double> accuracies = new ArrayList<>();
        for (int epoch = 1; epoch <= o.epochs(); epoch++) {
            ProgressBar bar = new ProgressBar(System.out, "epoch " + epoch + "/" + o.epochs(), loader.size());
            long start = System.nanoTime();
            double sum = 0;
            int steps = 0;
            for (Batch b : loader) {
                double loss = step.step(b.inputs().to(device), b.labels().to(device));
                losses.add(loss);
                sum += loss;
                steps++;
                bar.update(steps, sum / steps);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double accuracy = accuracy(net, data.test(), device);
            accuracies.add(accuracy);
            System.out.printf(Locale.ROOT, "epoch %d/%d loss %.4f test_acc %.4f time %.1fs steps_per_s %.0f%n",
                    epoch, o.epochs(), sum / steps, accuracy, seconds, steps / seconds);
            Kiln.save(net.stateDict(), o.out().resolve("checkpoint-epoch" + epoch + ".safetensors"));
        }
        Path plot = LinePlot.saveSideBySide(o.out().resolve("loss.png"),
                new LinePlot("Training loss", "step", "cross-entropy").series("loss", losses).size(600, 450),
                new LinePlot("Test accuracy", "epoch", "accuracy").series("test accuracy", epochs(accuracies.size()),
                        accuracies.stream().mapToDouble(Double::doubleValue).toArray()).yRange(0, 1).size(600, 450));
        System.out.println("wrote checkpoints and " + plot);
        return 0;
    }

    private static double[] epochs(int n) {
        double[] xs = new double[n];
        for (int i = 0; i < n; i++) xs[i] = i + 1;
        return xs;
    }

    /** The fraction of test samples classified right, evaluated in batches without gradients. */
    static double accuracy(Module net, Dataset<?> test, Device device) {
        net.eval();
        long correct = 0, total = 0;
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            for (Batch b : DataLoader.builder(test).batchSize(1000).build()) {
                Tensor predicted = net.invoke(b.inputs().to(device)).argmax(1);
                correct += (long) predicted.eq(b.labels().to(device)).to(DType.I64).sum().item();
                total += b.batchSize();
            }
        } finally {
            net.train();
        }
        return (double) correct / total;
    }

    static Optimizer optimizer(Options o, Module net) {
        return switch (o.optimizer()) {
            case "sgd" -> new SGD(net.parameters(), o.lr());
            case "momentum" -> new SGD(net.parameters(), o.lr(), 0.9);
            case "nesterov" -> new SGD(net.parameters(), o.lr(), 0.9, 0, 0, true);
            case "rmsprop" -> new RMSprop(net.parameters(), o.lr());
            case "adam" -> new Adam(net.parameters(), o.lr());
            case "adamw" -> new AdamW(net.parameters(), o.lr());
            default -> throw new IllegalArgumentException("unknown optimizer " + o.optimizer());
        };
    }

    static Options parse(String[] args) {
        String model = null, dataset = null, optimizer = "momentum", device = "cpu";
        int epochs = 2, batch = 64, threads = 1;
        double lr = Double.NaN;
        long seed = 0;
        Path out = Path.of("runs", "train"), data = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                if (model != null) throw new IllegalArgumentException("unexpected argument '" + a + "'");
                model = a;
                continue;
            }
            if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
            String v = args[++i];
            switch (a) {
                case "--dataset" -> dataset = v;
                case "--epochs" -> epochs = Integer.parseInt(v);
                case "--batch" -> batch = Integer.parseInt(v);
                case "--optimizer" -> optimizer = v;
                case "--lr" -> lr = Double.parseDouble(v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--device" -> device = v;
                case "--threads" -> threads = Integer.parseInt(v);
                case "--out" -> out = Path.of(v);
                case "--data" -> data = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (model == null || !(model.equals("lenet") || model.equals("mlp"))) throw new IllegalArgumentException("name a model: lenet or mlp");
        if (!List.of("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw").contains(optimizer)) {
            throw new IllegalArgumentException("unknown optimizer '" + optimizer + "'; use sgd, momentum, nesterov, rmsprop, adam or adamw");
        }
        if (dataset != null && !List.of("mnist", "fashion-mnist", "synthetic").contains(dataset)) {
            throw new IllegalArgumentException("unknown dataset '" + dataset + "'; use mnist, fashion-mnist or synthetic");
        }
        if (!device.equals("cpu") && !device.equals("cuda")) throw new IllegalArgumentException("unknown device '" + device + "'; use cpu or cuda");
        if (epochs < 1 || batch < 1 || threads < 1) throw new IllegalArgumentException("--epochs, --batch and --threads must be positive");
        if (Double.isNaN(lr)) lr = optimizer.startsWith("adam") || optimizer.equals("rmsprop") ? 1e-3 : 0.05;
        return new Options(model, dataset, epochs, batch, optimizer, lr, seed, device, threads, out, data);
    }

    /** The train and test splits, and where they came from. */
    record Data(Dataset<?> train, Dataset<?> test, String description) {
        static Data load(Options o, boolean padTo32) throws Exception {
            String name = o.dataset();
            if (name == null) {
                boolean fashion = KnownDataset.FASHION_MNIST.find(o.data()).isPresent();
                name = fashion ? "fashion-mnist" : "synthetic";
                if (!fashion) System.out.println("Fashion-MNIST not found (" + KnownDataset.FASHION_MNIST.howToGet() + "): using synthetic data");
            }
            if (name.equals("synthetic")) return synthetic(padTo32 ? 32 : 28);
            MnistDataset.Loader loader = name.equals("mnist") ? MnistDataset.mnist() : MnistDataset.fashionMnist();
            if (o.data() != null) loader.dataDir(o.data());
            // the usual single-channel normalisation of these datasets (mean and std of the training pixels)
            double mean = name.equals("mnist") ? 0.1307 : 0.2860, std = name.equals("mnist") ? 0.3081 : 0.3530;
            loader.normalize(mean, std);
            if (padTo32) loader.padTo32();
            MnistDataset train = loader.train(true).load(), test = loader.train(false).load();
            return new Data(train, test, name + " from " + train.directory() + " (" + train.size() + " train, " + test.size() + " test images)");
        }

        /** Learnable fake images: class c lights up the c-th horizontal band, plus noise. */
        static Data synthetic(int side) {
            return new Data(fake(6000, side, 1), fake(1000, side, 2), "synthetic (6000 train, 1000 test images, " + side + "x" + side + ")");
        }

        private static Dataset<?> fake(int n, int side, long seed) {
            dev.kiln.dsl.Generator g = new dev.kiln.dsl.Generator(seed);
            float[] images = new float[n * side * side];
            long[] labels = new long[n];
            int band = side / 10;
            for (int i = 0; i < n; i++) {
                labels[i] = g.nextLong(0, 10);
                for (int p = 0; p < side * side; p++) {
                    int row = p / side;
                    double signal = row / band == labels[i] ? 1.0 : 0.0;
                    images[i * side * side + p] = (float) (signal + 2.0 * g.nextNormal());
                }
            }
            return TensorDataset.of(images, new int[] {1, side, side}, labels);
        }
    }
}
