package dev.kiln.examples;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Kernels;
import dev.kiln.ir.kernel.Scheduler;

import java.util.List;

/** {@code kiln graph lenet [--batch B] [--dot]}: the IR and the kernels of a LeNet forward pass and training step. */
final class GraphCommand {
    private GraphCommand() {}

    static int run(String[] args) {
        String model = null;
        int batch = 64;
        boolean dot = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dot" -> dot = true;
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                default -> {
                    if (args[i].startsWith("-") || model != null) return usage("unexpected argument '" + args[i] + "'");
                    model = args[i];
                }
            }
        }
        if (!"lenet".equals(model)) return usage(model == null ? "name a model" : "unknown model '" + model + "'; known: lenet");
        show("LeNet forward, batch " + batch, LeNetGraphs.forward(batch), dot);
        show("LeNet training step (cross-entropy, gradients, SGD update), batch " + batch, LeNetGraphs.trainingStep(batch), dot);
        return 0;
    }

    private static void show(String title, List<Node> outputs, boolean dot) {
        KernelGraph kernels = Scheduler.schedule(outputs, n -> false).graph();
        System.out.println("== " + title);
        if (dot) {
            System.out.println(Graph.dot(outputs));
        } else {
            System.out.println(Graph.dump(outputs));
            System.out.println(Kernels.format(kernels));
        }
        System.out.println(title + ": " + Graph.topologicalOrder(outputs).size() + " nodes, " + kernels.kernels().size()
                + " kernels, " + kernels.slotCount() + " temporary slots for " + temps(kernels) + " temporaries\n");
    }

    private static long temps(KernelGraph g) { return g.buffers().stream().filter(b -> b.role() == KernelGraph.Role.TEMP).count(); }

    private static int usage(String problem) {
        System.err.println("kiln graph: " + problem + "\nusage: kiln graph lenet [--batch B] [--dot]");
        return Main.USAGE;
    }
}
