package dev.kiln.codegen.jvm;

import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Kernels;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.TraceClassVisitor;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Set;

/**
 * Debug printing, switched on by {@code -Dkiln.debug=...} or {@code KILN_DEBUG=...} with a comma-separated list of
 * {@code ir}, {@code kernels}, {@code bytecode}, {@code profile} (time per kernel, printed at exit) or {@code all}; everything goes to standard error.
 */
public final class Debug {
    private static final Set<String> TOPICS = topics();

    private Debug() {}

    private static Set<String> topics() {
        String v = System.getProperty("kiln.debug", System.getenv().getOrDefault("KILN_DEBUG", ""));
        return Set.of(v.toLowerCase().split("\\s*,\\s*"));
    }

    public static boolean on(String topic) { return TOPICS.contains(topic) || TOPICS.contains("all"); }

    static void kernels(KernelGraph g) {
        if (on("kernels")) System.err.println("== kernels\n" + Kernels.format(g));
    }

    static void bytecode(int index, byte[] bytes) {
        if (!on("bytecode")) return;
        StringWriter text = new StringWriter();
        new ClassReader(bytes).accept(new TraceClassVisitor(new PrintWriter(text)), 0);
        System.err.println("== bytecode of kernel k" + index + "\n" + text);
    }
}
