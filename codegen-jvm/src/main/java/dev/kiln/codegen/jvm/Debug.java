package dev.kiln.codegen.jvm;

import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Kernels;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.TraceClassVisitor;

import java.io.PrintWriter;
import java.io.StringWriter;

/** The JVM backend's debug printing (kernels, bytecode), switched on through {@link dev.kiln.ir.DebugFlags}; to standard error. */
public final class Debug {
    private Debug() {}

    static void kernels(KernelGraph g) {
        if (dev.kiln.ir.DebugFlags.on("kernels")) System.err.println("== kernels\n" + Kernels.format(g));
    }

    static void bytecode(int index, byte[] bytes) {
        if (!dev.kiln.ir.DebugFlags.on("bytecode")) return;
        StringWriter text = new StringWriter();
        new ClassReader(bytes).accept(new TraceClassVisitor(new PrintWriter(text)), 0);
        System.err.println("== bytecode of kernel k" + index + "\n" + text);
    }
}
