package dev.kiln.codegen.jvm;

import dev.kiln.ir.Autodiff;
import dev.kiln.ir.DType;
import dev.kiln.ir.Interpreter;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.Kernels;
import dev.kiln.ir.kernel.Scheduler;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.util.CheckClassAdapter;
import org.objectweb.asm.util.TraceClassVisitor;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every class the JVM backend generates passes ASM's verifier ({@link CheckClassAdapter#verify}: structure, types
 * and stack map data flow) with no errors, for a diverse set of graphs: fuzzed ones (small and large), and a LeNet-5
 * forward pass with its autodiff backward pass. Classes are captured with {@link KernelCompiler#listener}, which is
 * restored afterwards.
 */
class GeneratedCodeVerificationTest {
    static final int FUZZED = 400, FUZZED_LARGE = 4;

    private record Generated(String context, byte[] bytes) {}

    @Test
    void everyGeneratedClassVerifies() {
        List<Generated> classes = Collections.synchronizedList(new ArrayList<>());
        String[] context = {""};
        int kernels = 0;
        Consumer<byte[]> saved = KernelCompiler.listener;
        KernelCompiler.listener = bytes -> classes.add(new Generated(context[0], bytes));
        try {
            for (long seed = 0; seed < FUZZED; seed++) {
                GraphFuzzer.Case c = GraphFuzzer.generate(seed);
                context[0] = "fuzzed graph, seed " + seed + "\n" + c.dump();
                kernels += BackendFuzzTest.compile(c).schedule().graph().kernels().size();
            }
            for (long seed = 0; seed < FUZZED_LARGE; seed++) {
                GraphFuzzer.Case c = GraphFuzzer.generate(seed, GraphFuzzer.Config.LARGE);
                context[0] = "fuzzed graph (LARGE config), seed " + seed + "\n" + c.dump();
                kernels += BackendFuzzTest.compile(c).schedule().graph().kernels().size();
            }
            LeNet net = new LeNet(2);
            context[0] = "LeNet-5 forward";
            kernels += compile(net.forward()).graph().kernels().size();
            context[0] = "LeNet-5 forward and backward";
            kernels += compile(net.forwardAndBackward()).graph().kernels().size();
        } finally {
            KernelCompiler.listener = saved;
        }
        assertTrue(classes.size() >= kernels, "the listener saw " + classes.size() + " classes for " + kernels + " kernels");

        List<String> failures = new ArrayList<>();
        int loop = 0, contraction = 0;
        for (Generated g : classes) {
            ClassReader reader = new ClassReader(g.bytes());
            if (List.of(reader.getInterfaces()).contains("dev/kiln/codegen/jvm/ContractionKernel")) contraction++;
            else loop++;
            String errors = verify(g.bytes());
            if (!errors.isEmpty() && failures.size() < 3) {
                failures.add("class " + reader.getClassName() + " from " + g.context() + "\nverifier:\n" + errors + "\nbytecode:\n" + text(g.bytes()));
            } else if (!errors.isEmpty()) failures.add("class " + reader.getClassName() + " from " + g.context().lines().findFirst().orElse(""));
        }
        System.out.printf("GeneratedCodeVerificationTest: %d generated classes (%d loop kernels, %d contraction kernels) from %d fuzzed graphs, "
                + "%d large fuzzed graphs and LeNet-5 forward/backward: %d fail verification%n", classes.size(), loop, contraction, FUZZED, FUZZED_LARGE, failures.size());
        if (!failures.isEmpty()) fail(failures.size() + " generated classes fail verification; the first:\n\n" + String.join("\n\n", failures.subList(0, Math.min(3, failures.size()))));
        assertTrue(loop > 0 && contraction > 0, "both kinds of kernel class should have been generated");
    }

    /** The verifier used above does catch broken bytecode (so an empty report means something). */
    @Test
    void verifierRejectsBrokenBytecode() {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V21, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL, "dev/kiln/codegen/jvm/Broken", null, "java/lang/Object",
                new String[] {"dev/kiln/codegen/jvm/LoopKernel"});
        MethodVisitor m = cw.visitMethod(Opcodes.ACC_PUBLIC, "run", "([Ljava/lang/Object;II)V", null, null);
        m.visitCode();
        m.visitVarInsn(Opcodes.ALOAD, 1);
        m.visitInsn(Opcodes.ICONST_0);
        m.visitInsn(Opcodes.AALOAD);
        m.visitTypeInsn(Opcodes.CHECKCAST, "[F");
        m.visitInsn(Opcodes.ICONST_0);
        m.visitInsn(Opcodes.DCONST_1);                 // a double stored into a float[]
        m.visitInsn(Opcodes.FASTORE);
        m.visitInsn(Opcodes.RETURN);
        m.visitMaxs(0, 0);
        m.visitEnd();
        cw.visitEnd();
        assertFalse(verify(cw.toByteArray()).isEmpty(), "CheckClassAdapter should reject a double stored into a float[]");
    }

    /** ASM's verifier report for a class: empty when it has no errors. */
    static String verify(byte[] bytes) {
        StringWriter out = new StringWriter();
        try {
            // structural checks (opcodes, descriptors, constant pool use)
            new ClassReader(bytes).accept(new CheckClassAdapter(new ClassWriter(0), false), 0);
            // data flow: types on the stack and in locals at every instruction, with the test's class loader
            CheckClassAdapter.verify(new ClassReader(bytes), GeneratedCodeVerificationTest.class.getClassLoader(), false, new PrintWriter(out));
        } catch (RuntimeException e) {
            e.printStackTrace(new PrintWriter(out));
        }
        return out.toString();
    }

    private static String text(byte[] bytes) {
        StringWriter w = new StringWriter();
        new ClassReader(bytes).accept(new TraceClassVisitor(new PrintWriter(w)), 0);
        String s = w.toString();
        return s.length() > 20_000 ? s.substring(0, 20_000) + "\n..." : s;
    }

    private static Scheduler.Schedule compile(List<Node> outputs) {
        Scheduler.Schedule s = Scheduler.schedule(outputs, n -> false);
        new JvmBackend().compile(s.graph());
        return s;
    }

    // ---- LeNet-5, built from IR primitives ---------------------------------------------------------------------

    /** The LeNet forward and backward passes also compute the interpreter's values (within float32 tolerance). */
    @Test
    void leNetForwardAndBackwardMatchTheInterpreter() {
        LeNet net = new LeNet(2);
        List<Node> outputs = net.forwardAndBackward();
        Scheduler.Schedule s = Scheduler.schedule(outputs, n -> false);
        Program p = new JvmBackend().compile(s.graph());
        List<HostBuffer> in = new ArrayList<>();
        for (Node n : s.inputs()) in.add(HostBuffer.of(n.dtype(), net.values.get(n)));
        List<HostBuffer> actual = p.run(in);
        Map<Node, double[]> expected = Interpreter.evaluate(outputs, net.values);
        for (int o = 0; o < outputs.size(); o++) {
            double[] e = expected.get(outputs.get(o));
            double scale = 0;
            for (double v : e) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < e.length; i++) {
                double a = actual.get(o).get(i), tol = 1e-4 + 1e-3 * Math.abs(e[i]) + 1e-4 * scale;
                if (!(Math.abs(a - e[i]) <= tol)) {
                    fail("LeNet output " + o + " (" + (o == 0 ? "loss" : "gradient " + (o - 1)) + ") element " + i + ": backend " + a
                            + ", interpreter " + e[i] + "\n" + Kernels.format(s.graph()));
                }
            }
        }
    }

    /**
     * LeNet-5 on [N, 1, 28, 28]: conv 5x5 (pad 2) → relu → max-pool 2x2 → conv 5x5 → relu → max-pool → 400 → 120 → 84
     * → 10, softmax cross-entropy against one-hot labels. Inputs are multiples of 1/8 in [0, 1], weights multiples of
     * 1/16 in [-1/4, 1/4], so that the convolutions (and the max-pool ties that autodiff's rule compares) are exact.
     */
    static final class LeNet {
        final Map<Node, double[]> values = new IdentityHashMap<>();
        final List<Node> params = new ArrayList<>();
        final Random rnd = new Random(5);
        final Node x, labels;
        final int batch;

        LeNet(int batch) {
            this.batch = batch;
            x = leaf("x", Shape.of(batch, 1, 28, 28), Op.Role.INPUT, () -> rnd.nextInt(9) / 8.0);
            double[] onehot = new double[batch * 10];
            for (int i = 0; i < batch; i++) onehot[i * 10 + rnd.nextInt(10)] = 1;
            labels = Node.leaf(Op.Role.INPUT, "labels", Shape.of(batch, 10), DType.F32);
            values.put(labels, onehot);
        }

        private Node leaf(String name, Shape s, Op.Role role, java.util.function.DoubleSupplier v) {
            Node n = Node.leaf(role, name, s, DType.F32);
            double[] a = new double[s.numel()];
            for (int i = 0; i < a.length; i++) a[i] = v.getAsDouble();
            values.put(n, a);
            if (role == Op.Role.PARAMETER) params.add(n);
            return n;
        }

        private Node param(String name, int... dims) {
            return leaf(name, Shape.of(dims), Op.Role.PARAMETER, () -> (rnd.nextInt(9) - 4) / 16.0);
        }

        private static Node relu(Node v) { return Ops.max(v, Ops.scalar(0, DType.F32)); }

        private static Node pool(Node v) {
            int[] d = v.shape().dims();
            Node r = Ops.reshape(v, Shape.of(d[0], d[1], d[2] / 2, 2, d[3] / 2, 2));
            return Ops.max(r, List.of(3, 5), false);
        }

        private static Node conv(Node v, Node w, Node b, int pad) {
            Node y = Ops.conv2d(v, w, 1, 1, pad, pad, 1, 1);
            return Ops.add(y, Ops.reshape(b, Shape.of(1, b.shape().dim(0), 1, 1)));
        }

        private static Node linear(Node v, Node w, Node b) { return Ops.add(Ops.matmul(v, w), b); }

        private List<Node> built;

        /** [loss, logits]. */
        List<Node> forward() {
            if (built != null) return built;
            Node w1 = param("conv1.w", 6, 1, 5, 5), b1 = param("conv1.b", 6);
            Node w2 = param("conv2.w", 16, 6, 5, 5), b2 = param("conv2.b", 16);
            Node w3 = param("fc1.w", 400, 120), b3 = param("fc1.b", 120);
            Node w4 = param("fc2.w", 120, 84), b4 = param("fc2.b", 84);
            Node w5 = param("fc3.w", 84, 10), b5 = param("fc3.b", 10);
            Node h = pool(relu(conv(x, w1, b1, 2)));                             // [N, 6, 14, 14]
            h = pool(relu(conv(h, w2, b2, 0)));                                  // [N, 16, 5, 5]
            h = Ops.reshape(h, Shape.of(batch, 400));
            h = relu(linear(h, w3, b3));
            h = relu(linear(h, w4, b4));
            Node logits = linear(h, w5, b5);                                     // [N, 10]
            Node m = Ops.max(logits, List.of(1), true);
            Node z = Ops.sub(logits, m);
            Node lse = Ops.unary(Op.UnaryFn.LOG, Ops.sum(Ops.unary(Op.UnaryFn.EXP, z), List.of(1), true));
            Node logp = Ops.sub(z, lse);
            Node loss = Ops.mul(Ops.sum(Ops.mul(labels, logp), Ops.allAxes(logp), false), -1.0 / batch);
            built = List.of(loss, logits);
            return built;
        }

        /** [loss, d loss / d param for each parameter]. */
        List<Node> forwardAndBackward() {
            Node loss = forward().get(0);
            List<Node> grads = Autodiff.gradients(List.of(loss), List.of(Ops.scalar(1, DType.F32)), params);
            List<Node> out = new ArrayList<>();
            out.add(loss);
            for (Node g : grads) if (!out.contains(g)) out.add(g);
            return out;
        }
    }
}
