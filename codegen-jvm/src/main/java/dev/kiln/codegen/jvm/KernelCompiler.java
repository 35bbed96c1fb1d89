package dev.kiln.codegen.jvm;

import dev.kiln.codegen.jvm.gemm.Gemm;
import dev.kiln.ir.DType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Ix;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Kernels;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.GeneratorAdapter;
import org.objectweb.asm.commons.Method;

import java.lang.invoke.MethodHandles;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Turns one kernel into a hidden class: a {@link LoopKernel} for pointwise and reduction kernels (loops over the
 * output, reductions innermost), a {@link ContractionKernel} for contractions (operand packing and epilogue; the
 * product itself runs in the GEMM core).
 */
final class KernelCompiler {
    /** Sees every generated class (tests verify them with CheckClassAdapter; debugging prints them). */
    static volatile Consumer<byte[]> listener;

    private static final String PACKAGE = "dev/kiln/codegen/jvm/";
    private static final Type OBJECT_ARRAY = Type.getType(Object[].class);

    private KernelCompiler() {}

    /** The parallel axis of a loop nest: the first axis (of those not reduced) with more than one index. */
    static int parallelAxis(Shape domain, List<Integer> reduced) {
        for (int i = 0; i < domain.rank(); i++) if (!reduced.contains(i) && domain.dim(i) > 1) return i;
        return -1;
    }

    /** How many indices the parallel axis has (1 when there is none). */
    static int parallelExtent(Kernel k) {
        return switch (k) {
            case Kernel.Pointwise p -> extent(p.shape(), List.of());
            case Kernel.Reduction r -> extent(r.domain(), r.axes());
            case Kernel.Contraction c -> c.m();
        };
    }

    private static int extent(Shape domain, List<Integer> reduced) {
        int axis = parallelAxis(domain, reduced);
        return axis < 0 ? 1 : domain.dim(axis);
    }

    static byte[] generate(Kernel k, KernelGraph graph, String name) {
        return generate(k, graph, name, Gemm.best());
    }

    /** The class for kernel {@code k}; a contraction's packers write the panel layout of {@code gemm}. */
    static byte[] generate(Kernel k, KernelGraph graph, String name, Gemm gemm) {
        return generate(k, graph, name, gemm, VectorLoop.ENABLED);
    }

    /** As above; {@code vectors} says whether pointwise loops may run in {@link VectorLoop vectors}. */
    static byte[] generate(Kernel k, KernelGraph graph, String name, Gemm gemm, boolean vectors) {
        return generate(k, graph, name, gemm, vectors, true);
    }

