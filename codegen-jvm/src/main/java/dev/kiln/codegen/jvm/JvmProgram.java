package dev.kiln.codegen.jvm;

import dev.kiln.codegen.jvm.gemm.Gemm;
import dev.kiln.ir.DType;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Ix;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled kernel graph on the JVM: generated kernels run in order over Java arrays. Temporaries live in the
 * memory plan's slots, allocated once; each run allocates only its output arrays.
 */
final class JvmProgram implements Program {
    private final KernelGraph graph;
    private final List<Step> steps;
    private final Object[] slotArrays;

    interface Step {
        void run(Object[] buffers);
    }

    private final List<byte[]> code;

    JvmProgram(KernelGraph graph, List<Step> steps, List<byte[]> code) {
        this.graph = graph;
        this.steps = steps;
        this.code = List.copyOf(code);
        this.nanos = dev.kiln.ir.DebugFlags.on("profile") ? new long[steps.size()] : null;
        if (nanos != null) Runtime.getRuntime().addShutdownHook(new Thread(this::printProfile));
        Map<Integer, Integer> slotSize = new HashMap<>();
        Map<Integer, DType> slotType = new HashMap<>();
        for (KernelGraph.BufferInfo b : graph.buffers()) {
            if (b.slot() < 0) continue;
            slotSize.merge(b.slot(), b.shape().numel(), Math::max);
            slotType.put(b.slot(), b.dtype());
        }
        slotArrays = new Object[slotSize.size()];
        slotSize.forEach((slot, size) -> slotArrays[slot] = HostBuffer.allocate(slotType.get(slot), size).array());
        bound = new Object[graph.buffers().size()];
        for (KernelGraph.BufferInfo b : graph.buffers()) if (b.slot() >= 0) bound[b.id()] = slotArrays[b.slot()];
    }

    @Override public KernelGraph graph() { return graph; }

    @Override public List<byte[]> code() { return code; }

    /** Reused across runs: the array of every buffer's Java array, indexed by buffer id. */
    private final Object[] bound;

    @Override public synchronized void runInto(HostBuffer[] inputs, HostBuffer[] outputs) {
        if (inputs.length != graph.inputs().size() || outputs.length != graph.outputs().size()) {
            throw new IllegalArgumentException("program takes " + graph.inputs().size() + " inputs and " + graph.outputs().size()
                    + " outputs, got " + inputs.length + " and " + outputs.length);
        }
        for (int i = 0; i < inputs.length; i++) bound[checked(graph.inputs().get(i), inputs[i], "input", i)] = inputs[i].array();
        for (int i = 0; i < outputs.length; i++) {
            int id = graph.outputs().get(i);
            if (graph.buffer(id).role() != KernelGraph.Role.OUTPUT) {
                throw new IllegalArgumentException("output " + i + " is one of the program's inputs; use run() for such programs");
            }
            bound[checked(id, outputs[i], "output", i)] = outputs[i].array();
        }
        runSteps(bound);
    }

    /** Per-kernel nanoseconds, when profiling ({@code -Dkiln.debug=profile}); printed when the JVM exits. */
    private final long[] nanos;

    private void runSteps(Object[] buffers) {
        if (nanos == null) {
            for (Step s : steps) s.run(buffers);
            return;
        }
        for (int i = 0; i < steps.size(); i++) {
            long t = System.nanoTime();
            steps.get(i).run(buffers);
            nanos[i] += System.nanoTime() - t;
        }
    }

    private void printProfile() {
        long total = java.util.Arrays.stream(nanos).sum();
        if (total == 0) return;
        StringBuilder s = new StringBuilder("== kernel profile (" + graph.kernels().size() + " kernels, " + total / 1_000_000 + " ms)\n");
        Integer[] order = new Integer[nanos.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Long.compare(nanos[b], nanos[a]));
        for (int i = 0; i < Math.min(15, order.length); i++) {
            int k = order[i];
            String header = dev.kiln.ir.kernel.Kernels.format(graph.kernels().get(k)).lines().findFirst().orElse("");
            s.append(String.format("%5.1f%%  k%-3d %s%n", 100.0 * nanos[k] / total, k, header));
        }
        System.err.print(s);
    }

