package dev.kiln.codegen.jvm;

import dev.kiln.codegen.jvm.gemm.Gemm;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Ix;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Kernels;
import dev.kiln.ir.kernel.Scheduler;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Pointwise loops in vector lanes ({@link VectorLoop}) give exactly the scalar loop's bits, special values included,
 * whatever the extents (vector loop plus scalar tail) and however the parallel axis is split; kernels it can't
 * compute exactly stay scalar.
 */
class VectorLoopTest {
    private static final float[] SPECIAL = {Float.NaN, 0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, 1f, -1f};

    private static Node input(String name, Shape shape) { return Node.leaf(Op.Role.INPUT, name, shape, DType.F32); }

    /** Three related values over {@code shape}: one kernel with three stores, using every operation the vectors have. */
    private static List<Node> everyVectorOp(Shape shape, Node a, Node b, Node c, Node s, Node row) {
        Node y1 = Ops.where(Ops.lt(a, b), Ops.div(Ops.unary(Op.UnaryFn.SQRT, Ops.unary(Op.UnaryFn.ABS, a)), Ops.sub(b, c)),
                Ops.max(Ops.unary(Op.UnaryFn.RELU, Ops.neg(a)), Ops.min(b, c)));
        Node y2 = Ops.add(Ops.mul(Ops.cast(Ops.eq(a, b), DType.F32), Ops.unary(Op.UnaryFn.RECIPROCAL, c)),
                Ops.mul(y1, Ops.broadcastTo(s, shape)));
        Node y3 = Ops.sub(Ops.mul(a, Ops.broadcastTo(row, shape)), Ops.div(y1, y2));
        return List.of(y1, y2, y3);
    }

    @Test
    void vectorLanesGiveTheScalarLoopsBits() {
        assumeTrue(VectorLoop.ENABLED, "jdk.incubator.vector with 8-lane float hardware is needed for vector loops");
        // rows of 14 and 10 end with a vector step that overlaps the one before (emit: redoable)
        for (Shape shape : List.of(Shape.of(3, 6007), Shape.of(20011), Shape.of(130, 129), Shape.of(2, 3, 2731), Shape.of(1200, 14), Shape.of(1700, 10))) {
            assertFalse(VectorCodeText.uses(assertVectorLanesGiveTheScalarBits(shape), "stepsDown"), shape + " is too small to run downwards");
        }
    }

    @Test
    void largeKernelsRunFromTheTopDownWithTheScalarLoopsBits() {
        assumeTrue(VectorLoop.ENABLED, "jdk.incubator.vector with 8-lane float hardware is needed for vector loops");
        // ≥ 2^20 elements (VectorLoop.DOWN_ELEMENTS): 13 and 5 indices left at the bottom of the rows (a vector step
        // over indices already done), and thread ranges one of which is shorter than a step (one by one)
        for (Shape shape : List.of(Shape.of((1 << 20) + 13), Shape.of(1031, 1021), Shape.of(3, 349529))) {
            assertTrue(VectorCodeText.uses(assertVectorLanesGiveTheScalarBits(shape), "stepsDown"), shape + " should run downwards");
        }
    }

    @Test
    void onlyLargeKernelsThatStreamAnInputRunDownwards() {
        Shape big = Shape.of(1024, 1024);
        Node x = input("x", big), w = input("w", big), b = input("b", big);
        // eltwise_chain_4m's kernel, at 2^20 and 2^18 elements
        assertTrue(streamsDown(Ops.sub(Ops.mul(Ops.unary(Op.UnaryFn.RELU, Ops.add(Ops.mul(x, w), b)), Ops.scalar(0.5, DType.F32)), x)));
        Node small = input("s", Shape.of(512, 512));
        assertFalse(streamsDown(Ops.mul(small, small)), "fits the L2");
        // every load constant along the loop: a loop that only stores was slower downwards
        assertFalse(streamsDown(Ops.mul(Ops.broadcastTo(input("col", Shape.of(1024, 1)), big), Ops.scalar(2, DType.F32))));
        // a value repeated along the loop: its vector steps must start at multiples of 2
        Node half = input("h", Shape.of(1024, 512));
        Node up = Ops.reshape(Ops.expand(Ops.reshape(half, Shape.of(1024, 512, 1)), Shape.of(1024, 512, 2)), big);
        assertFalse(streamsDown(Ops.add(up, x)));
    }

    /** Whether the one pointwise kernel computing {@code y} runs from the top down. */
    private static boolean streamsDown(Node y) {
        KernelGraph g = Scheduler.schedule(List.of(y), n -> false).graph();
        assertEquals(1, g.kernels().size(), Kernels.format(g));
        Kernel.Pointwise k = (Kernel.Pointwise) g.kernels().get(0);
        int inner = k.shape().rank() - 1;
        return VectorLoop.streamsDown(k.stores(), inner, k.shape().numel());
    }

