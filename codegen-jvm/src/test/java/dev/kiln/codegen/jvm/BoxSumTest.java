package dev.kiln.codegen.jvm;

import dev.kiln.codegen.jvm.gemm.Gemm;
import dev.kiln.ir.Autodiff;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Kernels;
import dev.kiln.ir.kernel.Scheduler;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sums of padded terms computed term by term over boxes ({@link BoxSum}): a convolution's input-gradient fold. */
class BoxSumTest {
    /** A convolution: input [n, c, h, w], weights [o, c, kh, kw], dilation, padding, stride (each for both axes). */
    private record Conv(int n, int c, int h, int w, int o, int kh, int kw, int dilation, int pad, int stride) {
        Node inputGradient() {
            Node x = Node.leaf(Op.Role.INPUT, "x", Shape.of(n, c, h, w), DType.F32);
            Node wt = Node.leaf(Op.Role.INPUT, "w", Shape.of(o, c, kh, kw), DType.F32);
            Node y = Ops.conv2d(x, wt, dilation, dilation, pad, pad, stride, stride);
            Node dy = Node.leaf(Op.Role.INPUT, "dy", y.shape(), DType.F32);
            return Autodiff.gradients(List.of(y), List.of(dy), List.of(x)).get(0);
        }
    }

    private static final List<Conv> STRIDE_ONE = List.of(
            new Conv(64, 6, 14, 14, 16, 5, 5, 1, 0, 1),        // LeNet's second convolution, batch 64: rows in registers
            new Conv(64, 3, 14, 14, 16, 5, 5, 1, 0, 1),        // planes in a pair, then one alone
            new Conv(64, 6, 14, 14, 16, 5, 5, 1, 2, 1),        // padded: boxes of different widths
            new Conv(64, 8, 8, 8, 4, 3, 3, 1, 0, 1),           // rows of one vector
            new Conv(64, 2, 16, 16, 4, 3, 3, 1, 0, 1),         // rows of two vectors, no overlap
            new Conv(32, 2, 16, 17, 3, 3, 4, 1, 0, 1),         // rows of 17: vectors at 0, 8 and 9
            new Conv(16, 1, 32, 32, 6, 5, 5, 1, 0, 1),         // rows of 32: four vectors, the most
            new Conv(4, 6, 14, 14, 16, 5, 5, 1, 0, 1),         // too small for vectors
            new Conv(2, 3, 12, 12, 4, 3, 3, 1, 1, 1),          // padded
            new Conv(2, 2, 16, 17, 3, 3, 4, 1, 1, 1),          // non-square kernel, odd width
            new Conv(3, 1, 32, 32, 6, 5, 5, 1, 2, 1),          // one input channel, padded
            new Conv(64, 6, 7, 7, 16, 3, 3, 1, 0, 1));         // rows of 7, narrower than a vector: term by term

    /** The kernel writing {@code graph}'s output. */
    private static Kernel.Pointwise fold(KernelGraph graph) {
        for (Kernel k : graph.kernels()) {
            if (k.outputs().contains(graph.outputs().get(0)) && k instanceof Kernel.Pointwise p) return p;
        }
        throw new AssertionError("the output is not written by a pointwise kernel:\n" + Kernels.format(graph));
    }

    @Test
    void aStrideOneFoldIsABoxSumAndMatchesTheInterpreter() {
        for (Conv conv : STRIDE_ONE) {
            Node dx = conv.inputGradient();
            Scheduler.Schedule s = Scheduler.schedule(List.of(dx), n -> false);
            Kernel.Pointwise fold = fold(s.graph());
            assertNotNull(BoxSum.of(fold, KernelCompiler.parallelAxis(fold.shape(), List.of()), s.graph()),
                    conv + " should fold term by term:\n" + Kernels.format(s.graph()));
            IndexedOperandTest.assertMatchesInterpreter(s, dx, 7, 10);
        }
    }

