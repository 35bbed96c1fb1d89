package dev.kiln.runtime.aot;

import dev.kiln.ir.Shape;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.runtime.Safetensors;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A compiled training step saved to one file: a zip holding {@code manifest.properties} (format, backend, how each
 * program input is bound), {@code graph.bin} (the kernel graph), {@code code/K{i}} (the generated code of each
 * kernel) and {@code state.safetensors} (parameters, optimizer state, step counts, hyper-parameters and constants,
 * by name). Loading needs only the runtime and the backend, not the model's source or the DSL.
 */
public record StepArtifact(String backend, KernelGraph graph, List<byte[]> code, List<Binding> bindings, List<Integer> updates,
                           Map<String, Safetensors.Entry> values, long seedBase, long stepsDone) {
    /** The artifact format this code reads and writes. */
    public static final String FORMAT = "kiln-step-2";          // 2: pointwise kernels with several stores

    /**
     * How program input {@code i} gets its value: {@code input}/{@code target} (the batch), {@code updated} (a tensor the
     * step rewrites: parameter, optimizer state, step count), {@code owned} (read only, e.g. a hyper-parameter),
     * {@code fixed} (a constant), {@code seed} (a fresh random seed per step). {@code name} keys {@link #values}.
     */
    public record Binding(String kind, String name) {}

    /** Writes the artifact atomically (as checkpoints are): a crash part-way leaves the previous file. */
    public void write(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        byte[] state = Safetensors.toBytes(values, Map.of("format", FORMAT));
        Safetensors.writeAtomically(file, out -> {
            ZipOutputStream zip = new ZipOutputStream(out);
            put(zip, "manifest.properties", manifest().getBytes(StandardCharsets.UTF_8));
            put(zip, "graph.bin", graph.toBytes());
            for (int i = 0; i < code.size(); i++) put(zip, "code/K" + i, code.get(i));
            put(zip, "state.safetensors", state);
            zip.finish();
        });
    }

    private String manifest() {
        StringBuilder s = new StringBuilder();
        s.append("format=").append(FORMAT).append('\n');
        s.append("backend=").append(backend).append('\n');
        s.append("kernels=").append(code.size()).append('\n');
        s.append("seedBase=").append(seedBase).append('\n');
        s.append("stepsDone=").append(stepsDone).append('\n');
        s.append("bindings=").append(bindings.size()).append('\n');
        for (int i = 0; i < bindings.size(); i++) s.append("binding.").append(i).append('=').append(bindings.get(i).kind()).append(':').append(bindings.get(i).name()).append('\n');
        s.append("updates=").append(String.join(",", updates.stream().map(String::valueOf).toList())).append('\n');
        return s.toString();
    }

    private static void put(ZipOutputStream zip, String name, byte[] data) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(data);
        zip.closeEntry();
    }

    /** Reads an artifact; a damaged or foreign file fails with an error naming the file and the problem. */
    public static StepArtifact read(Path file) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(file))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) entries.put(e.getName(), readAll(zip));
        } catch (IOException e) {
            throw new IOException(file + ": not a readable Kiln step artifact: " + e.getMessage(), e);
        }
        byte[] manifestBytes = entries.get("manifest.properties");
        if (manifestBytes == null) throw new IOException(file + ": not a Kiln step artifact (no manifest.properties)");
        java.util.Properties m = new java.util.Properties();
        m.load(new java.io.StringReader(new String(manifestBytes, StandardCharsets.UTF_8)));
        if (!FORMAT.equals(m.getProperty("format"))) {
            throw new IOException(file + ": artifact format " + m.getProperty("format") + ", this Kiln reads " + FORMAT);
        }
        byte[] graphBytes = require(entries, "graph.bin", file);
        KernelGraph graph = KernelGraph.fromBytes(graphBytes);
        int kernels = Integer.parseInt(m.getProperty("kernels"));
        List<byte[]> code = new ArrayList<>();
        for (int i = 0; i < kernels; i++) code.add(require(entries, "code/K" + i, file));
        List<Binding> bindings = new ArrayList<>();
        int count = Integer.parseInt(m.getProperty("bindings"));
        for (int i = 0; i < count; i++) {
            String b = m.getProperty("binding." + i);
            if (b == null) throw new IOException(file + ": manifest lacks binding." + i);
            int colon = b.indexOf(':');
            bindings.add(new Binding(b.substring(0, colon), b.substring(colon + 1)));
        }
        List<Integer> updates = new ArrayList<>();
        for (String u : m.getProperty("updates", "").split(",")) if (!u.isBlank()) updates.add(Integer.parseInt(u.trim()));
        Map<String, Safetensors.Entry> values = Safetensors.read(file + "!state.safetensors", require(entries, "state.safetensors", file)).tensors();
        return new StepArtifact(m.getProperty("backend"), graph, code, bindings, updates, values,
                Long.parseLong(m.getProperty("seedBase")), Long.parseLong(m.getProperty("stepsDone")));
    }

    private static byte[] require(Map<String, byte[]> entries, String name, Path file) throws IOException {
        byte[] b = entries.get(name);
        if (b == null) throw new IOException(file + ": artifact is missing " + name);
        return b;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }

    /** A buffer as a safetensors entry of the given shape. */
    public static Safetensors.Entry entry(HostBuffer b, Shape shape) { return new Safetensors.Entry(b.dtype(), shape, b.toDoubles()); }
}
