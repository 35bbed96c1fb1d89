package dev.kiln.dsl;

import dev.kiln.ir.backend.Backend;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.runtime.Executor;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stand-ins for the CUDA backend, found through ServiceLoader on the test class path only, so that the device paths
 * of the DSL (placement, realization on the device's backend, moved models, compiled steps) run on a machine without
 * a GPU. They go by their own names, never {@code cuda}, so a real CUDA backend on the class path is left alone.
 */
public final class StandInCuda {
    private StandInCuda() {}

    /** A machine with two GPUs: programs compile with the JVM backend, and are counted. */
    public static final class Gpus implements Backend {
        static final String NAME = "test-cuda";
        static final AtomicInteger COMPILED = new AtomicInteger();

        @Override public String name() { return NAME; }

        @Override public Program compile(KernelGraph graph) {
            COMPILED.incrementAndGet();
            return jvm().compile(graph);
        }

        @Override public void useThreads(int threads) { jvm().useThreads(threads); }

        @Override public List<String> devices() { return List.of("cuda:0", "cuda:1"); }

        @Override public Program load(KernelGraph graph, List<byte[]> code) { return jvm().load(graph, code); }

        private static Backend jvm() { return Executor.findBackend("jvm").orElseThrow(); }
    }

    /** The CUDA backend on a machine without an NVIDIA driver: no devices, and a reason. */
    public static final class NoDriver implements Backend {
        static final String NAME = "test-cuda-no-driver";
        static final String REASON = "no NVIDIA driver found (libcuda.so.1 could not be loaded)";

        @Override public String name() { return NAME; }

        @Override public Program compile(KernelGraph graph) { throw new IllegalStateException(REASON); }

        @Override public void useThreads(int threads) {}

        @Override public List<String> devices() { return List.of(); }

        @Override public String unavailableReason() { return REASON; }

        @Override public Program load(KernelGraph graph, List<byte[]> code) { throw new IllegalStateException(REASON); }
    }
}