    @Test
    void stridedAndDilatedFoldsMatchTheInterpreterWhicheverWayTheyRun() {
        for (Conv conv : List.of(new Conv(2, 3, 13, 13, 4, 3, 3, 1, 1, 2), new Conv(2, 2, 16, 17, 3, 3, 3, 2, 2, 1))) {
            Node dx = conv.inputGradient();
            IndexedOperandTest.assertMatchesInterpreter(Scheduler.schedule(List.of(dx), n -> false), dx, 8, 10);
        }
    }

    @Test
    void boxesAddWhatTheGatheredSumAddsInTheSameOrder() {
        for (Conv conv : STRIDE_ONE) {
            KernelGraph g = Scheduler.schedule(List.of(conv.inputGradient()), n -> false).graph();
            Kernel.Pointwise fold = fold(g);
            int extent = KernelCompiler.parallelExtent(fold);
            for (boolean vectors : new boolean[] {false, VectorLoop.ENABLED}) {
                byte[] boxes = KernelCompiler.generate(fold, g, "B", Gemm.best(), vectors, true);
                byte[] gathered = KernelCompiler.generate(fold, g, "G", Gemm.best(), vectors, false);
                verifies(boxes);
                Object[] bIn = randomBuffers(g, new Random(conv.hashCode())), gIn = copy(bIn);
                LoopKernel b = (LoopKernel) KernelCompiler.instantiate(boxes);
                b.run(bIn, 0, extent / 2);                                  // two thread ranges
                b.run(bIn, extent / 2, extent);
                ((LoopKernel) KernelCompiler.instantiate(gathered)).run(gIn, 0, extent);
                float[] x = (float[]) bIn[g.outputs().get(0)], z = (float[]) gIn[g.outputs().get(0)];
                if (vectors && fold.shape().numel() >= VectorLoop.MIN_ELEMENTS) {
                    // unpadded rows at least a vector wide are summed in registers (RowsInVectors); narrower ones box
                    // by box, in scalar code when the boxes are narrower than a vector too
                    boolean wide = conv.w() >= VectorLoop.LANES;
                    if (conv.pad() == 0) assertEquals(wide, VectorCodeText.uses(boxes, "loadLanes"), conv + ": rows in registers");
                    assertEquals(wide, VectorCodeText.usesVectors(boxes), conv + ": in vectors");
                }
                for (int i = 0; i < x.length; i++) assertSameBits(z[i], x[i], conv + (vectors ? " in vectors" : "") + ", element " + i);
            }
        }
    }

    @Test
    void rowsInRegistersGiveTheBoxFormsBitsWithZerosOfBothSignsNanAndInfinity() {
        // the rows form (vectors) against the box form (scalar), bit for bit: cleared lanes add +0.0 and never pass on
        // a NaN or an infinity loaded there
        for (Conv conv : STRIDE_ONE) {
            if (conv.pad() != 0 || conv.w() < VectorLoop.LANES || !VectorLoop.ENABLED) continue;
            KernelGraph g = Scheduler.schedule(List.of(conv.inputGradient()), n -> false).graph();
            Kernel.Pointwise fold = fold(g);
            if (fold.shape().numel() < VectorLoop.MIN_ELEMENTS) continue;
            Object[] rIn = randomBuffers(g, new Random(conv.hashCode() + 1)), bIn;
            Random rnd = new Random(3);
            for (Object x : rIn) {
                float[] v = (float[]) x;
                for (int i = 0; i < v.length; i++) {
                    int pick = rnd.nextInt(40);
                    if (pick < 4) v[i] = new float[] {0f, -0f, Float.NaN, Float.NEGATIVE_INFINITY}[pick];
                }
            }
            bIn = copy(rIn);
            int extent = KernelCompiler.parallelExtent(fold);
            byte[] rows = KernelCompiler.generate(fold, g, "R", Gemm.best(), true, true);
            assertTrue(VectorCodeText.uses(rows, "loadLanes"), conv + ": rows in registers");
            ((LoopKernel) KernelCompiler.instantiate(rows)).run(rIn, 0, extent);
            ((LoopKernel) KernelCompiler.instantiate(KernelCompiler.generate(fold, g, "B", Gemm.best(), false, true))).run(bIn, 0, extent);
            float[] x = (float[]) rIn[g.outputs().get(0)], z = (float[]) bIn[g.outputs().get(0)];
            for (int i = 0; i < x.length; i++) assertEquals(Float.floatToIntBits(z[i]), Float.floatToIntBits(x[i]), conv + ", element " + i);
        }
    }