    /**
     * {@link #everyVectorOp}'s kernel over {@code shape}, generated with vectors (which it must use) and without, run on
     * the same inputs (the vector one in uneven thread ranges): the same bits in every output. Returns the vector code.
     */
    private static byte[] assertVectorLanesGiveTheScalarBits(Shape shape) {
        Node a = input("a", shape), b = input("b", shape), c = input("c", shape), s = input("s", Shape.scalar());
        int[] rowDims = shape.dims();
        rowDims[rowDims.length - 1] = 1;
        Node row = input("row", Shape.of(rowDims));              // constant along the innermost loop
        KernelGraph g = Scheduler.schedule(everyVectorOp(shape, a, b, c, s, row), n -> false).graph();
        assertEquals(1, g.kernels().size(), Kernels.format(g));
        Kernel.Pointwise k = (Kernel.Pointwise) g.kernels().get(0);
        assertEquals(3, k.stores().size(), Kernels.format(g));

        byte[] vector = KernelCompiler.generate(k, g, "V", Gemm.best(), true);
        byte[] scalar = KernelCompiler.generate(k, g, "S", Gemm.best(), false);
        assertTrue(usesVectors(vector), "the kernel over " + shape + " should run in vectors");
        assertFalse(usesVectors(scalar));
        verifies(vector);

        Random rnd = new Random(shape.numel());
        Object[] vIn = inputs(g, rnd), sIn = copy(vIn);
        int extent = KernelCompiler.parallelExtent(k);
        // uneven thread ranges, one of them shorter than a vector step
        int[] cuts = java.util.stream.IntStream.of(0, Math.min(extent, 5), Math.max(Math.min(extent, 5), extent / 3),
                Math.max(Math.min(extent, 5), Math.min(extent, 2 * extent / 3 + 1)), extent).toArray();
        LoopKernel v = (LoopKernel) KernelCompiler.instantiate(vector), sc = (LoopKernel) KernelCompiler.instantiate(scalar);
        for (int i = 0; i + 1 < cuts.length; i++) v.run(vIn, cuts[i], cuts[i + 1]);
        sc.run(sIn, 0, extent);
        for (int out : g.outputs()) {
            float[] x = (float[]) vIn[out], y = (float[]) sIn[out];
            for (int i = 0; i < x.length; i++) {
                if (Float.floatToIntBits(x[i]) != Float.floatToIntBits(y[i])) {
                    throw new AssertionError(shape + " b" + out + "[" + i + "]: vector " + x[i] + ", scalar " + y[i]);
                }
            }
        }
        return vector;
    }

    @Test
    void valuesRepeatedAlongTheLoopGiveTheScalarLoopsBits() {
        assumeTrue(VectorLoop.ENABLED, "jdk.incubator.vector with 8-lane float hardware is needed for vector loops");
        // a 2×2 max-pool's gradient: g[n, c, y/2, x/2] read at every element of [n, c, 2·y, 2·x]; then 4× and 8× repeats
        for (int times : new int[] {2, 4, 8}) {
            Shape shape = Shape.of(16, 6, 28, 14 * times);
            Node a = input("a", shape), b = input("b", shape), g = input("g", Shape.of(16, 6, 14, 14));
            Node up = Ops.reshape(Ops.expand(Ops.reshape(g, Shape.of(16, 6, 14, 1, 14, 1)), Shape.of(16, 6, 14, 2, 14, times)), shape);
            Node y = Ops.where(Ops.lt(Ops.scalar(0, DType.F32), a), Ops.div(Ops.mul(up, b), Ops.add(up, a)), Ops.scalar(0, DType.F32));
            KernelGraph kg = Scheduler.schedule(List.of(y), n -> false).graph();
            Kernel.Pointwise k = (Kernel.Pointwise) kg.kernels().get(kg.kernels().size() - 1);
            byte[] vector = KernelCompiler.generate(k, kg, "V", Gemm.best(), true), scalar = KernelCompiler.generate(k, kg, "S", Gemm.best(), false);
            assertTrue(VectorCodeText.uses(vector, "loadRepeated" + times), Kernels.format(kg));
            verifies(vector);
            Object[] vIn = inputs(kg, new Random(times)), sIn = copy(vIn);
            int extent = KernelCompiler.parallelExtent(k);
            LoopKernel v = (LoopKernel) KernelCompiler.instantiate(vector);
            v.run(vIn, 0, extent / 3);
            v.run(vIn, extent / 3, extent);
            ((LoopKernel) KernelCompiler.instantiate(scalar)).run(sIn, 0, extent);
            float[] x = (float[]) vIn[kg.outputs().get(0)], z = (float[]) sIn[kg.outputs().get(0)];
            for (int i = 0; i < x.length; i++) assertEquals(Float.floatToIntBits(z[i]), Float.floatToIntBits(x[i]), times + "×, element " + i);
        }
    }

