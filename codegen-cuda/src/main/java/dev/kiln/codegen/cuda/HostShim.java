package dev.kiln.codegen.cuda;

import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.kernel.KernelGraph;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs rendered CUDA C on the CPU: the kernels of many graphs, with kiln_host_shim.h in front, compiled by the
 * host's C++ compiler into one executable that reads every graph's inputs from a file, launches its kernels in order
 * (temporaries in their memory-plan slots, filled with NaN bytes first so a read of something never written shows)
 * and writes its outputs. This is how a machine without a GPU checks the CUDA renderer against the JVM backend.
 */
public final class HostShim {
    /** One graph to run, on inputs in {@link KernelGraph#inputs()} order. */
    public record Case(KernelGraph graph, List<HostBuffer> inputs) {}

    private HostShim() {}

    /** Whether a C++ compiler ({@code c++}, {@code g++} or {@code clang++}) is on the PATH. */
    public static String compiler() {
        for (String c : List.of("c++", "g++", "clang++")) if (Tools.onPath(c)) return c;
        return null;
    }

    /** The outputs of every case, in {@link KernelGraph#outputs()} order. */
    public static List<List<HostBuffer>> run(List<Case> cases, Path workDir) {
        String cxx = compiler();
        if (cxx == null) throw new IllegalStateException("the CUDA host shim needs a C++ compiler (c++, g++ or clang++) on the PATH");
        try {
            Files.createDirectories(workDir);
            Path source = workDir.resolve("shim.cpp"), exe = workDir.resolve("shim"), in = workDir.resolve("in.bin"), out = workDir.resolve("out.bin");
            Files.writeString(source, harness(cases));
            Tools.run(workDir, List.of(cxx, "-std=c++17", "-O1", "-fwrapv", "-w", "-o", exe.toString(), source.toString()), "compiling the host shim");
            ByteArrayOutputStream inputs = new ByteArrayOutputStream();
            for (Case c : cases) for (HostBuffer b : c.inputs()) inputs.write(b.toLittleEndian());
            Files.write(in, inputs.toByteArray());
            Tools.run(workDir, List.of(exe.toString(), in.toString(), out.toString()), "running the host shim");
            ByteBuffer results = ByteBuffer.wrap(Files.readAllBytes(out));
            List<List<HostBuffer>> all = new ArrayList<>();
            for (Case c : cases) {
                List<HostBuffer> outputs = new ArrayList<>();
                for (int id : c.graph().outputs()) {
                    KernelGraph.BufferInfo b = c.graph().buffer(id);
                    outputs.add(HostBuffer.readLittleEndian(b.dtype(), b.shape().numel(), results));
                }
                all.add(outputs);
            }
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The C++ program: shim, prelude, every case's kernels, one function per case, and main. */
    static String harness(List<Case> cases) {
        StringBuilder s = new StringBuilder(CudaRenderer.hostShim()).append('\n').append(CudaRenderer.prelude()).append('\n');
        StringBuilder calls = new StringBuilder();
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            check(c, i);
            CudaSource src = CudaRenderer.render(c.graph(), "c" + i + "_");
            s.append(src.kernels()).append('\n');
            s.append(caseFunction(i, c.graph(), src));
            calls.append("    case_").append(i).append("(in, out);\n");
        }
        s.append("int main(int argc, char** argv) {\n")
                .append("    if (argc != 3) { std::fprintf(stderr, \"usage: shim INPUTS OUTPUTS\\n\"); return 2; }\n")
                .append("    std::FILE* in = std::fopen(argv[1], \"rb\");\n")
                .append("    std::FILE* out = std::fopen(argv[2], \"wb\");\n")
                .append("    if (!in || !out) { std::fprintf(stderr, \"shim: cannot open files\\n\"); return 2; }\n")
                .append(calls)
                .append("    std::fclose(in);\n    return std::fclose(out) == 0 ? 0 : 2;\n}\n");
        return s.toString();
    }

    private static void check(Case c, int index) {
        if (c.inputs().size() != c.graph().inputs().size()) {
            throw new IllegalArgumentException("case " + index + " has " + c.inputs().size() + " inputs, its graph takes " + c.graph().inputs().size());
        }
        for (int i = 0; i < c.inputs().size(); i++) {
            KernelGraph.BufferInfo b = c.graph().buffer(c.graph().inputs().get(i));
            HostBuffer h = c.inputs().get(i);
            if (h.dtype() != b.dtype() || h.length() != b.shape().numel()) {
                throw new IllegalArgumentException("case " + index + " input " + i + " is " + h.dtype().torchName() + "[" + h.length()
                        + "], the graph expects " + b.dtype().torchName() + b.shape());
            }
        }
    }

    /** Declares {@code name}, storage for {@code bytes} bytes filled with NaN bytes, so reading what was never written shows. */
    private static void nanFilled(CWriter w, String name, long bytes) {
        w.line("std::vector<double> " + name + "(" + (bytes + 7) / 8 + ");")
                .line("std::memset(" + name + ".data(), 0xff, " + name + ".size() * 8);");
    }

    private static String caseFunction(int index, KernelGraph g, CudaSource src) {
        CWriter w = new CWriter();
        w.open("static void case_" + index + "(std::FILE* in, std::FILE* out)");
        g.slotBytes().forEach((slot, n) -> nanFilled(w, "slot" + slot, n));
        for (KernelGraph.BufferInfo b : g.buffers()) {
            String type = CTypes.element(b.dtype());
            String storage = b.slot() >= 0 ? "slot" + b.slot() : "own" + b.id();
            if (b.slot() < 0) nanFilled(w, storage, b.bytes());
            w.line(type + "* b" + b.id() + " = (" + type + "*) " + storage + ".data();");
        }
        for (int i = 0; i < src.scratchBytes().size(); i++) {
            nanFilled(w, "scratch" + i, src.scratchBytes().get(i));
            w.line("kiln_scratch w" + i + "{scratch" + i + ".data()};");
        }
        for (int id : g.inputs()) w.line("kiln_read(in, b" + id + ", " + g.buffer(id).bytes() + ");");
        for (Launch l : src.launches()) {
            if (l.empty()) continue;
            List<String> args = new ArrayList<>();
            for (int entry : l.buffers()) args.add(CudaRenderer.parameterName(entry));
            w.line("kiln_launch(dim3(" + l.gridX() + ", " + l.gridY() + ", " + l.gridZ() + "), dim3(" + l.block() + "), [&] { "
                    + l.name() + "(" + String.join(", ", args) + "); });");
        }
        for (int id : g.outputs()) w.line("kiln_write(out, b" + id + ", " + g.buffer(id).bytes() + ");");
        w.close();
        return w.toString();
    }
}