    @Test
    void rowsOfNeighbouringPlanesAreSummedSideBySideWithTheOddPlaneAlone() {
        // loadLanes per term: one per vector of a row, for each plane summed together; a group loop over pairs of
        // planes, then the odd plane alone; no pairs where the plane axis is the parallel one (one image)
        record Case(Conv conv, int loads) {}
        for (Case c : List.of(new Case(new Conv(64, 6, 14, 14, 16, 5, 5, 1, 0, 1), 2 * RowsInVectors.PLANES),
                new Case(new Conv(64, 3, 14, 14, 16, 5, 5, 1, 0, 1), 2 * RowsInVectors.PLANES + 2),
                new Case(new Conv(128, 1, 14, 14, 16, 5, 5, 1, 0, 1), 2),
                new Case(new Conv(1, 8, 160, 14, 16, 5, 5, 1, 0, 1), 2))) {
            if (!VectorLoop.ENABLED) return;
            KernelGraph g = Scheduler.schedule(List.of(c.conv().inputGradient()), n -> false).graph();
            Kernel.Pointwise fold = fold(g);
            byte[] code = KernelCompiler.generate(fold, g, "R", Gemm.best(), true, true);
            verifies(code);
            assertEquals(c.loads(), VectorCodeText.count(code, "loadLanes"), c.conv() + ":\n" + Kernels.format(g));
            Node dx = c.conv().inputGradient();
            IndexedOperandTest.assertMatchesInterpreter(Scheduler.schedule(List.of(dx), n -> false), dx, 11, 10);
        }
    }

    @Test
    void rowsWhoseWholeRowLoadsWouldLeaveTheBufferAreAddedBoxByBox() {
        // one buffer shifted into 5 terms: a term's whole 16-wide row reads up to 4 elements before its box, which for
        // the first rows is before the buffer's start
        Node a = Node.leaf(Op.Role.INPUT, "a", Shape.of(16, 8, 12, 12), DType.F32);
        Node sum = null;
        for (int t = 0; t < 5; t++) {
            Node p = Ops.pad(a, List.of(0, 0, t, 4 - t), List.of(0, 0, 4 - t, t), 0);
            sum = sum == null ? p : Ops.add(sum, p);
        }
        Scheduler.Schedule s = Scheduler.schedule(List.of(sum), n -> false);
        Kernel.Pointwise k = fold(s.graph());
        assertNotNull(BoxSum.of(k, KernelCompiler.parallelAxis(k.shape(), List.of()), s.graph()), Kernels.format(s.graph()));
        byte[] code = KernelCompiler.generate(k, s.graph(), "B", Gemm.best(), VectorLoop.ENABLED, true);
        assertFalse(VectorCodeText.uses(code, "loadLanes"), "box by box");
        IndexedOperandTest.assertMatchesInterpreter(s, sum, 9, 1);
    }