    @Test
    void aWindowAxisTooShortForVectorsIsMergedWithTheOneBeforeIt() {
        assumeTrue(VectorLoop.ENABLED, "jdk.incubator.vector with 8-lane float hardware is needed for vector loops");
        // a 2×2 max-pool's gradient mask over [N, C, H/2, 2, W/2, 2]: x == max(window), loops of 2 innermost
        Shape windows = Shape.of(16, 6, 14, 2, 14, 2);
        Node x = input("x", windows), bias = input("bias", Shape.of(1, 6, 1, 1, 1, 1)), max = input("max", Shape.of(16, 6, 14, 1, 14, 1));
        Node act = Ops.unary(Op.UnaryFn.RELU, Ops.add(x, Ops.broadcastTo(bias, windows)));
        Node mask = Ops.cast(Ops.eq(act, Ops.broadcastTo(max, windows)), DType.F32);
        KernelGraph kg = Scheduler.schedule(List.of(mask), n -> false).graph();
        Kernel.Pointwise k = (Kernel.Pointwise) kg.kernels().get(0);
        byte[] vector = KernelCompiler.generate(k, kg, "V", Gemm.best(), true), scalar = KernelCompiler.generate(k, kg, "S", Gemm.best(), false);
        assertTrue(VectorCodeText.uses(vector, "loadRepeated2"), Kernels.format(kg));
        verifies(vector);
        Object[] vIn = inputs(kg, new Random(3)), sIn = copy(vIn);
        float[] xs = (float[]) vIn[kg.inputs().get(0)], maxs = (float[]) vIn[kg.inputs().get(2)];
        for (int i = 0; i < maxs.length; i += 3) xs[(i / 14) * 56 + (i % 14) * 2] = maxs[i];     // some elements hit the max
        sIn = copy(vIn);
        int extent = KernelCompiler.parallelExtent(k);
        LoopKernel v = (LoopKernel) KernelCompiler.instantiate(vector);
        v.run(vIn, 0, 5);
        v.run(vIn, 5, extent);
        ((LoopKernel) KernelCompiler.instantiate(scalar)).run(sIn, 0, extent);
        float[] out = (float[]) vIn[kg.outputs().get(0)], expected = (float[]) sIn[kg.outputs().get(0)];
        for (int i = 0; i < out.length; i++) assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(out[i]), "element " + i);
    }

    @Test
    void maxPoolWindowsInVectorLanesGiveTheScalarBits() {
        assumeTrue(VectorLoop.ENABLED, "jdk.incubator.vector with 8-lane float hardware is needed for vector loops");
        // a 2×2 max pool of relu(x + bias) (rows of 14 or 10 outputs: a vector and one more over outputs already done,
        // at 6 or 2; every second element along the row per window position) and one of 2×1 windows; NaN, ±0 and ties
        // among the inputs; rows of 5, 4 and 7 outputs (shorter than a vector): one step storing its first lanes, the
        // last rows (whose lanes past the row would read past x) one output at a time
        for (int width : new int[] {14, 10, 5, 4, 7}) {
            for (int window : new int[] {2, 1}) {
                int images = width < VectorLoop.LANES ? 32 : 16;                  // enough elements for vectors (MIN_ELEMENTS)
                Shape windows = Shape.of(images, 6, 14, 2, width, window);
                Node x = input("x", windows), bias = input("bias", Shape.of(1, 6, 1, 1, 1, 1));
                Node act = Ops.unary(Op.UnaryFn.RELU, Ops.add(x, Ops.broadcastTo(bias, windows)));
                Node pooled = Ops.mul(Ops.max(act, List.of(3, 5), false), Ops.full(0.5, Shape.of(images, 6, 14, width), DType.F32));
                KernelGraph kg = Scheduler.schedule(List.of(pooled), n -> false).graph();
                assertVectorKernelGivesTheScalarBits(kg, inputs(kg, new Random(window)), 7, window + "×" + window + ", rows of " + width);
                // the last step is clamped (KernelEmitter.clampedLoop), not a scalar tail; a short row is a masked step
                byte[] code = KernelCompiler.generate(kg.kernels().get(0), kg, "V", Gemm.best(), true);
                if (width >= VectorLoop.LANES) assertTrue(new String(code, StandardCharsets.ISO_8859_1).contains("java/lang/Math"), "rows of " + width + ": a clamped last step");
                else assertTrue(VectorCodeText.uses(code, "storeFirst"), "rows of " + width + ": one step storing its first lanes");
            }
        }
        // rows of 12 scaled by a value repeated 4 times along the row: the clamped last step starts at 4, a multiple of
        // the repeat (where it would not be, the outputs left over run one by one: windowRowsEndIn… below)
        Shape windows = Shape.of(16, 6, 14, 2, 12, 2);
        Node x = input("x", windows);
        Node scale = Ops.reshape(Ops.broadcastTo(input("s", Shape.of(16, 6, 14, 3, 1)), Shape.of(16, 6, 14, 3, 4)), Shape.of(16, 6, 14, 12));
        Node scaled = Ops.mul(Ops.max(x, List.of(3, 5), false), scale);
        KernelGraph kg = Scheduler.schedule(List.of(scaled), n -> false).graph();
        assertVectorKernelGivesTheScalarBits(kg, inputs(kg, new Random(4)), 7, "rows of 12 scaled by a value repeated 4 times");
        // short rows whose epilogue reads along the row: rows of 6 times a tensor of the output's shape (a plain load
        // of 8 floats), rows of 4 times a value repeated twice (4 floats). x is cropped from a larger input, so only the
        // epilogue's loads would leave their buffers at the last rows
        Node byTensor = Ops.mul(Ops.max(cropped(6), List.of(3, 5), false), input("t", Shape.of(32, 6, 14, 6)));
        Node twice = Ops.reshape(Ops.broadcastTo(input("s", Shape.of(32, 6, 14, 2, 1)), Shape.of(32, 6, 14, 2, 2)), Shape.of(32, 6, 14, 4));
        Node byRepeated = Ops.mul(Ops.max(cropped(4), List.of(3, 5), false), twice);
        for (Node pooled : List.of(byTensor, byRepeated)) {
            KernelGraph g = Scheduler.schedule(List.of(pooled), n -> false).graph();
            assertVectorKernelGivesTheScalarBits(g, inputs(g, new Random(6)), 7, "short rows with an epilogue load: " + Kernels.format(g));
            assertTrue(VectorCodeText.uses(KernelCompiler.generate(g.kernels().get(0), g, "V", Gemm.best(), true), "storeFirst"),
                    Kernels.format(g));
        }
    }

    /** [32, 6, 14, 2, width, 2] windows cropped from a [32, 6, 15, 2, width, 2] input. */
    private static Node cropped(int width) {
        Node x = input("x", Shape.of(32, 6, 15, 2, width, 2));
        return Ops.slice(x, List.of(0, 0, 0, 0, 0, 0), List.of(32, 6, 14, 2, width, 2), List.of(1, 1, 1, 1, 1, 1));
    }

    @Test
    void windowRowsEndInAVectorStepOverOutputsAlreadyDoneOnlyWhereThatGivesTheSameBits() {
        // rows of 14 or 10 pooled outputs: one more step at 6 or 2 instead of a scalar tail (the bits of those outputs
        // are checked against the scalar kernel by the two tests around this one)
        Ix i0 = Ix.var(0, 16), i1 = Ix.var(1, 14), i2 = Ix.var(2, 2);
        Expr body = new Expr.Load(0, i0.times(28).plus(i1.times(2)).plus(i2), DType.F32);
        Expr acc = new Expr.Acc(DType.F32);
        for (int extent : new int[] {14, 10, 8, 16}) {
            Kernel.Reduction max = new Kernel.Reduction(1, Shape.of(16, extent, 2), List.of(2), Op.ReduceFn.MAX, body, acc, i0.times(extent).plus(i1));
            assertTrue(VectorLoop.redoesWindows(max, 1, extent), "rows of " + extent);
        }
        // a value repeated 4 times along the row: a last step at 14 − 8 = 6 would start inside a repeat
        Expr repeated = new Expr.Binary(Op.BinaryFn.MUL, acc, new Expr.Load(2, i0.times(4).plus(i1.div(4)), DType.F32), DType.F32);
        Kernel.Reduction scaled = new Kernel.Reduction(1, Shape.of(16, 14, 2), List.of(2), Op.ReduceFn.MAX, body, repeated, i0.times(14).plus(i1));
        assertFalse(VectorLoop.redoesWindows(scaled, 1, 14));
        assertTrue(VectorLoop.redoesWindows(new Kernel.Reduction(1, Shape.of(16, 12, 2), List.of(2), Op.ReduceFn.MAX, body, repeated,
                i0.times(12).plus(i1)), 1, 12), "rows of 12: the last step starts at 4");
        // a body reading the output (in place): doing an output twice would read the first result
        Expr inPlace = new Expr.Load(1, i0.times(14).plus(i1), DType.F32);
        assertFalse(VectorLoop.redoesWindows(new Kernel.Reduction(1, Shape.of(16, 14, 2), List.of(2), Op.ReduceFn.MAX,
                new Expr.Binary(Op.BinaryFn.ADD, body, inPlace, DType.F32), acc, i0.times(14).plus(i1)), 1, 14));
    }

    @Test
    void vectorCodeCallsOnlyTheVectorApi() {
        assumeTrue(VectorLoop.WIDE, "512-bit vectors are needed for float64 lanes");
        // a 2×2 max-pool gradient's window counts with the mask recomputed, sum(float(relu(x + bias) == pooled)): 4 window
        // elements × 8 operations, which through helper methods of our own crossed the JIT's inlining budget (VectorCode)
        Shape windows = Shape.of(16, 6, 14, 2, 14, 2), pooledShape = Shape.of(16, 6, 14, 1, 14, 1);
        Node x = input("x", windows), bias = input("bias", Shape.of(1, 6, 1, 1, 1, 1)), pooled = input("pooled", pooledShape);
        Node act = Ops.unary(Op.UnaryFn.RELU, Ops.add(x, Ops.broadcastTo(bias, windows)));
        Node mask = Ops.cast(Ops.eq(act, Ops.broadcastTo(pooled, windows)), DType.F32);
        KernelGraph kg = Scheduler.schedule(List.of(Ops.sum(mask, List.of(3, 5), false)), n -> false).graph();
        assertEquals(1, kg.kernels().size(), Kernels.format(kg));
        Object[] in = inputs(kg, new Random(12));
        float[] xs = null, biases = null, maxima = null;
        for (int id : kg.inputs()) {
            float[] b = (float[]) in[id];
            if (b.length == windows.numel()) xs = b;
            else if (b.length == 6) biases = b;
            else maxima = b;
        }
        for (int p = 0; p < maxima.length; p++) {          // each window's first element is its pooled value: counts ≥ 1
            int row = p / 14;
            maxima[p] = Math.max(0f, xs[row * 56 + 2 * (p % 14)] + biases[row / 14 % 6]);
        }
        assertVectorKernelGivesTheScalarBits(kg, in, 5, "window counts of a recomputed mask");
        byte[] vector = KernelCompiler.generate(kg.kernels().get(0), kg, "V", Gemm.best(), true);
        assertTrue(usesVectors(vector));
        for (String owner : VectorCodeText.invokedOwners(vector)) {
            assertTrue(owner.startsWith("jdk/incubator/vector/") || owner.startsWith("java/lang/"), "generated code calls " + owner);
        }
    }

    @Test
    void windowSumsInVectorLanesGiveTheScalarBits() {
        assumeTrue(VectorLoop.WIDE, "512-bit vectors are needed for float64 lanes");
        // window sums of relu(x + bias) · 0.5 (a pooling gradient's counts have this form), rows of 14 or 10 outputs,
        // windows of 2×2 and 3×2 (a chain per index of the innermost window axis), 5×1 (one chain: 4 < 5 < 8), 8×1
        // (chains i mod 4) and 1×2, and 2×2 over rows of 5 and 4 (one step storing its first lanes); NaN, ±0 among the
        // inputs
        int[][] shapes = {{2, 14, 2}, {3, 10, 2}, {5, 14, 1}, {8, 14, 1}, {1, 14, 2}, {2, 5, 2}, {2, 4, 2}};
        for (int[] w : shapes) {
            Shape windows = Shape.of(16, 6, 14, w[0], w[1], w[2]);
            Node x = input("x", windows), bias = input("bias", Shape.of(1, 6, 1, 1, 1, 1));
            Node act = Ops.unary(Op.UnaryFn.RELU, Ops.add(x, Ops.broadcastTo(bias, windows)));
            Node sums = Ops.mul(Ops.sum(act, List.of(3, 5), false), Ops.full(0.5, Shape.of(16, 6, 14, w[1]), DType.F32));
            KernelGraph kg = Scheduler.schedule(List.of(sums), n -> false).graph();
            assertVectorKernelGivesTheScalarBits(kg, inputs(kg, new Random(w[2])), 5, w[0] + "×" + w[2] + " windows, rows of " + w[1]);
            if (w[1] < VectorLoop.LANES) {
                assertTrue(VectorCodeText.uses(KernelCompiler.generate(kg.kernels().get(0), kg, "V", Gemm.best(), true), "storeFirst"),
                        "rows of " + w[1] + ": one step storing its first lanes");
            }
        }
    }

    @Test
    void longSumsInFloat64LanesGiveTheScalarBits() {
        assumeTrue(VectorLoop.WIDE, "512-bit vectors are needed for float64 lanes");
        // bias gradients (sums over batch and positions, each channel's positions one loop: 784 in steps of two
        // vectors; 100 and 63, with 4 and 15 left to lane 0), a sum over rows of 40 (two steps and 8 left) and one of
        // relu(x)·x over rows of 19 (one vector of lanes); magnitudes from 1e-8 to 1e8 and ±0 among the inputs, so that
        // float64 sums round and the order of the adds shows
        Object[][] cases = {{Shape.of(16, 6, 28, 28), List.of(0, 2, 3)}, {Shape.of(16, 16, 10, 10), List.of(0, 2, 3)},
                {Shape.of(40, 8, 7, 9), List.of(0, 2, 3)}, {Shape.of(80, 6, 40), List.of(0, 2)}, {Shape.of(900, 19), List.of(1)}};
        for (Object[] c : cases) {
            Shape shape = (Shape) c[0];
            @SuppressWarnings("unchecked") List<Integer> axes = (List<Integer>) c[1];
            Node x = input("x", shape);
            Node body = shape.rank() == 2 ? Ops.mul(Ops.unary(Op.UnaryFn.RELU, x), x) : x;
            Node sums = Ops.sum(body, axes, false);
            KernelGraph kg = Scheduler.schedule(List.of(sums), n -> false).graph();
            Object[] in = new Object[kg.buffers().size()];
            Random rnd = new Random(shape.rank());
            for (KernelGraph.BufferInfo info : kg.buffers()) {
                float[] values = new float[info.shape().numel()];
                if (kg.inputs().contains(info.id())) {
                    for (int i = 0; i < values.length; i++) {
                        values[i] = rnd.nextInt(50) == 0 ? (rnd.nextBoolean() ? 0f : -0f) : (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(17) - 8));
                    }
                }
                in[info.id()] = values;
            }
            assertVectorKernelGivesTheScalarBits(kg, in, 1, shape + " over " + axes);
            int folded = shape.dim(shape.rank() - 1) * (axes.size() == 3 ? shape.dim(shape.rank() - 2) : 1);
            byte[] code = KernelCompiler.generate(kg.kernels().get(0), kg, "V", Gemm.best(), true);
            assertEquals(folded >= 2 * KernelCompiler.WIDE_FOLD_CHAINS ? 2 : 1, VectorCodeText.count(code, "addDoubles"),
                    shape + " over " + axes + ": float64 lane vectors per step");
        }
    }

    @Test
    void everySecondElementIsReadWithTheScalarLoopsBits() {
        assumeTrue(VectorLoop.ENABLED, "jdk.incubator.vector with 8-lane float hardware is needed for vector loops");
        // w[:, ::2] · a and w[:, 1::2] + a: rows of 1,001 (the last element of w is read by the last lane)
        Node w = input("w", Shape.of(40, 2002)), a = input("a", Shape.of(40, 1001));
        Node y = Ops.mul(Ops.slice(w, List.of(0, 0), List.of(40, 2002), List.of(1, 2)), a);
        Node z = Ops.add(Ops.slice(w, List.of(0, 1), List.of(40, 2002), List.of(1, 2)), a);
        KernelGraph kg = Scheduler.schedule(List.of(y, z), n -> false).graph();
        assertEquals(1, kg.kernels().size(), Kernels.format(kg));
        Kernel k = kg.kernels().get(0);
        byte[] vector = KernelCompiler.generate(k, kg, "V", Gemm.best(), true), scalar = KernelCompiler.generate(k, kg, "S", Gemm.best(), false);
        assertTrue(VectorCodeText.uses(vector, "loadEvens"), Kernels.format(kg));
        verifies(vector);
        Object[] vIn = inputs(kg, new Random(5)), sIn = copy(vIn);
        int extent = KernelCompiler.parallelExtent(k);
        ((LoopKernel) KernelCompiler.instantiate(vector)).run(vIn, 0, extent);
        ((LoopKernel) KernelCompiler.instantiate(scalar)).run(sIn, 0, extent);
        for (int o : kg.outputs()) {
            float[] out = (float[]) vIn[o], expected = (float[]) sIn[o];
            for (int i = 0; i < out.length; i++) assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(out[i]), "b" + o + "[" + i + "]");
        }
    }

    @Test
    void contractionEpiloguesInVectorsGiveTheScalarBits() {
        assumeTrue(VectorLoop.ENABLED, "jdk.incubator.vector with 8-lane float hardware is needed for vector loops");
        // a Linear layer's bias, ReLU and scale (n = 300: vectors plus a tail), and a convolution's, whose n runs over
        // [image, row, column] and whose output is channel-major (innermost loop: the 28 columns)
        Node x = input("x", Shape.of(64, 10)), w = input("w", Shape.of(10, 300)), bias = input("bias", Shape.of(300));
        Node linear = Ops.mul(Ops.unary(Op.UnaryFn.RELU, Ops.add(Ops.matmul(x, w), Ops.broadcastTo(bias, Shape.of(64, 300)))),
                Ops.full(0.5, Shape.of(64, 300), DType.F32));
        Node img = input("img", Shape.of(8, 1, 32, 32)), k = input("k", Shape.of(6, 1, 5, 5)), kb = input("kb", Shape.of(6, 1, 1));
        Node conv = Ops.unary(Op.UnaryFn.RELU, Ops.add(Ops.conv2d(img, k, 1, 1, 0, 0, 1, 1), Ops.broadcastTo(kb, Shape.of(8, 6, 28, 28))));
        for (Node y : List.of(linear, conv)) {
            KernelGraph g = Scheduler.schedule(List.of(y), n -> false).graph();
            Kernel.Contraction c = onlyContraction(g);
            ContractionKernel[] both = vectorAndScalar(c, g);
            ContractionKernel v = both[0], sc = both[1];
            Random rnd = new Random(7);
            Object[] vIn = inputs(g, rnd), sIn = copy(vIn);
            float[] product = new float[5 + c.m() * c.n()];             // the GEMM's result, at an offset
            for (int i = 0; i < product.length; i++) product[i] = rnd.nextInt(8) == 0 ? SPECIAL[rnd.nextInt(SPECIAL.length)] : (float) rnd.nextGaussian();
            v.epilogue(vIn, 0, product, 5, 0, c.m() / 2);
            v.epilogue(vIn, 0, product, 5, c.m() / 2, c.m());
            sc.epilogue(sIn, 0, product, 5, 0, c.m());
            float[] out = (float[]) vIn[c.output()], expected = (float[]) sIn[c.output()];
            for (int i = 0; i < out.length; i++) assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(out[i]), "element " + i);
        }
    }

    @Test
    void operandPackersInVectorsGiveTheScalarBits() {
        assumeTrue(VectorLoop.ENABLED, "jdk.incubator.vector with 8-lane float hardware is needed for vector loops");
        // seed002's operands: a ReLU'd activation as A (rows of 100: vectors plus a tail) and a ReLU-masked gradient as B
        Node h = input("h", Shape.of(64, 100)), w = input("w", Shape.of(100, 10));
        Node x = input("x", Shape.of(16, 64)), g = input("g", Shape.of(64, 100));
        Node reluA = Ops.matmul(Ops.unary(Op.UnaryFn.RELU, h), w);
        Node maskedB = Ops.matmul(x, Ops.where(Ops.lt(h, Ops.full(0.0, Shape.of(64, 100), DType.F32)),
                Ops.full(0.0, Shape.of(64, 100), DType.F32), g));
        for (Node y : List.of(reluA, maskedB)) {
            KernelGraph kg = Scheduler.schedule(List.of(y), n -> false).graph();
            Kernel.Contraction c = onlyContraction(kg);
            ContractionKernel[] both = vectorAndScalar(c, kg);
            ContractionKernel v = both[0], sc = both[1];
            Object[] in = inputs(kg, new Random(11));
            int rows = Math.max(1, v.panelRows()), cols = Math.max(1, v.panelCols());     // panel layouts are padded
            float[][] packed = new float[4][];
            for (int i = 0; i < 4; i++) {
                packed[i] = new float[i < 2 ? (c.m() + rows - 1) / rows * rows * c.k() : (c.n() + cols - 1) / cols * cols * c.k()];
            }
            v.packA(in, 0, packed[0]);
            sc.packA(in, 0, packed[1]);
            v.packB(in, 0, packed[2]);
            sc.packB(in, 0, packed[3]);
            for (int i = 0; i < 4; i += 2) {
                for (int j = 0; j < packed[i].length; j++) {
                    assertEquals(Float.floatToIntBits(packed[i + 1][j]), Float.floatToIntBits(packed[i][j]), (i == 0 ? "A" : "B") + " element " + j);
                }
            }
        }
    }

    @Test
    void kernelsTheVectorsCannotComputeExactlyStayScalar() {
        Shape shape = Shape.of(40, 1000);
        Node a = input("a", shape), b = input("b", shape);
        List<List<Node>> cases = List.of(
                List.of(Ops.unary(Op.UnaryFn.EXP, a)),                                      // no exact vector exp
                List.of(Ops.add(Ops.transposeLast(input("t", Shape.of(1000, 40))), b)),     // a strided load
                List.of(Ops.mul(Ops.slice(input("w", Shape.of(40, 3000)), List.of(0, 0), List.of(40, 3000), List.of(1, 3)), a)),
                // a 3×3 max pool: every third element along the output row
                List.of(Ops.max(input("p", Shape.of(16, 6, 14, 3, 14, 3)), List.of(3, 5), false)),
                List.of(Ops.add(input("small", Shape.of(40, 100)), input("small2", Shape.of(40, 100)))),     // too small to pay
                // a value repeated along the parallel (only) axis: a thread's range may start mid-pair
                List.of(Ops.mul(Ops.reshape(Ops.expand(Ops.reshape(input("r", Shape.of(20000)), Shape.of(20000, 1)), Shape.of(20000, 2)),
                        Shape.of(40000)), input("q", Shape.of(40000)))));
        for (List<Node> outputs : cases) {
            KernelGraph g = Scheduler.schedule(outputs, n -> false).graph();
            Kernel k = g.kernels().get(g.kernels().size() - 1);
            assertFalse(usesVectors(KernelCompiler.generate(k, g, "K", Gemm.best(), true)), Kernels.format(g));
        }
    }

    /**
     * {@code kg}'s one kernel, generated with vectors (which it must use) and without, run on copies of {@code inputs}
     * (the vector one in two thread ranges split at {@code split}): the same bits in every output element.
     */
    private static void assertVectorKernelGivesTheScalarBits(KernelGraph kg, Object[] inputs, int split, String what) {
        assertEquals(1, kg.kernels().size(), Kernels.format(kg));
        Kernel k = kg.kernels().get(0);
        byte[] vector = KernelCompiler.generate(k, kg, "V", Gemm.best(), true), scalar = KernelCompiler.generate(k, kg, "S", Gemm.best(), false);
        assertTrue(usesVectors(vector), Kernels.format(kg));
        assertFalse(usesVectors(scalar));
        verifies(vector);
        Object[] vIn = inputs, sIn = copy(inputs);
        int extent = KernelCompiler.parallelExtent(k);
        LoopKernel v = (LoopKernel) KernelCompiler.instantiate(vector);
        v.run(vIn, split, extent);                  // the later range first: a step storing past its range's end shows
        v.run(vIn, 0, split);
        ((LoopKernel) KernelCompiler.instantiate(scalar)).run(sIn, 0, extent);
        float[] out = (float[]) vIn[kg.outputs().get(0)], expected = (float[]) sIn[kg.outputs().get(0)];
        for (int i = 0; i < out.length; i++) assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(out[i]), what + ", element " + i);
    }

    /** {@code g}'s one kernel, which must be a contraction. */
    private static Kernel.Contraction onlyContraction(KernelGraph g) {
        assertEquals(1, g.kernels().size(), Kernels.format(g));
        return (Kernel.Contraction) g.kernels().get(0);
    }

    /** {@code c} generated with vectors (which it must use, in verified bytecode) and without: {vector, scalar}. */
    @Test
    void anInPlaceEpilogueRunsOnceOverTheIndicesItsOverlappingLastStepRedoes() {
        assumeTrue(VectorLoop.ENABLED, "jdk.incubator.vector with 8-lane float hardware is needed for vector loops");
        // the product is written into the output and the epilogue (bias, ReLU) reads it there: rows of 300 end in a
        // vector step that would redo 4 indices, adding the bias twice
        Node x = input("x", Shape.of(64, 10)), w = input("w", Shape.of(10, 300)), b = input("b", Shape.of(300));
        Node y = Ops.unary(Op.UnaryFn.RELU, Ops.add(Ops.matmul(x, w), Ops.broadcastTo(b, Shape.of(64, 300))));
        Scheduler.Schedule s = Scheduler.schedule(List.of(y), n -> false);
        assertEquals(1, s.graph().kernels().size(), Kernels.format(s.graph()));
        IndexedOperandTest.assertMatchesInterpreter(s, y, 11, 1);
    }

    private static ContractionKernel[] vectorAndScalar(Kernel.Contraction c, KernelGraph g) {
        byte[] vector = KernelCompiler.generate(c, g, "V", Gemm.best(), true), scalar = KernelCompiler.generate(c, g, "S", Gemm.best(), false);
        assertTrue(usesVectors(vector), Kernels.format(g));
        assertFalse(usesVectors(scalar));
        verifies(vector);
        return new ContractionKernel[] {(ContractionKernel) KernelCompiler.instantiate(vector), (ContractionKernel) KernelCompiler.instantiate(scalar)};
    }

    private static boolean usesVectors(byte[] bytes) {
        return VectorCodeText.usesVectors(bytes);
    }

    private static void verifies(byte[] bytes) {
        StringWriter problems = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(bytes), VectorLoopTest.class.getClassLoader(), false, new PrintWriter(problems));
        assertEquals("", problems.toString());
    }

    /** Inputs with special values and ties (a == b) sprinkled among random ones; outputs allocated. */
    private static Object[] inputs(KernelGraph g, Random rnd) {
        Object[] buffers = new Object[g.buffers().size()];
        for (KernelGraph.BufferInfo info : g.buffers()) {
            float[] x = new float[info.shape().numel()];
            if (g.inputs().contains(info.id())) {
                for (int i = 0; i < x.length; i++) {
                    x[i] = rnd.nextInt(8) == 0 ? SPECIAL[rnd.nextInt(SPECIAL.length)] : (float) rnd.nextGaussian();
                }
            }
            buffers[info.id()] = x;
        }
        int a = g.inputs().get(0), b = g.inputs().get(1);
        float[] xa = (float[]) buffers[a], xb = (float[]) buffers[b];
        for (int i = 0; i < Math.min(xa.length, xb.length); i += 5) xb[i] = xa[i];
        return buffers;
    }

    private static Object[] copy(Object[] buffers) {
        Object[] c = new Object[buffers.length];
        for (int i = 0; i < c.length; i++) c[i] = ((float[]) buffers[i]).clone();
        return c;
    }
}
