package dev.kiln.codegen.cuda;

import dev.kiln.ir.DebugFlags;
import dev.kiln.ir.backend.Backend;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Kernels;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The CUDA backend ({@code cuda}): kernels rendered to CUDA C ({@link CudaRenderer}), compiled to PTX
 * ({@link PtxCompiler}) for the GPU's architecture (sm_90 when there is none, so programs and artifacts can be built
 * on machines without a GPU), run through JCuda's driver API ({@link CudaProgram}).
 */
public final class CudaBackend implements Backend {
    @Override public String name() { return "cuda"; }

    @Override public Program compile(KernelGraph graph) {
        if (DebugFlags.on("kernels")) System.err.println("== kernels\n" + Kernels.format(graph));
        CudaSource source = CudaRenderer.render(graph, "");
        if (DebugFlags.on("kernels")) System.err.println("== cuda\n" + source.kernels());
        return new CudaProgram(graph, source, PtxCompiler.compile(source.text(), arch()));
    }

    /**
     * Rebuilds a program from its PTX. The launches (functions, grids, scratch) come from rendering the graph again, so
     * the stored code carries the fingerprint of the source its PTX was compiled from: PTX from another version of the
     * renderer would run kernels with the wrong launch shapes (a tile size changed, a contraction now split).
     */
    @Override public Program load(KernelGraph graph, List<byte[]> code) {
        if (code.size() != 2) {
            throw new IllegalArgumentException("a CUDA program is stored as its PTX and the fingerprint of its CUDA C, got " + code.size()
                    + " code entries (saved by an older Kiln? compile the step again)");
        }
        String ptx = new String(code.get(0), StandardCharsets.UTF_8);
        if (!ptx.contains(".entry")) throw new IllegalArgumentException("the stored code is not PTX (no .entry in it)");
        CudaSource source = CudaRenderer.render(graph, "");
        if (!fingerprint(source).equals(new String(code.get(1), StandardCharsets.UTF_8))) {
            throw new IllegalStateException("the stored PTX was compiled from CUDA C that this version of Kiln renders differently"
                    + " for the same graph (its kernels would not match their launches); compile the step again");
        }
        return new CudaProgram(graph, source, code.get(0));
    }

    /** What identifies the rendered source a program's PTX was compiled from. */
    static String fingerprint(CudaSource source) { return PtxCompiler.hash(source.kernels()); }

    @Override public void useThreads(int threads) { }

    @Override public List<String> devices() { return CudaDriver.devices(); }

    @Override public String unavailableReason() { return CudaDriver.unavailableReason(); }

    /** The architecture to compile for: the GPU's, or sm_90 (H100) without one. */
    public static String arch() {
        String a = CudaDriver.arch();
        return a != null ? a : PtxCompiler.DEFAULT_ARCH;
    }

    /** The CUDA C of {@code graph}, as {@link #compile} renders it (for {@code kiln compile --emit}). */
    public static CudaSource render(KernelGraph graph) { return CudaRenderer.render(graph, ""); }
}