    /** The buffer id, after checking the buffer fits it (the message is built only on failure: this runs every step). */
    private int checked(int id, HostBuffer b, String role, int index) {
        KernelGraph.BufferInfo info = graph.buffer(id);
        if (b.dtype() != info.dtype() || b.length() != info.shape().numel()) {
            throw new IllegalArgumentException(role + " " + index + " is " + b.dtype().torchName() + "[" + b.length() + "], the program expects "
                    + info.dtype().torchName() + info.shape());
        }
        return id;
    }

    @Override public synchronized List<HostBuffer> run(List<HostBuffer> inputs) {
        if (inputs.size() != graph.inputs().size()) {
            throw new IllegalArgumentException("program takes " + graph.inputs().size() + " inputs, got " + inputs.size());
        }
        Object[] buffers = new Object[graph.buffers().size()];
        for (int i = 0; i < inputs.size(); i++) {
            KernelGraph.BufferInfo b = graph.buffer(graph.inputs().get(i));
            HostBuffer in = inputs.get(i);
            if (in.dtype() != b.dtype() || in.length() != b.shape().numel()) {
                throw new IllegalArgumentException("input " + i + " is " + in.dtype().torchName() + "[" + in.length() + "], the program expects "
                        + b.dtype().torchName() + b.shape());
            }
            buffers[b.id()] = in.array();
        }
        for (KernelGraph.BufferInfo b : graph.buffers()) {
            if (b.slot() >= 0) buffers[b.id()] = slotArrays[b.slot()];
            else if (b.role() == KernelGraph.Role.OUTPUT) buffers[b.id()] = HostBuffer.allocate(b.dtype(), b.shape().numel()).array();
        }
        runSteps(buffers);
        List<HostBuffer> out = new ArrayList<>();
        for (int id : graph.outputs()) out.add(HostBuffer.wrap(graph.buffer(id).dtype(), buffers[id]));
        return out;
    }

    /** A pointwise or reduction kernel, its parallel axis split across threads. */
    static Step loop(LoopKernel kernel, int extent, long work) {
        return buffers -> {
            if (Threads.serial(extent, work)) kernel.run(buffers, 0, extent);
            else Threads.forRange(extent, work, (lo, hi) -> kernel.run(buffers, lo, hi));
        };
    }

    /** A contraction: operands read in place when they are strided views of a buffer, else packed by generated code. */
    static Step contraction(Kernel.Contraction c, ContractionKernel generated, KernelGraph graph) {
        DType t = c.a().dtype();
        Operand a = Operand.direct(c.a(), Kernel.Contraction.M, Kernel.Contraction.K, Kernel.Contraction.N);
        Operand b = Operand.direct(c.b(), Kernel.Contraction.K, Kernel.Contraction.N, Kernel.Contraction.M);
        Ix rowMajor = Ix.var(Kernel.Contraction.B, c.batch()).times((long) c.m() * c.n())
                .plus(Ix.var(Kernel.Contraction.M, c.m()).times(c.n())).plus(Ix.var(Kernel.Contraction.N, c.n()));
        boolean inPlace = c.outIndex().equals(rowMajor) && graph.buffer(c.output()).dtype() == t;
        boolean plainStore = inPlace && c.epilogue() instanceof Expr.Acc;
        int rows = generated.panelRows(), cols = generated.panelCols();      // 0: the packers write row-major
        Object packA = a == null ? HostBuffer.allocate(t, padded(c.m(), rows) * c.k()).array() : null;
        Object packB = b == null ? HostBuffer.allocate(t, padded(c.n(), cols) * c.k()).array() : null;
        boolean aPanels = a == null && rows > 0, bPanels = b == null && cols > 0;
        Object temp = inPlace ? null : HostBuffer.allocate(t, c.m() * c.n()).array();
        long work = (long) c.m() * c.n();
        return buffers -> {
            for (int batch = 0; batch < c.batch(); batch++) {
                Object aArr, bArr;
                int aOff, ars, acs, bOff, brs, bcs;
                if (a != null) { aArr = buffers[a.buffer]; aOff = a.offset(batch); ars = a.rowStride; acs = a.colStride; }
                else { generated.packA(buffers, batch, packA); aArr = packA; aOff = 0; ars = c.k(); acs = 1; }
                if (b != null) { bArr = buffers[b.buffer]; bOff = b.offset(batch); brs = b.rowStride; bcs = b.colStride; }
                else { generated.packB(buffers, batch, packB); bArr = packB; bOff = 0; brs = c.n(); bcs = 1; }
                Object cArr = inPlace ? buffers[c.output()] : temp;
                int cOff = inPlace ? batch * c.m() * c.n() : 0;
                if (aPanels || bPanels) {
                    Gemm.best().sgemmPanels(c.m(), c.n(), c.k(), (float[]) aArr, aOff, ars, acs, aPanels, (float[]) bArr, bOff, brs, bcs, bPanels,
                            (float[]) cArr, cOff, c.n(), false, Threads.parallelism());
                } else {
                    multiply(t, c.m(), c.n(), c.k(), aArr, aOff, ars, acs, bArr, bOff, brs, bcs, cArr, cOff);
                }
                if (plainStore) continue;
                if (Threads.serial(c.m(), work)) {
                    generated.epilogue(buffers, batch, cArr, cOff, 0, c.m());
                } else {
                    int bt = batch;
                    Threads.forRange(c.m(), work, (lo, hi) -> generated.epilogue(buffers, bt, cArr, cOff, lo, hi));
                }
            }
        };
    }

