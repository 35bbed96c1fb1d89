package dev.kiln.examples;

import dev.kiln.dsl.F;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.Module;
import dev.kiln.dsl.nn.ReLU;
import dev.kiln.dsl.nn.Sequential;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * PyTorch's "File I/O" tutorial (seed 004, section 7): {@code torch.save} / {@code torch.load} of a tensor, a list of
 * tensors and a dict of tensors; an MLP's state_dict loaded into a fresh MLP (same parameters, identical outputs);
 * and a whole model, architecture included.
 *
 * <p>Arguments: {@code [--out DIR]} (default: a new temporary directory).
 */
public final class SaveLoadExample implements Example {
    @Override public String name() { return "save-load"; }

    @Override public String description() {
        return "seed 004 §7: Kiln.save/Kiln.load of tensors, lists, maps, a state_dict and a whole model";
    }

    /** The tutorial's MLP: a hidden layer of 256 ReLU units and 10 outputs. */
    public static final class MLP extends Module {
        public final Linear hidden = new Linear(20, 256);
        public final Linear output = new Linear(256, 10);

        @Override public Tensor forward(Tensor x) { return output.invoke(F.relu(hidden.invoke(x))); }
    }

    @Override public void run(String[] args) throws Exception {
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--out")) dir = Path.of(TwoLayerExample.value(args, ++i, "--out"));
            else throw new IllegalArgumentException("save-load: unknown argument '" + args[i] + "' (expected --out DIR)");
        }
        dir = dir == null ? Files.createTempDirectory("kiln-save-load") : Files.createDirectories(dir);
        Kiln.manualSeed(4);

        System.out.println("== Loading and saving tensors");
        Tensor x = Kiln.arange(4);
        Kiln.save(x, dir.resolve("x-file"));                                       // torch.save(x, 'x-file')
        Tensor x2 = (Tensor) Kiln.load(dir.resolve("x-file"));                     // x2 = torch.load('x-file')
        System.out.println(x2);

        Tensor y = Kiln.zeros(4);
        Kiln.save(List.of(x, y), dir.resolve("x-files"));                          // torch.save([x, y], 'x-files')
        @SuppressWarnings("unchecked")
        List<Tensor> xy = (List<Tensor>) Kiln.load(dir.resolve("x-files"));        // x2, y2 = torch.load('x-files')
        System.out.println("(" + xy.get(0) + ", " + xy.get(1) + ")");

        Map<String, Tensor> mydict = new LinkedHashMap<>();                        // mydict = {'x': x, 'y': y}
        mydict.put("x", x);
        mydict.put("y", y);
        Kiln.save(mydict, dir.resolve("mydict"));
        @SuppressWarnings("unchecked")
        Map<String, Tensor> mydict2 = (Map<String, Tensor>) Kiln.load(dir.resolve("mydict"));
        System.out.println(pythonDict(mydict2));
        System.out.println("same keys and values: " + (mydict2.keySet().equals(mydict.keySet())
                && mydict.keySet().stream().allMatch(k -> same(mydict.get(k), mydict2.get(k)))));

        System.out.println();
        System.out.println("== Loading and saving model parameters");
        MLP net = new MLP();
        Tensor input = Kiln.randn(2, 20);
        Tensor out = net.invoke(input);
        Kiln.save(net.stateDict(), dir.resolve("mlp.params"));                     // torch.save(net.state_dict(), 'mlp.params')

        MLP clone = new MLP();                                                     // fresh, differently initialised weights
        System.out.println("fresh MLP has the same parameters before loading: " + sameParameters(net, clone));
        @SuppressWarnings("unchecked")
        Map<String, Tensor> state = (Map<String, Tensor>) Kiln.load(dir.resolve("mlp.params"));
        clone.loadStateDict(state);                                                // clone.load_state_dict(torch.load('mlp.params'))
        System.out.println(clone.eval());
        for (var e : clone.stateDict().entrySet()) {
            System.out.println(e.getKey() + " " + e.getValue().shape() + " equal: " + same(e.getValue(), net.stateDict().get(e.getKey())));
        }
        Tensor outClone = clone.invoke(input);
        System.out.println(outClone.eq(out));                                      // Y_clone == Y
        System.out.println("outputs identical: " + same(outClone, out));

        System.out.println();
        System.out.println("== Saving and loading a whole model");
        Sequential model = new Sequential(new Linear(20, 256), new ReLU(), new Linear(256, 10));
        Tensor before = model.invoke(input);
        Kiln.save(model, dir.resolve("model.pt"));                                 // torch.save(model, 'model.pt')
        Module loaded = (Module) Kiln.load(dir.resolve("model.pt"));               // architecture and weights
        System.out.println(loaded);
        System.out.println("parameters equal: " + sameParameters(model, loaded));
        System.out.println("outputs identical: " + same(loaded.invoke(input), before));

        System.out.println();
        System.out.println("files in " + dir + ":");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) System.out.printf("  %-10s %,9d bytes%n", f.getFileName(), Files.size(f));
        }
    }

    /** {@code torch.equal(a, b)}: same shape, same dtype and the same values. */
    static boolean same(Tensor a, Tensor b) {
        return a.shape().equals(b.shape()) && a.dtype() == b.dtype() && Arrays.equals(a.toDoubleArray(), b.toDoubleArray());
    }

    /** Whether two modules hold the same parameter names with equal values. */
    static boolean sameParameters(Module a, Module b) {
        Map<String, Tensor> sa = a.stateDict(), sb = b.stateDict();
        return sa.keySet().equals(sb.keySet()) && sa.keySet().stream().allMatch(k -> same(sa.get(k), sb.get(k)));
    }

    /** A map printed as Python prints a dict: {@code {'x': tensor(...), 'y': tensor(...)}}. */
    static String pythonDict(Map<String, Tensor> map) {
        return map.entrySet().stream().map(e -> "'" + e.getKey() + "': " + e.getValue()).collect(Collectors.joining(", ", "{", "}"));
    }
}