    /** As above; {@code boxSums} says whether sums of padded terms may run term by term ({@link BoxSum}). */
    static byte[] generate(Kernel k, KernelGraph graph, String name, Gemm gemm, boolean vectors, boolean boxSums) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
            @Override protected String getCommonSuperClass(String a, String b) { return "java/lang/Object"; }
        };
        String iface = k instanceof Kernel.Contraction ? Type.getInternalName(ContractionKernel.class) : Type.getInternalName(LoopKernel.class);
        cw.visit(Opcodes.V21, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, PACKAGE + name, null, "java/lang/Object", new String[] {iface});
        GeneratorAdapter ctor = new GeneratorAdapter(Opcodes.ACC_PUBLIC, Method.getMethod("void <init>()"), null, null, cw);
        ctor.loadThis();
        ctor.invokeConstructor(Type.getType(Object.class), Method.getMethod("void <init>()"));
        ctor.returnValue();
        ctor.endMethod();
        switch (k) {
            case Kernel.Pointwise p -> pointwise(cw, PACKAGE + name, p, graph, vectors, boxSums);
            case Kernel.Reduction r -> reduction(cw, MergedReduction.of(r), graph, vectors);
            case Kernel.Contraction c -> contraction(cw, c, graph, gemm, vectors);
        }
        cw.visitEnd();
        byte[] bytes = cw.toByteArray();
        Consumer<byte[]> l = listener;
        if (l != null) l.accept(bytes);
        return bytes;
    }

    static Object instantiate(byte[] bytes) {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup().defineHiddenClass(bytes, true);
            return lookup.findConstructor(lookup.lookupClass(), java.lang.invoke.MethodType.methodType(void.class)).invoke();
        } catch (Throwable e) {
            throw new IllegalStateException("could not load a generated kernel class", e);
        }
    }

    // ---- pointwise ----------------------------------------------------------------------------------------------

    private static void pointwise(ClassWriter cw, String owner, Kernel.Pointwise kernel, KernelGraph graph, boolean vectors, boolean boxSums) {
        KernelEmitter e = loopMethod(cw, kernel, graph);
        int par = parallelAxis(kernel.shape(), List.of());
        BoxSum box = boxSums ? BoxSum.of(kernel, par, graph) : null;
        if (box != null) {
            IntTables tables = new IntTables(cw, owner);
            box.emit(e, par, vectors, graph, tables);
            e.g.returnValue();
            e.g.endMethod();
            tables.finish();
            return;
        }
        Kernel.Pointwise vector = vectors ? vectorForm(kernel, par, graph) : null;
        Kernel.Pointwise p = vector != null ? vector : kernel;
        Shape s = p.shape();
        List<Expr> values = Kernels.expressions(p);
        Runnable body = () -> {
            if (values.size() > 1) e.precompute(values);          // every load before the first store
            for (Kernel.Store st : p.stores()) e.store(st.output(), offset(s), graph.buffer(st.output()).dtype(), () -> e.expr(st.value()));
        };
        if (vector != null) {
            int v = innermostAxis(s);
            boolean down = VectorLoop.streamsDown(p.stores(), v, s.numel());
            nest(e, s, List.of(v), par, 0, List.of(), down, () -> {
                e.hoist(values, v);
                Runnable from = v == par ? e.arg(1) : e.constant(0), to = v == par ? e.arg(2) : e.constant(s.dim(v));
                if (down) VectorLoop.emitDown(e, p.stores(), v, offset(s), from, to, body);
                else VectorLoop.emit(e, p.stores(), v, offset(s), from, to, body);
            });
        } else {
            nest(e, s, List.of(), par, 0, values, body);
        }
        e.g.returnValue();
        e.g.endMethod();
    }

    /** The last axis with more than one index, or -1. */
    private static int innermostAxis(Shape s) { return innermostAxis(s, List.of()); }

    /** {@code k}, or {@code k} with its last two axes merged, when its innermost loop can run in vectors; else null. */
    private static Kernel.Pointwise vectorForm(Kernel.Pointwise k, int par, KernelGraph graph) {
        if (vectorizable(k, par, graph)) return k;
        Kernel.Pointwise merged = VectorLoop.mergeInnermostAxes(k, par);
        return merged != null && vectorizable(merged, par, graph) ? merged : null;
    }

    private static boolean vectorizable(Kernel.Pointwise p, int par, KernelGraph graph) {
        int inner = innermostAxis(p.shape());
        return inner >= 0 && VectorLoop.supports(p.stores(), inner, p.shape().dim(inner), inner != par, p.shape().numel(), graph);
    }

    /**
     * Loops over the given axes (skipping size-1 and excluded ones), the parallel one over [lo, hi), each loop body in
     * its own subexpression scope; before the innermost loop, the parts of {@code invariant} that don't depend on its
     * variable are computed once.
     */
    static void nest(KernelEmitter e, Shape s, List<Integer> excluded, int par, int axis, List<Expr> invariant, Runnable body) {
        nest(e, s, excluded, par, axis, invariant, false, body);
    }

    /** As above; with {@code down}, every loop runs from its top index down. */
    static void nest(KernelEmitter e, Shape s, List<Integer> excluded, int par, int axis, List<Expr> invariant, boolean down, Runnable body) {
        if (axis == s.rank()) {
            e.scoped(body);
            return;
        }
        if (excluded.contains(axis) || s.dim(axis) == 1) {
            nest(e, s, excluded, par, axis + 1, invariant, down, body);
            return;
        }
        Runnable inner = () -> e.scoped(() -> nest(e, s, excluded, par, axis + 1, invariant, down, body));
        if (innermost(s, excluded, axis)) e.hoist(invariant, axis);
        Runnable from = axis == par ? e.arg(1) : e.constant(0), to = axis == par ? e.arg(2) : e.constant(s.dim(axis));
        if (down) e.loopDown(axis, from, to, inner);
        else e.loop(axis, from, to, inner);
    }

    private static boolean innermost(Shape s, List<Integer> excluded, int axis) {
        for (int a = axis + 1; a < s.rank(); a++) if (!excluded.contains(a) && s.dim(a) > 1) return false;
        return true;
    }

    static Ix offset(Shape s) {
        int[] strides = s.strides();
        Ix off = Ix.constant(0);
        for (int i = 0; i < s.rank(); i++) off = off.plus(Ix.var(i, s.dim(i)).times(strides[i]));
        return off;
    }

    // ---- reduction ----------------------------------------------------------------------------------------------

    private static void reduction(ClassWriter cw, Kernel.Reduction r, KernelGraph graph, boolean vectors) {
        KernelEmitter e = loopMethod(cw, r, graph);
        Shape d = r.domain();
        int par = parallelAxis(d, r.axes());
        DType t = r.body().dtype();
        DType accType = accumulatorType(t, r.fn());
        Type at = KernelEmitter.valueType(accType);
        int[] acc = new int[foldChains(r)];
        for (int i = 0; i < acc.length; i++) acc[i] = e.g.newLocal(at);
        Runnable perOutput = () -> {
            for (int a : acc) {
                initial(e, r.fn(), accType);
                e.g.storeLocal(a);
            }
            IntConsumer fold = chain -> {
                e.g.loadLocal(acc[chain]);
                e.expr(r.body());
                e.convert(t, accType);
                combine(e, r.fn(), accType);
                e.g.storeLocal(acc[chain]);
            };
            List<Integer> loops = reducedLoops(d, r.axes());
            if (vectors && VectorLoop.supportsLaneFold(r, loops, graph)) {
                // the innermost loop's chains are the lanes of one or two float64 vectors, whose lanes are then the chains
                int[] lanes = new int[acc.length / VectorLoop.LANES];
                for (int v = 0; v < lanes.length; v++) lanes[v] = VectorLoop.zeroLanes(e);
                foldLoopsOuter(e, d, loops, 0, () -> VectorLoop.foldLanes(e, r, loops.get(loops.size() - 1), d.dim(loops.get(loops.size() - 1)), lanes));
                for (int i = 0; i < acc.length; i++) VectorLoop.lane(e, lanes[i / VectorLoop.LANES], i % VectorLoop.LANES, acc[i]);
            } else {
                foldLoops(e, d, loops, 0, r.body(), acc.length, fold);
            }
            for (int step = 1; step < acc.length; step *= 2) {         // pairwise: (a0 ⊕ a1) ⊕ (a2 ⊕ a3) …
                for (int i = 0; i + step < acc.length; i += 2 * step) {
                    e.g.loadLocal(acc[i]);
                    e.g.loadLocal(acc[i + step]);
                    combine(e, r.fn(), accType);
                    e.g.storeLocal(acc[i]);
                }
            }
            int result = e.g.newLocal(KernelEmitter.valueType(t));
            e.g.loadLocal(acc[0]);
            e.convert(accType, t);
            e.g.storeLocal(result);
            e.setAccumulator(result);
            e.scoped(() -> e.store(r.output(), r.outIndex(), graph.buffer(r.output()).dtype(), () -> e.expr(r.epilogue())));
        };
        int lane = innermostAxis(d, r.axes());
        if (vectors && lane >= 0 && lane != par && VectorLoop.supportsWindow(r, lane, d.dim(lane), graph)) {
            List<Integer> outer = new java.util.ArrayList<>(r.axes());
            outer.add(lane);
            nest(e, d, outer, par, 0, List.of(), () -> VectorLoop.emitWindow(e, r, lane, d.dim(lane), r.outIndex(), perOutput));
        } else {
            nest(e, d, r.axes(), par, 0, List.of(), perOutput);
        }
        e.g.returnValue();
        e.g.endMethod();
    }

    /** The last axis not in {@code excluded} with more than one index, or -1. */
    private static int innermostAxis(Shape s, List<Integer> excluded) {
        for (int axis = s.rank() - 1; axis >= 0; axis--) if (!excluded.contains(axis) && s.dim(axis) > 1) return axis;
        return -1;
    }

    /**
     * Independent accumulators of a reduction's innermost loop: one chain would make every element wait for the
     * previous add (the fold is latency-bound), several let the core overlap them. Sums then add in a different
     * order than one running sum, which float64 accumulation of float32 values hides; max is order-free.
     */
    static final int FOLD_CHAINS = 4;

    /**
     * Chains for a long float32 sum read contiguously along its innermost reduced loop (at least 16): one per float64
     * lane of a vector, so the vector fold ({@link VectorLoop#supportsLaneFold}) and the scalar one add alike. (Eight
     * chains everywhere slowed short and strided folds: a Linear's bias gradient over 64 rows went from under 40 to
     * 100 µs.)
     */
    static final int LONG_FOLD_CHAINS = 8;

    /**
     * Chains for such a sum whose innermost loop is at least 32 long: two vectors of float64 lanes, so consecutive
     * steps don't wait for each other's add (one vector's chain made a bias gradient over 64 × 784 floats per channel
     * latency-bound).
     */
    static final int WIDE_FOLD_CHAINS = 2 * LONG_FOLD_CHAINS;

    /** The chains reduction {@code r} folds in: a property of the kernel alone, so every path gives the same bits. */
    static int foldChains(Kernel.Reduction r) {
        List<Integer> loops = reducedLoops(r.domain(), r.axes());
        if (r.fn() != dev.kiln.ir.Op.ReduceFn.SUM || r.body().dtype() != DType.F32 || loops.isEmpty()) return FOLD_CHAINS;
        int axis = loops.get(loops.size() - 1);
        int n = r.domain().dim(axis);
        if (n < 2 * LONG_FOLD_CHAINS || !VectorLoop.readsAlong(r.body(), axis)) return FOLD_CHAINS;
        return n >= 2 * WIDE_FOLD_CHAINS ? WIDE_FOLD_CHAINS : LONG_FOLD_CHAINS;
    }

    /**
     * The chain that index {@code i} of a fold's innermost loop (extent {@code n}, {@code chains} chains) adds to, as
     * {@link #foldLoops} lays the loop out: one chain per index when n ≤ chains; otherwise i mod chains in the unrolled
     * part and chain 0 for the n mod chains indices left.
     */
    static int foldChain(int i, int n, int chains) {
        if (n <= chains) return i;
        return i < n / chains * chains ? i % chains : 0;
    }

    /** The reduced axes that need a loop (size > 1), outermost first. */
    static List<Integer> reducedLoops(Shape d, List<Integer> reduced) {
        List<Integer> axes = new java.util.ArrayList<>();
        for (int i = 0; i < d.rank(); i++) if (reduced.contains(i) && d.dim(i) > 1) axes.add(i);
        return axes;
    }

    /**
     * Loops over {@code loops[from..]}, folding {@code body} with {@code fold(chain)}; the innermost loop computes
     * what doesn't depend on its variable first and runs {@code chains} chains side by side when longer than that
     * (the last n mod chains indices into chain 0), or is unrolled completely (one chain per index) when at most
     * that long.
     */
    private static void foldLoops(KernelEmitter e, Shape d, List<Integer> loops, int from, Expr body, int chains, IntConsumer fold) {
        if (from == loops.size()) {
            e.scoped(() -> fold.accept(0));
            return;
        }
        int axis = loops.get(from), n = d.dim(axis);
        if (from < loops.size() - 1) {
            e.loop(axis, e.constant(0), e.constant(n), () -> e.scoped(() -> foldLoops(e, d, loops, from + 1, body, chains, fold)));
            return;
        }
        e.hoist(List.of(body), axis);
        if (n > chains) e.unrolledLoop(axis, n, chains, fold);
        else e.unrolledLoop(axis, n, n, fold);                                   // e.g. a pooling window's row
    }

    /** The loops over {@code loops[from..]} but the innermost, around {@code innermost}. */
    private static void foldLoopsOuter(KernelEmitter e, Shape d, List<Integer> loops, int from, Runnable innermost) {
        if (from == loops.size() - 1) {
            innermost.run();
            return;
        }
        int axis = loops.get(from);
        e.loop(axis, e.constant(0), e.constant(d.dim(axis)), () -> e.scoped(() -> foldLoopsOuter(e, d, loops, from + 1, innermost)));
    }

    /** Sums of float32 accumulate in double (as the reference interpreter does); integers in long. */
    private static DType accumulatorType(DType t, dev.kiln.ir.Op.ReduceFn fn) {
        return switch (fn) {
            case SUM -> switch (t) {
                case F32, F64 -> DType.F64;
                case I32, I64, BOOL -> DType.I64;
            };
            case MAX -> t;
        };
    }

    private static void initial(KernelEmitter e, dev.kiln.ir.Op.ReduceFn fn, DType t) {
        switch (fn) {
            case SUM -> e.push(0, t);
            case MAX -> e.push(switch (t) {
                case F32, F64 -> Double.NEGATIVE_INFINITY;
                case I32 -> Integer.MIN_VALUE;
                case I64 -> Long.MIN_VALUE;
                case BOOL -> 0;
            }, t);
        }
    }

    private static void combine(KernelEmitter e, dev.kiln.ir.Op.ReduceFn fn, DType t) {
        Type vt = KernelEmitter.valueType(t);
        switch (fn) {
            case SUM -> e.g.math(GeneratorAdapter.ADD, vt);
            case MAX -> e.g.invokeStatic(Type.getType(Math.class), new Method("max", vt, new Type[] {vt, vt}));
        }
    }

    /** {@code void run(Object[] buffers, int lo, int hi)} with every buffer the kernel touches bound to a typed local. */
    private static KernelEmitter loopMethod(ClassWriter cw, Kernel k, KernelGraph graph) {
        GeneratorAdapter g = new GeneratorAdapter(Opcodes.ACC_PUBLIC, new Method("run", Type.VOID_TYPE,
                new Type[] {OBJECT_ARRAY, Type.INT_TYPE, Type.INT_TYPE}), null, null, cw);
        g.visitCode();
        KernelEmitter e = new KernelEmitter(g);
        bindBuffers(e, k, graph, 0);
        return e;
    }

    private static void bindBuffers(KernelEmitter e, Kernel k, KernelGraph graph, int arg) {
        for (int id : k.outputs()) e.bindBuffer(arg, id, graph.buffer(id).dtype());
        for (int id : Kernels.reads(k)) e.bindBuffer(arg, id, graph.buffer(id).dtype());
    }

    // ---- contraction --------------------------------------------------------------------------------------------

    /** Loop variables standing for the factors of a flattened contraction index (ids from 10 up: B, M, N, K are 0-3). */
    record Factored(List<Ix.Var> vars, Ix flat) {
        static Factored of(List<Integer> factors, int firstId) {
            List<Ix.Var> vars = new java.util.ArrayList<>();
            Ix flat = Ix.constant(0);
            for (int i = 0; i < factors.size(); i++) {
                int f = factors.get(i);
                flat = flat.times(f).plus(Ix.var(firstId + i, f));
                if (f > 1) vars.add(new Ix.Var(firstId + i, f));
            }
            return new Factored(vars, flat);
        }
    }

    /** Nested loops over {@code vars} (outermost first), each body in its own scope, invariants hoisted before the innermost. */
    private static void loops(KernelEmitter e, List<Ix.Var> vars, int from, List<Expr> invariant, Runnable body) {
        if (from == vars.size()) {
            e.scoped(body);
            return;
        }
        Ix.Var v = vars.get(from);
        if (from == vars.size() - 1) e.hoist(invariant, v.id());
        e.loop(v.id(), e.constant(0), e.constant(v.extent()), () -> e.scoped(() -> loops(e, vars, from + 1, invariant, body)));
    }

    private static void contraction(ClassWriter cw, Kernel.Contraction c, KernelGraph graph, Gemm gemm, boolean vectors) {
        DType t = c.a().dtype();
        Type array = KernelEmitter.arrayType(t);
        Factored n = Factored.of(c.nFactors(), 10), k = Factored.of(c.kFactors(), 20);
        Ix m = Ix.var(Kernel.Contraction.M, c.m());
        List<Ix.Var> mVars = c.m() > 1 ? List.of(new Ix.Var(Kernel.Contraction.M, c.m())) : List.of();
        // float32 operands go straight into the GEMM core's panel layout (no second packing pass); others row-major
        int rows = panelRows(c, gemm), cols = panelCols(c, gemm);
        intMethod(cw, "panelRows", rows);
        intMethod(cw, "panelCols", cols);
        // packA(Object[] buffers, int batch, Object a): A(batch, m, k)
        Expr a = Kernels.substitute(c.a(), Kernel.Contraction.K, k.flat());
        // row-major A is written row by row, unless it reads along m and not along k (a transposed view): then it is
        // written column-major, k-step by k-step, so reads and writes are both consecutive (and run in vectors); a
        // one-panel A k-step by k-step, so the writes are consecutive either way
        boolean aAlongM = rows == 0 && !mVars.isEmpty() && readsAlong(a, mVars.get(0)) && !readsAlong(a, last(k.vars()));
        booleanMethod(cw, "aColumnMajor", aAlongM);
        pack(cw, c, graph, vectors, "packA", array, rows == 0 && !aAlongM ? concat(mVars, k.vars()) : concat(k.vars(), mVars),
                rows > 0 ? panelIndex(m, k.flat(), c.k(), rows) : aAlongM ? k.flat().times(c.m()).plus(m) : m.times(c.k()).plus(k.flat()), a);
        // packB(Object[] buffers, int batch, Object b): B(batch, k, n); row-major k-step by k-step, unless it reads along
        // k and not along n: then column-major
        Expr b = Kernels.substitute(Kernels.substitute(c.b(), Kernel.Contraction.K, k.flat()), Kernel.Contraction.N, n.flat());
        boolean bAlongK = cols == 0 && readsAlong(b, last(k.vars())) && !readsAlong(b, last(n.vars()));
        booleanMethod(cw, "bColumnMajor", bAlongK);
        pack(cw, c, graph, vectors, "packB", array, bAlongK ? concat(n.vars(), k.vars()) : concat(k.vars(), n.vars()),
                cols > 0 ? panelIndex(n.flat(), k.flat(), c.k(), cols) : bAlongK ? n.flat().times(c.k()).plus(k.flat()) : k.flat().times(c.n()).plus(n.flat()), b);
        // epilogue(Object[] buffers, int batch, Object c, int cOffset, int lo, int hi)
        GeneratorAdapter g = new GeneratorAdapter(Opcodes.ACC_PUBLIC, new Method("epilogue", Type.VOID_TYPE,
                new Type[] {OBJECT_ARRAY, Type.INT_TYPE, Type.getType(Object.class), Type.INT_TYPE, Type.INT_TYPE, Type.INT_TYPE}), null, null, cw);
        g.visitCode();
        KernelEmitter e = new KernelEmitter(g);
        bindBuffers(e, c, graph, 0);
        int cArray = g.newLocal(array);
        g.loadArg(2);
        g.checkCast(array);
        g.storeLocal(cArray);
        e.bindVar(Kernel.Contraction.B, batchLocal(g));
        // the accumulator is C[cOffset + m·N + n]: a load from the product (a pseudo buffer), so the epilogue is an
        // ordinary loop nest whose innermost loop can run in vectors
        e.bindBufferLocal(PRODUCT, cArray);
        int cOffset = g.newLocal(Type.INT_TYPE);
        g.loadArg(3);
        g.storeLocal(cOffset);
        e.bindVar(C_OFFSET, cOffset);
        Ix cIndex = Ix.var(C_OFFSET, Integer.MAX_VALUE).plus(Ix.var(Kernel.Contraction.M, Math.max(c.m(), 2)).times(c.n())).plus(n.flat());
        Expr epilogue = Kernels.withAccumulator(Kernels.substitute(c.epilogue(), Kernel.Contraction.N, n.flat()), new Expr.Load(PRODUCT, cIndex, t));
        List<Kernel.Store> stores = List.of(new Kernel.Store(c.output(), epilogue));
        Ix out = c.outIndex().substitute(Kernel.Contraction.N, n.flat());
        Runnable body = () -> e.store(c.output(), out, graph.buffer(c.output()).dtype(), () -> e.expr(epilogue));
        List<Ix.Var> nVars = n.vars();
        Ix.Var inner = nVars.isEmpty() ? null : nVars.get(nVars.size() - 1);
        boolean vector = vectors && inner != null
                && VectorLoop.supports(stores, inner.id(), inner.extent(), true, (long) c.m() * c.n(), graph);
        e.loop(Kernel.Contraction.M, e.arg(4), e.arg(5), () -> e.scoped(() -> {
            if (!vector) {
                loops(e, nVars, 0, List.of(epilogue), body);
                return;
            }
            loops(e, nVars.subList(0, nVars.size() - 1), 0, List.of(), () -> {
                e.hoist(List.of(epilogue), inner.id());
                // in place, the product is the output: its epilogue must not run twice over an index
                VectorLoop.emit(e, stores, inner.id(), out, e.constant(0), e.constant(inner.extent()), body, Set.of(PRODUCT));
            });
        }));
        g.returnValue();
        g.endMethod();
    }

    private static Ix.Var last(List<Ix.Var> vars) { return vars.isEmpty() ? null : vars.get(vars.size() - 1); }

    /**
     * Whether a packer whose innermost loop is {@code v} reads consecutive addresses ({@link VectorLoop#readsAlong}; a
     * transposed operand read k-step by k-step was 1.6 ns per element written row by row).
     */
    private static boolean readsAlong(Expr e, Ix.Var v) { return v != null && VectorLoop.readsAlong(e, v.id()); }

    /** The pseudo buffer id of the product C in a contraction's epilogue, and the loop-variable id of its offset. */
    private static final int PRODUCT = -2, C_OFFSET = 9;

    /**
     * Rows per A panel the generated packA writes for this contraction, or 0 for row-major. Panels only when A is one
     * panel tall: then the layout is plain {@code k·r + m} and writing it costs no more than row-major, while the GEMM
     * core is spared a second packing pass (conv1's weight gradient, m = 6, k = 50,176: 2.2× faster). Taller operands
     * stay row-major: a panel index per element (a division by the panel size of a flattened index) made the packers
     * slower than the pass they saved.
     */
    static int panelRows(Kernel.Contraction c, Gemm gemm) {
        int r = gemm.panelRows();
        return panelsPay(c) && c.m() <= r ? r : 0;
    }

    private static boolean panelsPay(Kernel.Contraction c) {
        return c.a().dtype() == DType.F32 && (long) c.m() * c.n() * c.k() > Gemm.SMALL_WORK;
    }

    /** Columns per B panel the generated packB writes, or 0 for row-major: panels only when B is one panel wide. */
    static int panelCols(Kernel.Contraction c, Gemm gemm) {
        int q = gemm.panelCols();
        return panelsPay(c) && c.n() <= q ? q : 0;
    }

    /** Where operand element (outer, k) goes in panel layout: {@code ((outer / width)·K + k)·width + outer % width}. */
    private static Ix panelIndex(Ix outer, Ix kIdx, int depth, int width) {
        return outer.div(width).times((long) depth * width).plus(kIdx.times(width)).plus(outer.mod(width));
    }

    /** {@code boolean name()} returning a constant. */
    private static void booleanMethod(ClassWriter cw, String name, boolean value) {
        constantMethod(cw, name, Type.BOOLEAN_TYPE, value ? 1 : 0);     // a boolean is an int 0 or 1 in bytecode
    }

    /** {@code int name()} returning a constant. */
    private static void intMethod(ClassWriter cw, String name, int value) {
        constantMethod(cw, name, Type.INT_TYPE, value);
    }

    /** A no-argument method of type {@code type} (int or boolean) returning {@code value}. */
    private static void constantMethod(ClassWriter cw, String name, Type type, int value) {
        GeneratorAdapter g = new GeneratorAdapter(Opcodes.ACC_PUBLIC, new Method(name, type, new Type[0]), null, null, cw);
        g.visitCode();
        g.push(value);
        g.returnValue();
        g.endMethod();
    }

    private static List<Ix.Var> concat(List<Ix.Var> a, List<Ix.Var> b) {
        List<Ix.Var> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * {@code name(Object[] buffers, int batch, Object dst)}: dst[index] = value over the given loops, the innermost in
     * vectors when it writes consecutive floats and reads as {@link VectorLoop#supportsPacker} allows.
     */
    private static void pack(ClassWriter cw, Kernel.Contraction c, KernelGraph graph, boolean vectors, String name, Type array,
                             List<Ix.Var> vars, Ix index, Expr value) {
        GeneratorAdapter g = new GeneratorAdapter(Opcodes.ACC_PUBLIC, new Method(name, Type.VOID_TYPE,
                new Type[] {OBJECT_ARRAY, Type.INT_TYPE, Type.getType(Object.class)}), null, null, cw);
        g.visitCode();
        KernelEmitter e = new KernelEmitter(g);
        for (int id : Kernels.reads(value)) e.bindBuffer(0, id, graph.buffer(id).dtype());
        int dst = g.newLocal(array);
        g.loadArg(2);
        g.checkCast(array);
        g.storeLocal(dst);
        int packId = -1;                  // a pseudo buffer id for the destination
        e.bindBufferLocal(packId, dst);
        e.bindVar(Kernel.Contraction.B, batchLocal(g));
        Runnable body = () -> e.store(packId, index, value.dtype(), () -> e.expr(value));
        Ix.Var inner = last(vars);
        long elements = vars.stream().mapToLong(Ix.Var::extent).reduce(1, (x, y) -> x * y);
        Long step = inner == null ? null : index.linearCoefficient(inner.id());
        if (vectors && step != null && step == 1 && VectorLoop.supportsPacker(value, inner.id(), inner.extent(), elements)) {
            loops(e, vars.subList(0, vars.size() - 1), 0, List.of(), () -> {
                e.hoist(List.of(value), inner.id());
                VectorLoop.emit(e, List.of(new Kernel.Store(packId, value)), inner.id(), index, e.constant(0),
                        e.constant(inner.extent()), body);
            });
        } else {
            loops(e, vars, 0, List.of(value), body);
        }
        g.returnValue();
        g.endMethod();
    }

    /** The batch argument (index 1) copied into a local the emitter treats as loop variable B. */
    private static int batchLocal(GeneratorAdapter g) {
        int local = g.newLocal(Type.INT_TYPE);
        g.loadArg(1);
        g.storeLocal(local);
        return local;
    }
}