    /** {@code size} rounded up to whole panels of {@code width} (unchanged when 0: row-major). */
    private static int padded(int size, int width) {
        return width == 0 ? size : (size + width - 1) / width * width;
    }

    private static void multiply(DType t, int m, int n, int k, Object a, int aOff, int ars, int acs, Object b, int bOff, int brs, int bcs, Object c, int cOff) {
        switch (t) {
            case F32 -> Gemm.best().sgemm(m, n, k, (float[]) a, aOff, ars, acs, (float[]) b, bOff, brs, bcs, (float[]) c, cOff, n, false, Threads.parallelism());
            case F64 -> SmallGemm.dgemm(m, n, k, (double[]) a, aOff, ars, acs, (double[]) b, bOff, brs, bcs, (double[]) c, cOff, n);
            case I64 -> SmallGemm.lgemm(m, n, k, (long[]) a, aOff, ars, acs, (long[]) b, bOff, brs, bcs, (long[]) c, cOff, n);
            case I32 -> SmallGemm.igemm(m, n, k, (int[]) a, aOff, ars, acs, (int[]) b, bOff, brs, bcs, (int[]) c, cOff, n);
            case BOOL -> throw new IllegalArgumentException("matmul/conv2d of bool tensors is not supported; convert to a number type first");
        }
    }

    /** An operand that is a plain strided read of one buffer: element (row, col) at offset(batch) + row·rowStride + col·colStride. */
    static final class Operand {
        final int buffer, rowStride, colStride;
        private final Ix index;
        private final long base;
        private final Long batchStride;
        private final long[] vars = new long[4];

        private Operand(int buffer, Ix index, int rowStride, int colStride) {
            this.buffer = buffer;
            this.index = index;
            this.rowStride = rowStride;
            this.colStride = colStride;
            this.base = index.evaluate(new long[4]);
            this.batchStride = index.linearCoefficient(Kernel.Contraction.B);
        }

        static Operand direct(Expr e, int rowVar, int colVar, int otherVar) {
            if (!(e instanceof Expr.Load l) || l.index().mentions(otherVar)) return null;
            Long rs = l.index().linearCoefficient(rowVar), cs = l.index().linearCoefficient(colVar);
            if (rs == null || cs == null) return null;
            return new Operand(l.buffer(), l.index(), (int) (long) rs, (int) (long) cs);
        }

        /** The offset of the batch's matrix (no allocation: programs run one at a time). */
        int offset(int batch) {
            if (batchStride != null) return (int) (base + batchStride * batch);
            vars[Kernel.Contraction.B] = batch;
            return (int) index.evaluate(vars);
        }
    }
}
