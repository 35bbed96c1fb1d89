package dev.kiln.ir.backend;

import dev.kiln.ir.kernel.KernelGraph;

/**
 * A code generator and executor for kernel graphs. Implementations are found with {@link java.util.ServiceLoader},
 * so nothing but the launcher's class path names a concrete backend.
 */
public interface Backend {
    /** The name users select it by, e.g. {@code jvm}. */
    String name();

    /** Compiles a scheduled graph into a program that can run many times. */
    Program compile(KernelGraph graph);

    /** How many threads this backend's programs may use on the host (backends that run elsewhere may ignore it). */
    void useThreads(int threads);

    /**
     * The devices this backend's programs run on, by PyTorch-style name ({@code cpu}; {@code cuda:0}, {@code cuda:1}, ...).
     * Empty when the backend is on the class path but has nothing to run on (e.g. no NVIDIA driver); then
     * {@link #unavailableReason()} says why.
     */
    default java.util.List<String> devices() { return java.util.List.of("cpu"); }

    /** Why {@link #devices()} is empty (what is missing and how to get it), or null when it isn't. */
    default String unavailableReason() { return null; }

    /** Rebuilds a program from its graph and the code {@link Program#code()} returned, without generating anything. */
    Program load(KernelGraph graph, java.util.List<byte[]> code);
}
