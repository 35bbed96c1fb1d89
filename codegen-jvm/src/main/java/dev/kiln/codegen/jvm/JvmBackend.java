package dev.kiln.codegen.jvm;

import dev.kiln.codegen.jvm.gemm.Gemm;
import dev.kiln.ir.backend.Backend;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;

import java.util.ArrayList;
import java.util.List;

/** The JVM backend: every kernel becomes a hidden class generated with ASM; contractions run on a Vector API GEMM core. */
public final class JvmBackend implements Backend {
    @Override public String name() { return "jvm"; }

    @Override public Program compile(KernelGraph graph) {
        Debug.kernels(graph);
        List<byte[]> code = new ArrayList<>();
        for (int i = 0; i < graph.kernels().size(); i++) {
            byte[] bytes = KernelCompiler.generate(graph.kernels().get(i), graph, "K" + i);
            Debug.bytecode(i, bytes);
            code.add(bytes);
        }
        return load(graph, code);
    }

    @Override public Program load(KernelGraph graph, List<byte[]> code) {
        if (code.size() != graph.kernels().size()) {
            throw new IllegalArgumentException(code.size() + " classes for " + graph.kernels().size() + " kernels");
        }
        List<JvmProgram.Step> steps = new ArrayList<>();
        KernelProfile profile = KernelProfile.forProgram(graph, graph.kernels().size());
        code = new ArrayList<>(code);
        for (int i = 0; i < graph.kernels().size(); i++) {
            Kernel k = graph.kernels().get(i);
            Object generated = KernelCompiler.instantiate(code.get(i));
            if (k instanceof Kernel.Contraction c && !packsForThisGemm((ContractionKernel) generated, c)) {
                // saved where the GEMM core had other panels (another vector width): generate this kernel again
                code.set(i, KernelCompiler.generate(k, graph, "K" + i));
                generated = KernelCompiler.instantiate(code.get(i));
            }
            steps.add(switch (k) {
                case Kernel.Contraction c -> JvmProgram.contraction(c, (ContractionKernel) generated, graph, profile, i);
                case Kernel.Pointwise p -> JvmProgram.loop((LoopKernel) generated, KernelCompiler.parallelExtent(k), p.shape().numel());
                case Kernel.Reduction r -> JvmProgram.loop((LoopKernel) generated, KernelCompiler.parallelExtent(k), r.domain().numel());
            });
        }
        return new JvmProgram(graph, steps, code, profile);
    }

    private static boolean packsForThisGemm(ContractionKernel generated, Kernel.Contraction c) {
        Gemm gemm = Gemm.best();
        return generated.panelRows() == KernelCompiler.panelRows(c, gemm) && generated.panelCols() == KernelCompiler.panelCols(c, gemm);
    }

    @Override public void useThreads(int threads) { Threads.setThreads(threads); }

    /** Sets the number of threads kernels may use (the default is every core). */
    public static void setThreads(int threads) { Threads.setThreads(threads); }

    /** Whether contractions use the Vector API (the JVM was started with --add-modules jdk.incubator.vector). */
    public static boolean vectorized() { return dev.kiln.codegen.jvm.gemm.Gemm.vectorized(); }
}