    @Test
    void termsOfDifferentBuffersAreAddedOneByOneInTheSameOrder() {
        Shape plane = Shape.of(8, 3, 10, 12);
        Node sum = null;
        for (int t = 0; t < 5; t++) {
            Node a = Node.leaf(Op.Role.INPUT, "a" + t, plane, DType.F32);
            Node p = Ops.pad(Ops.mul(a, a), List.of(0, 0, t, 4 - t), List.of(0, 0, 4 - t, t), 0);
            sum = sum == null ? p : Ops.add(sum, p);
        }
        Scheduler.Schedule s = Scheduler.schedule(List.of(sum), n -> false);
        KernelGraph g = s.graph();
        Kernel.Pointwise k = fold(g);
        assertNotNull(BoxSum.of(k, KernelCompiler.parallelAxis(k.shape(), List.of()), g), Kernels.format(g));
        IndexedOperandTest.assertMatchesInterpreter(s, sum, 9, 1);
        byte[] boxes = KernelCompiler.generate(k, g, "B", Gemm.best(), true, true);
        verifies(boxes);
        Object[] bIn = randomBuffers(g, new Random(9)), gIn = copy(bIn);
        int extent = KernelCompiler.parallelExtent(k);
        ((LoopKernel) KernelCompiler.instantiate(boxes)).run(bIn, 0, extent);
        ((LoopKernel) KernelCompiler.instantiate(KernelCompiler.generate(k, g, "G", Gemm.best(), true, false))).run(gIn, 0, extent);
        float[] x = (float[]) bIn[g.outputs().get(0)], z = (float[]) gIn[g.outputs().get(0)];
        for (int i = 0; i < x.length; i++) assertSameBits(z[i], x[i], "element " + i);
    }

    @Test
    void shortSumsNonZeroFillsAndBoundsOnTheParallelAxisStayGathered() {
        Shape plane = Shape.of(8, 6, 10, 10);
        Node a = Node.leaf(Op.Role.INPUT, "a", plane, DType.F32);
        Node three = null, filled = null;
        for (int t = 0; t < 3; t++) {
            Node p = Ops.pad(a, List.of(0, 0, t, t), List.of(0, 0, 2 - t, 2 - t), 0);
            three = three == null ? p : Ops.add(three, p);
        }
        for (int t = 0; t < 5; t++) {
            Node p = Ops.pad(a, List.of(0, 0, t, t), List.of(0, 0, 4 - t, 4 - t), 1);
            filled = filled == null ? p : Ops.add(filled, p);
        }
        Node leading = null;                                              // padded along the first (parallel) axis
        for (int t = 0; t < 5; t++) {
            Node p = Ops.pad(a, List.of(t, 0, 0, 0), List.of(4 - t, 0, 0, 0), 0);
            leading = leading == null ? p : Ops.add(leading, p);
        }
        for (Node sum : List.of(three, filled, leading)) {
            KernelGraph g = Scheduler.schedule(List.of(sum), n -> false).graph();
            Kernel.Pointwise k = fold(g);
            assertNull(BoxSum.of(k, KernelCompiler.parallelAxis(k.shape(), List.of()), g), Kernels.format(g));
        }
    }

    /** The same bits, but for the sign of a zero (see {@link BoxSum}: the chain's −0.0 is +0.0 there). */
    private static void assertSameBits(float gathered, float boxed, String where) {
        if (gathered == 0 && boxed == 0) return;
        assertEquals(Float.floatToIntBits(gathered), Float.floatToIntBits(boxed), where + ": " + boxed + " vs " + gathered);
    }

    private static Object[] randomBuffers(KernelGraph g, Random rnd) {
        Object[] buffers = new Object[g.buffers().size()];
        for (KernelGraph.BufferInfo info : g.buffers()) {
            float[] x = new float[info.shape().numel()];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            buffers[info.id()] = x;
        }
        return buffers;
    }

    private static Object[] copy(Object[] buffers) {
        Object[] c = new Object[buffers.length];
        for (int i = 0; i < c.length; i++) c[i] = ((float[]) buffers[i]).clone();
        return c;
    }

    private static void verifies(byte[] bytes) {
        StringWriter problems = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(bytes), BoxSumTest.class.getClassLoader(), false, new PrintWriter(problems));
        assertEquals("", problems.toString());
    }
}
