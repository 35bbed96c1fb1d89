package dev.kiln.examples;

import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.TrainingStep;
import dev.kiln.dsl.nn.CrossEntropyLoss;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.Module;
import dev.kiln.dsl.nn.ReLU;
import dev.kiln.dsl.nn.Sequential;
import dev.kiln.dsl.optim.SGD;
import dev.kiln.examples.models.LeNet;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Kernels;
import dev.kiln.runtime.Executor;
import dev.kiln.runtime.aot.StepArtifact;
import dev.kiln.codegen.cuda.CudaBackend;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.TraceClassVisitor;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code kiln compile MODEL --batch B [--device cpu|cuda] [--out FILE] [--emit DIR]}: compiles a training step
 * (cross-entropy, SGD with momentum) for a model, reports how long compiling took, writes the artifact, and with
 * --emit the kernel IR plus, for the CPU, every kernel's bytecode as text, for CUDA the rendered .cu and its PTX.
 * Compiling for CUDA needs nvcc (or NVRTC) but no GPU: the artifact runs later on a machine with one.
 */
final class CompileCommand {
    private CompileCommand() {}

    static int run(String[] args) throws Exception {
        String model = null;
        int batch = 64;
        Path out = null, emit = null;
        String device = "cpu";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--emit" -> emit = Path.of(args[++i]);
                case "--device" -> device = args[++i];
                default -> {
                    if (args[i].startsWith("-") || model != null) return usage("unexpected argument '" + args[i] + "'");
                    model = args[i];
                }
            }
        }
        if (model == null) return usage("name a model (lenet or mlp)");
        if (!device.equals("cpu") && !device.equals("cuda")) return usage("unknown device '" + device + "'; use cpu or cuda");
        final Module net;
        final Tensor input;
        switch (model) {
            case "lenet" -> { net = new LeNet(); input = Kiln.randn(batch, 1, 32, 32); }
            case "mlp" -> { net = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10)); input = Kiln.randn(batch, 784); }
            default -> { return usage("unknown model '" + model + "'; known: lenet, mlp"); }
        }
        Tensor labels = Kiln.randint(0, 10, batch);
        long start = System.nanoTime();
        TrainingStep step = Executor.withBackend(device.equals("cuda") ? "cuda" : Executor.backendName(),
                () -> TrainingStep.compile(net, new CrossEntropyLoss(), new SGD(net.parameters(), 0.01, 0.9), input, labels));
        double ms = (System.nanoTime() - start) / 1e6;
        if (out == null) out = Path.of(model + "-b" + batch + (device.equals("cuda") ? "-cuda" : "") + ".kiln");
        step.save(out);
        StepArtifact artifact = StepArtifact.read(out);
        KernelGraph g = artifact.graph();
        System.out.printf("compiled %s training step (batch %d) for %s: %d kernels in %.0f ms (trace, autodiff, fusion, codegen%s)%n",
                model, batch, device, g.kernels().size(), ms, device.equals("cuda") ? ", CUDA C, PTX for " + CudaBackend.arch() : "");
        System.out.println("wrote " + out + " (" + Files.size(out) + " bytes)");
        if (emit != null) {
            Files.createDirectories(emit);
            Files.writeString(emit.resolve("kernels.txt"), Kernels.format(g));
            if (device.equals("cuda")) {
                Files.writeString(emit.resolve("kernels.cu"), CudaBackend.render(g).text());
                Files.write(emit.resolve("kernels.ptx"), artifact.code().get(0));
                System.out.println("emitted kernel IR, CUDA C (" + g.kernels().size() + " kernels) and PTX to " + emit);
            } else {
                for (int i = 0; i < artifact.code().size(); i++) {
                    StringWriter text = new StringWriter();
                    new ClassReader(artifact.code().get(i)).accept(new TraceClassVisitor(new PrintWriter(text)), 0);
                    Files.writeString(emit.resolve("K" + i + ".bytecode.txt"), text.toString());
                }
                System.out.println("emitted kernel IR and " + artifact.code().size() + " bytecode listings to " + emit);
            }
        }
        return 0;
    }

    private static int usage(String problem) {
        System.err.println("kiln compile: " + problem + "\nusage: kiln compile lenet|mlp [--batch B] [--device cpu|cuda] [--out FILE] [--emit DIR]");
        return Main.USAGE;
    }
}
