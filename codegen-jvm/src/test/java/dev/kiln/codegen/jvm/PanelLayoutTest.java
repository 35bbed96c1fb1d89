package dev.kiln.codegen.jvm;

import dev.kiln.codegen.jvm.gemm.Gemm;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Scheduler;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Contraction operands that generated code packs straight into the GEMM core's panel layout. */
class PanelLayoutTest {

    /** tanh(a)·tanh(b) with a [3 × 200], b [200 × 20]: both operands packed by generated code, A one panel tall. */
    private static Scheduler.Schedule schedule() {
        Node a = Node.leaf(Op.Role.INPUT, "a", Shape.of(3, 200), DType.F32), b = Node.leaf(Op.Role.INPUT, "b", Shape.of(200, 20), DType.F32);
        Node mm = Ops.matmul(Ops.unary(Op.UnaryFn.TANH, a), Ops.unary(Op.UnaryFn.TANH, b));
        return Scheduler.schedule(List.of(mm), n -> false);
    }

    private static List<HostBuffer> inputs(Scheduler.Schedule s) {
        Random r = new Random(3);
        List<HostBuffer> in = new ArrayList<>();
        for (Node n : s.inputs()) {
            double[] v = new double[n.shape().numel()];
            for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
            in.add(HostBuffer.of(DType.F32, v));
        }
        return in;
    }

    private static int contraction(KernelGraph g) {
        for (int i = 0; i < g.kernels().size(); i++) if (g.kernels().get(i) instanceof Kernel.Contraction) return i;
        throw new AssertionError("no contraction in\n" + dev.kiln.ir.kernel.Kernels.format(g));
    }

    @Test
    void panelPackedOperandsGiveTheSameBitsAsTheReference() {
        Scheduler.Schedule s = schedule();
        KernelGraph g = s.graph();
        Kernel.Contraction c = (Kernel.Contraction) g.kernels().get(contraction(g));
        assertEquals(Gemm.best().panelRows(), KernelCompiler.panelRows(c, Gemm.best()), "A (3 rows) should be one panel");
        float[] out = (float[]) new JvmBackend().compile(g).run(inputs(s)).get(0).array();
        // reference: the same product in double, from the same float32 inputs
        List<HostBuffer> in = inputs(s);
        float[] a = (float[]) in.get(0).array(), b = (float[]) in.get(1).array();
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 20; j++) {
                double sum = 0;
                for (int p = 0; p < 200; p++) sum += (double) (float) Math.tanh(a[i * 200 + p]) * (float) Math.tanh(b[p * 20 + j]);
                assertEquals(sum, out[i * 20 + j], 1e-4 * (1 + Math.abs(sum)), "C[" + i + "][" + j + "]");
            }
        }
    }

    @Test
    void classesSavedForAnotherGemmAreGeneratedAgainOnLoad() {
        Gemm other = Gemm.scalar();
        assertNotEquals(Gemm.best().panelRows(), other.panelRows(), "needs the vector GEMM (tests run with the Vector API)");
        Scheduler.Schedule s = schedule();
        KernelGraph g = s.graph();
        int ci = contraction(g);
        List<byte[]> foreign = new ArrayList<>();
        for (int i = 0; i < g.kernels().size(); i++) foreign.add(KernelCompiler.generate(g.kernels().get(i), g, "K" + i, other));
        ContractionKernel saved = (ContractionKernel) KernelCompiler.instantiate(foreign.get(ci));
        assertEquals(other.panelRows(), saved.panelRows());

        Program loaded = new JvmBackend().load(g, foreign);
        Program fresh = new JvmBackend().compile(g);
        assertTrue(Arrays.equals(fresh.code().get(ci), loaded.code().get(ci)), "the contraction's class is generated again for this GEMM");
        assertArrayEquals((float[]) fresh.run(inputs(s)).get(0).array(), (float[]) loaded.run(inputs(s)).get(0).array());
    }
}
