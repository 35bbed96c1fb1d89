package dev.kiln.codegen.jvm;

import dev.kiln.ir.DType;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Ix;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.GeneratorAdapter;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pointwise kernel's innermost loop in 8-lane float vectors ({@link VectorCode}); the last few indices run as one more
 * vector step that overlaps the one before where redoing indices gives the same bits ({@link #emit}), else in the
 * scalar body. The JIT vectorizes simple loops by itself, but gives up on large bodies (a kernel computing an
 * optimizer's weights and both moments ran 5× slower than the three kernels it replaced); emitting the vectors keeps
 * such kernels fast.
 *
 * <p>Only kernels whose every value is float32 arithmetic that vector lanes round exactly as the scalar code does
 * (+ − × ÷, sqrt, abs, neg, reciprocal, max/min, ReLU, less-than/equal masks, selects, masks as 0/1) and whose loads
 * are contiguous along the loop, every second element ({@code loadEvens}), independent of it, or repeat each value 2,
 * 4 or 8 times along it ({@link #repeats}):
 * vector and scalar loops give the same bits, so results don't depend on where the vector loop stops (thread ranges,
 * extents). Anything else runs the scalar loop.
 */
final class VectorLoop {
    static final int LANES = 8;

    static final Type VECTOR = Type.getObjectType("jdk/incubator/vector/FloatVector");
    static final Type DOUBLES = Type.getObjectType("jdk/incubator/vector/DoubleVector");

    /** Off with {@code -Dkiln.pointwise.scalar=true}, or when jdk.incubator.vector or 8-lane float hardware is missing. */
    static final boolean ENABLED = !Boolean.getBoolean("kiln.pointwise.scalar") && vectorsUsable("usable");

    /** Whether 8 float64 lanes are native (512-bit vectors), as window sums need: emulated, they would be slower than scalar. */
    static final boolean WIDE = ENABLED && vectorsUsable("wide");

    private final KernelEmitter e;
    private final Map<Expr, Integer> values = new HashMap<>();
    private final int acc;                                  // the local holding Expr.Acc's vector, or -1

    private VectorLoop(KernelEmitter e) { this(e, -1); }

    private VectorLoop(KernelEmitter e, int acc) {
        this.e = e;
        this.acc = acc;
    }

    private static boolean vectorsUsable(String check) {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return false;
        try {
            // reflection keeps the Vector API out of this class's linking when the module is absent
            var usable = Class.forName("dev.kiln.codegen.jvm.VectorOps").getDeclaredMethod(check);
            return (Boolean) usable.invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return false;
        }
    }

    /**
     * Kernels smaller than this stay scalar: until the JIT's optimizing tier compiles a kernel, every vector operation
     * allocates (and is slow), and a small kernel, invoked once per step with a short loop, takes thousands of steps to
     * get there, while vectors would save it little.
     */
    static final int MIN_ELEMENTS = 16384;

    /**
     * Whether a loop nest of {@code elements} iterations storing {@code stores} can run its innermost loop, over
     * variable {@code var} (extent {@code extent}), in vectors.
     */
    static boolean supports(List<Kernel.Store> stores, int var, int extent, boolean fromZero, long elements, KernelGraph graph) {
        if (extent < LANES || elements < MIN_ELEMENTS) return false;
        for (Kernel.Store st : stores) {
            if (graph.buffer(st.output()).dtype() != DType.F32 || !floats(st.value(), var, fromZero)) return false;
        }
        return true;
    }

    /**
     * Whether a contraction's operand packer, writing {@code value} to consecutive floats along {@code var} (extent
     * {@code extent}), {@code elements} in all, can run in vectors. Packers run once per product, so a smaller one than
     * {@link #MIN_ELEMENTS} pays: seed002's ReLU'd 64×100 operand took 4 µs per step in scalar code.
     */
    static boolean supportsPacker(Expr value, int var, int extent, long elements) {
        return extent >= LANES && elements >= MIN_PACKER_ELEMENTS && floats(value, var, true);
    }

    /** The fewest elements a packer runs in vectors. */
    static final int MIN_PACKER_ELEMENTS = 4096;

    private static boolean floats(Expr x, int var, boolean fromZero) {
        if (x.dtype() != DType.F32) return false;
        if (invariant(x, var)) return true;
        return switch (x) {
            case Expr.Load l -> {
                Long c = l.index().linearCoefficient(var);
                yield c != null && (c == 1 || c == 2) || fromZero && repeats(l.index(), var) > 0;
            }
            case Expr.Acc a -> true;                   // a reduction's folded value (see emitWindow)
            case Expr.Unary u -> switch (u.fn()) {
                case NEG, ABS, SQRT, RELU, RECIPROCAL -> floats(u.x(), var, fromZero);
                default -> false;
            };
            case Expr.Binary b -> switch (b.fn()) {
                case ADD, SUB, MUL, DIV, MAX, MIN -> floats(b.a(), var, fromZero) && floats(b.b(), var, fromZero);
                default -> false;
            };
            case Expr.Where w -> isMask(w.cond(), var, fromZero) && floats(w.a(), var, fromZero) && floats(w.b(), var, fromZero);
            case Expr.Cast c -> isMask(c.x(), var, fromZero);
            default -> false;
        };
    }

    private static boolean isMask(Expr x, int var, boolean fromZero) {
        return x instanceof Expr.Binary b && x.dtype() == DType.BOOL && (b.fn() == dev.kiln.ir.Op.BinaryFn.LT || b.fn() == dev.kiln.ir.Op.BinaryFn.EQ)
                && floats(b.a(), var, fromZero) && floats(b.b(), var, fromZero);
    }

    /**
     * For an index whose only use of the loop variable is one term {@code (var + c)/d} (coefficient 1; c ≥ 0 a multiple
     * of d; d 2, 4 or 8): d, the number of lanes each value repeats in (a nearest-neighbour upsampling, e.g. a 2×2
     * pooling's gradient read at every input element). In a vector starting at a multiple of 8, lane j then reads
     * index(start) + j/d. Otherwise 0.
     */
    static int repeats(Ix index, int var) {
        Ix.Term only = null;
        for (Ix.Term t : index.terms()) {
            boolean mentions = switch (t.atom()) {
                case Ix.Var v -> v.id() == var;
                case Ix.Div d -> d.x().mentions(var);
                case Ix.Mod m -> m.x().mentions(var);
            };
            if (!mentions) continue;
            if (only != null) return 0;
            only = t;
        }
        if (only == null || only.coef() != 1 || !(only.atom() instanceof Ix.Div d)) return 0;
        Ix x = d.x();
        boolean plain = x.terms().size() == 1 && x.terms().get(0).atom() instanceof Ix.Var v && v.id() == var
                && x.terms().get(0).coef() == 1 && x.constantPart() >= 0 && x.constantPart() % d.divisor() == 0;
        return plain && LANES % d.divisor() == 0 ? (int) d.divisor() : 0;
    }

    /**
     * {@code p} with its last two axes (extents A and B, after the parallel axis {@code par}) merged into one of extent
     * A·B, or null when some index can't be written in the merged variable w = a·B + b: each must use a and b as
     * {@code c·(B·a + b)}, {@code c·a} (then {@code c·(w / B)}, a value repeated B times) or not at all. A max-pool's
     * gradient mask over [N, C, H/2, 2, W/2, 2] becomes a loop of W over [N, C, H/2, 2, W], long enough for vectors.
     */
    static Kernel.Pointwise mergeInnermostAxes(Kernel.Pointwise p, int par) {
        dev.kiln.ir.Shape s = p.shape();
        int r = s.rank(), a = r - 2, b = r - 1;
        if (r < 2 || a <= par || s.dim(a) == 1 || s.dim(b) == 1) return null;
        int eb = s.dim(b);
        Ix w = Ix.var(a, s.dim(a) * eb);
        java.util.function.UnaryOperator<Ix> merge = ix -> {
            Ix merged = mergedIndex(ix, a, b, eb, w, true);
            if (merged == null) throw new NotMergeable();
            return merged;
        };
        try {
            List<Kernel.Store> stores = new java.util.ArrayList<>();
            for (Kernel.Store st : p.stores()) stores.add(new Kernel.Store(st.output(), dev.kiln.ir.kernel.Kernels.mapIndices(st.value(), merge)));
            int[] dims = java.util.Arrays.copyOf(s.dims(), r - 1);
            dims[a] = s.dim(a) * eb;
            return new Kernel.Pointwise(dev.kiln.ir.Shape.of(dims), stores);
        } catch (NotMergeable e) {
            return null;
        }
    }

    /**
     * {@code ix} with axes a and b (b's extent {@code eb}) written in the merged variable w = a·eb + b: c·w where it reads
     * them as c·(eb·a + b), unchanged where it reads neither, c·(w / eb) where it reads a alone and {@code repeated}
     * allows that (a value repeated eb times); else null.
     */
    static Ix mergedIndex(Ix ix, int a, int b, int eb, Ix w, boolean repeated) {
        Long ca = ix.linearCoefficient(a), cb = ix.linearCoefficient(b);
        if (ca == null || cb == null) return null;
        Ix rest = ix.substitute(a, Ix.constant(0)).substitute(b, Ix.constant(0));
        if (ca == 0 && cb == 0) return rest;
        if (ca == eb * cb) return rest.plus(w.times(cb));
        if (cb == 0 && repeated) return rest.plus(w.div(eb).times(ca));
        return null;
    }

    private static final class NotMergeable extends RuntimeException {
        NotMergeable() { super(null, null, false, false); }
    }

    /** Computed once per vector (no accumulator, doesn't depend on the loop variable): broadcast from the scalar. */
    private static boolean invariant(Expr x, int var) {
        return !KernelEmitter.containsAcc(x) && !KernelEmitter.mentions(x, var);
    }

    /**
     * {@code for (v = from; v + LANES <= to; v += LANES)} the {@code stores} in vectors at output offset {@code out}; the
     * indices left over run as one more vector step at {@code to − LANES}, over indices already done, where that gives
     * the same bits ({@link #redoable}), else {@code for (; v < to; v++) scalarBody}. Values that don't depend on
     * {@code var} are taken from the enclosing scope (hoisted by the caller).
     */
    static void emit(KernelEmitter e, List<Kernel.Store> stores, int var, Ix out, Runnable from, Runnable to, Runnable scalarBody) {
        emit(e, stores, var, out, from, to, scalarBody, Set.of());
    }

    /**
     * As above, where the buffers {@code alsoWritten} may be the stores' own at run time (a contraction's product, which
     * its epilogue may overwrite in place).
     */
    static void emit(KernelEmitter e, List<Kernel.Store> stores, int var, Ix out, Runnable from, Runnable to, Runnable scalarBody,
                     Set<Integer> alsoWritten) {
        Runnable block = () -> e.scoped(() -> step(e, stores, var, out));
        List<Expr> values = stores.stream().map(Kernel.Store::value).toList();
        int align = redoable(values, written(stores, alsoWritten)) ? alignment(values, var) : 0;
        e.steppedLoop(var, from, to, LANES, align, block, scalarBody);
    }

    /**
     * {@link #emit} from the top index down, for kernels that {@link #streamsDown}: the indices left at the bottom run
     * as one more vector step over indices already done, or one by one when the range is shorter than a step.
     */
    static void emitDown(KernelEmitter e, List<Kernel.Store> stores, int var, Ix out, Runnable from, Runnable to, Runnable scalarBody) {
        e.steppedLoopDown(var, from, to, LANES, () -> e.scoped(() -> step(e, stores, var, out)), scalarBody);
    }

    /** Pointwise kernels of at least this many elements may run from the top down ({@link #streamsDown}). */
    static final int DOWN_ELEMENTS = 1 << 20;

    /**
     * Whether a pointwise kernel of {@code elements} elements, storing {@code stores} with vector lanes along
     * {@code var}, should run every loop from the top index down ({@link #emitDown}). Why: this machine (an AMD EPYC
     * VM) streams arrays from memory 12–18% faster descending than ascending. Measured in C and in Java with 2²²-element
     * arrays: three loads and a store 1.80 → 1.50 ms, three loads 1.24 → 1.05 ms, a copy 0.76 → 0.66 ms; no change
     * for arrays that stay in the L2 (2¹⁸ elements), and a loop that only stores was 18% slower descending, hence the
     * load this asks for. Only for kernels where the order can't change a bit: each index's value computed from
     * inputs alone (no accumulator, no buffer the kernel writes, no repeated loads that need aligned steps), large
     * enough to stream from memory, with a load contiguous along {@code var}. BENCHMARKS.md (session 17) has the figures.
     */
    static boolean streamsDown(List<Kernel.Store> stores, int var, long elements) {
        if (elements < DOWN_ELEMENTS) return false;
        List<Expr> values = stores.stream().map(Kernel.Store::value).toList();
        if (!redoable(values, written(stores, Set.of())) || alignment(values, var) > 1) return false;
        for (Expr x : values) {
            for (Expr.Load l : dev.kiln.ir.kernel.Kernels.loads(x)) {
                Long c = l.index().linearCoefficient(var);
                if (c != null && c == 1) return true;
            }
        }
        return false;
    }

    private static Set<Integer> written(List<Kernel.Store> stores, Set<Integer> alsoWritten) {
        Set<Integer> written = new HashSet<>(alsoWritten);
        for (Kernel.Store st : stores) written.add(st.output());
        return written;
    }

    /**
     * Whether a vector step may run again over indices already done: its values read no accumulator and none of the
     * buffers it writes, so each index gets the same bits again. A 14-wide row is then two vector steps instead of one
     * and 6 scalar indices.
     */
    private static boolean redoable(List<Expr> values, Set<Integer> written) {
        for (Expr x : values) if (KernelEmitter.containsAcc(x)) return false;
        return !readsAny(values, written);
    }

    /** Whether some value loads one of {@code buffers}. */
    private static boolean readsAny(List<Expr> values, Set<Integer> buffers) {
        for (Expr x : values) {
            for (Expr.Load l : dev.kiln.ir.kernel.Kernels.loads(x)) if (buffers.contains(l.buffer())) return true;
        }
        return false;
    }

    /** The multiple a vector step's start must be for the values' repeated loads ({@link #repeats}); 1 without them. */
    private static int alignment(List<Expr> values, int var) {
        int align = 1;
        for (Expr x : values) {
            for (Expr.Load l : dev.kiln.ir.kernel.Kernels.loads(x)) align = Math.max(align, repeats(l.index(), var));
        }
        return align;
    }

    /** The {@code stores} at lanes var .. var+7, the variable as bound now (a straight-line step where the caller knows the extent). */
    static void step(KernelEmitter e, List<Kernel.Store> stores, int var, Ix out) {
        VectorLoop loop = new VectorLoop(e);
        for (Kernel.Store st : stores) {                                           // every load before the first store
            loop.vector(st.value(), var);
            e.g.pop();
        }
        for (Kernel.Store st : stores) {
            loop.vector(st.value(), var);
            store(e, st.output(), out);
        }
    }

    /** Stores the FloatVector on the stack at {@code buffer[index]}. */
    static void store(KernelEmitter e, int buffer, Ix index) {
        e.g.loadLocal(e.bufferLocal(buffer));
        e.ix(index);
        VectorCode.emit(e.g, "store");
    }

    /** Stores lanes 0 .. n−1 of the FloatVector on the stack at {@code buffer[index ..]} ({@link VectorCode}'s storeFirst). */
    private static void storeFirst(KernelEmitter e, int buffer, Ix index, int n) {
        e.g.loadLocal(e.bufferLocal(buffer));
        e.ix(index);
        e.g.push(n);
        VectorCode.emit(e.g, "storeFirst");
    }

    /** The most window elements {@link #emitWindow} unrolls. */
    static final int MAX_WINDOW = 16;

    /** The shortest output row {@link #emitWindow} runs in vector lanes (a masked step: {@link #shortWindow}). */
    static final int SHORT_ROW = 4;

    /**
     * Whether reduction {@code r} can run with vector lanes along its output axis {@code var} (extent {@code extent},
     * not the parallel axis, at least {@link #SHORT_ROW} long): a float32 max, or a float32 sum where float64 lanes are
     * native ({@link #WIDE}); windows of at most {@link #MAX_WINDOW} elements, a body and epilogue the lanes compute
     * exactly, and an output contiguous along {@code var}.
     */
    static boolean supportsWindow(Kernel.Reduction r, int var, int extent, KernelGraph graph) {
        boolean fn = r.fn() == dev.kiln.ir.Op.ReduceFn.MAX || (r.fn() == dev.kiln.ir.Op.ReduceFn.SUM && WIDE);
        if (!fn || r.body().dtype() != DType.F32 || extent < SHORT_ROW
                || r.domain().numel() < MIN_ELEMENTS || windowPoints(r).size() > MAX_WINDOW) return false;
        Long c = r.outIndex().linearCoefficient(var);
        return c != null && c == 1 && graph.buffer(r.output()).dtype() == DType.F32
                && floats(r.body(), var, true) && floats(r.epilogue(), var, true);
    }

    /** Every combination of the reduced variables' values (each as {@code int[]} over r.axes()). */
    private static List<int[]> windowPoints(Kernel.Reduction r) {
        List<int[]> points = new java.util.ArrayList<>(List.of(new int[r.axes().size()]));
        for (int i = 0; i < r.axes().size(); i++) {
            List<int[]> next = new java.util.ArrayList<>();
            for (int[] p : points) {
                for (int v = 0; v < r.domain().dim(r.axes().get(i)); v++) {
                    int[] q = p.clone();
                    q[i] = v;
                    next.add(q);
                    if (next.size() > MAX_WINDOW) return next;
                }
            }
            points = next;
        }
        return points;
    }

    /**
     * A reduction over small windows (a max-pool, or the window counts of its gradient) with vector lanes along output
     * axis {@code var}, which starts at 0: for v = 0, 8, … the window's elements (every combination of the reduced
     * variables, unrolled) are folded into each lane, then the epilogue is stored; the outputs left over are one more
     * vector step over outputs already done where {@link #redoesWindows} allows, else run {@code scalarBody} (the scalar
     * fold of one output). A row shorter than a vector is one masked step ({@link #shortWindow}). Lanes and scalar code
     * agree bit for bit: max is exact in any order, and a sum adds in float64 lanes in the scalar fold's own order (its
     * chains, then their pairwise sum).
     */
    static void emitWindow(KernelEmitter e, Kernel.Reduction r, int var, int extent, Ix out, Runnable scalarBody) {
        if (extent < LANES) {
            shortWindow(e, r, var, extent, out, scalarBody);
            return;
        }
        Runnable step = () -> e.scoped(() -> {
            new VectorLoop(e, window(e, r, var)).vector(r.epilogue(), var);
            store(e, r.output(), out);
        });
        if (redoesWindows(r, var, extent)) {
            e.clampedLoop(var, extent, LANES, step);
        } else {
            e.steppedLoop(var, e.constant(0), e.constant(extent), LANES, 0, step, scalarBody);
        }
    }

    /**
     * Whether a window reduction's outputs left over after whole steps can be one more vector step over outputs already
     * done ({@link KernelEmitter#clampedLoop}): its body and epilogue don't read its output, so an output done twice
     * gets the same bits, and that step's start is a multiple of the repeated loads' ({@link #alignment}). A 14-wide
     * pooled row then takes two vector steps instead of one and 6 outputs one by one: conv1's max-pool 110 → ~70 µs in the step.
     */
    static boolean redoesWindows(Kernel.Reduction r, int var, int extent) {
        List<Expr> values = List.of(r.body(), r.epilogue());       // the accumulator is folded anew at each step
        return !readsAny(values, Set.of(r.output())) && (extent - LANES) % alignment(values, var) == 0;
    }

    /**
     * A row of {@code extent} < {@link #LANES} outputs (conv2's pooled rows of 5) as one vector step that stores its first
     * {@code extent} lanes; the other lanes fold elements past the row, and the store drops them. Those reads stay in
     * the buffers as the step checks first: where one would leave its buffer (the last rows), the row runs
     * {@code scalarBody} output by output instead. Scalar rows of 5 took 65 µs of the LeNet step for conv2's max-pool.
     */
    private static void shortWindow(KernelEmitter e, Kernel.Reduction r, int var, int extent, Ix out, Runnable scalarBody) {
        GeneratorAdapter g = e.g;
        org.objectweb.asm.Label scalar = new org.objectweb.asm.Label(), end = new org.objectweb.asm.Label();
        e.scoped(() -> {
            e.bindVarTo(var, 0);
            List<Expr.Load> windowed = new java.util.ArrayList<>(), fixed = new java.util.ArrayList<>();
            for (Expr x : List.of(r.body(), r.epilogue())) {
                for (Expr.Load l : dev.kiln.ir.kernel.Kernels.loads(x)) {
                    if (!l.index().mentions(var)) continue;                 // a scalar read, as the scalar fold's
                    boolean moves = r.axes().stream().anyMatch(l.index()::mentions);
                    List<Expr.Load> into = moves ? windowed : fixed;
                    if (!into.contains(l)) into.add(l);
                }
            }
            exitUnlessInside(e, fixed, var, scalar);
            for (int[] point : windowPoints(r)) {
                e.scoped(() -> {
                    for (int i = 0; i < point.length; i++) e.bindVarTo(r.axes().get(i), point[i]);
                    exitUnlessInside(e, windowed, var, scalar);
                });
            }
            new VectorLoop(e, window(e, r, var)).vector(r.epilogue(), var);
            storeFirst(e, r.output(), out, extent);
        });
        g.goTo(end);
        g.mark(scalar);
        e.loop(var, e.constant(0), e.constant(extent), () -> e.scoped(scalarBody));
        g.mark(end);
    }

    /** Jumps to {@code outside} where one of the vector loads (lanes var .. var+7, as bound now) would leave its buffer. */
    private static void exitUnlessInside(KernelEmitter e, List<Expr.Load> loads, int var, org.objectweb.asm.Label outside) {
        GeneratorAdapter g = e.g;
        for (Expr.Load l : loads) {
            e.ix(l.index());
            g.push(LoadForm.of(l.index(), var).lastRead);
            g.math(GeneratorAdapter.ADD, Type.INT_TYPE);
            g.loadLocal(e.bufferLocal(l.buffer()));
            g.arrayLength();
            g.ifICmp(GeneratorAdapter.GE, outside);
        }
    }

    /** The lanes' fold over the window (max or sum), in a new FloatVector local. */
    private static int window(KernelEmitter e, Kernel.Reduction r, int var) {
        return r.fn() == dev.kiln.ir.Op.ReduceFn.SUM ? windowSum(e, r, var) : windowMax(e, r, var);
    }

    /** The lanes' max over the window, in a new FloatVector local. */
    private static int windowMax(KernelEmitter e, Kernel.Reduction r, int var) {
        GeneratorAdapter g = e.g;
        int acc = g.newLocal(VECTOR);
        g.push(Float.NEGATIVE_INFINITY);
        VectorCode.emit(g, "broadcast");
        g.storeLocal(acc);
        for (int[] point : windowPoints(r)) {
            e.scoped(() -> {
                for (int i = 0; i < point.length; i++) e.bindVarTo(r.axes().get(i), point[i]);
                g.loadLocal(acc);
                new VectorLoop(e).vector(r.body(), var);          // fresh caches: the window variables changed
                VectorCode.emit(g, "max");
                g.storeLocal(acc);
            });
        }
        return acc;
    }

    /**
     * The lanes' sum over the window, rounded to float32, in a new FloatVector local: the scalar fold's float64 chains
     * ({@link KernelCompiler#foldChains}), each element added to the chain the scalar fold gives it
     * ({@link KernelCompiler#foldChain}), then the chains summed pairwise as the scalar fold does.
     */
    private static int windowSum(KernelEmitter e, Kernel.Reduction r, int var) {
        GeneratorAdapter g = e.g;
        int[] chains = new int[KernelCompiler.foldChains(r)];
        for (int i = 0; i < chains.length; i++) {
            chains[i] = g.newLocal(DOUBLES);
            VectorCode.emit(g, "zeroDoubles");
            g.storeLocal(chains[i]);
        }
        int inner = -1;                                          // the innermost reduced axis that loops (index in axes)
        for (int i = 0; i < r.axes().size(); i++) if (r.domain().dim(r.axes().get(i)) > 1) inner = i;
        int innerExtent = inner < 0 ? 1 : r.domain().dim(r.axes().get(inner));
        for (int[] point : windowPoints(r)) {
            int chain = chains[inner < 0 ? 0 : KernelCompiler.foldChain(point[inner], innerExtent, chains.length)];
            e.scoped(() -> {
                for (int i = 0; i < point.length; i++) e.bindVarTo(r.axes().get(i), point[i]);
                g.loadLocal(chain);
                new VectorLoop(e).vector(r.body(), var);
                VectorCode.emit(g, "addDoubles");
                g.storeLocal(chain);
            });
        }
        for (int step = 1; step < chains.length; step *= 2) {         // pairwise, as KernelCompiler.reduction
            for (int i = 0; i + step < chains.length; i += 2 * step) {
                g.loadLocal(chains[i]);
                g.loadLocal(chains[i + step]);
                VectorCode.emit(g, "sumDoubles");
                g.storeLocal(chains[i]);
            }
        }
        int result = g.newLocal(VECTOR);
        g.loadLocal(chains[0]);
        VectorCode.emit(g, "toFloats");
        g.storeLocal(result);
        return result;
    }

    /**
     * Whether a float32 sum's innermost reduced loop ({@code loops}' last) can fold in float64 lanes: it folds in a
     * multiple of {@link #LANES} chains ({@link KernelCompiler#foldChains}: index i to chain i mod c, the last n mod c
     * to chain 0), which are then the lanes of one vector or two, and the vector loops can compute its body.
     */
    static boolean supportsLaneFold(Kernel.Reduction r, List<Integer> loops, KernelGraph graph) {
        if (!WIDE || loops.isEmpty() || KernelCompiler.foldChains(r) % LANES != 0 || r.domain().numel() < MIN_ELEMENTS) return false;
        return floats(r.body(), loops.get(loops.size() - 1), true);
    }

    /** Whether {@code x} reads memory, every load along {@code axis} contiguous or not depending on it. */
    static boolean readsAlong(Expr x, int axis) {
        boolean any = false;
        for (Expr.Load l : dev.kiln.ir.kernel.Kernels.loads(x)) {
            Long c = l.index().linearCoefficient(axis);
            if (c == null || c > 1 || c < 0) return false;
            any |= c == 1;
        }
        return any;
    }

    /** A new local of float64 lanes, 0.0 in every lane. */
    static int zeroLanes(KernelEmitter e) {
        int lanes = e.g.newLocal(DOUBLES);
        VectorCode.emit(e.g, "zeroDoubles");
        e.g.storeLocal(lanes);
        return lanes;
    }

    /**
     * The innermost loop of a lane fold ({@link #supportsLaneFold}) over {@code axis} (extent n): 8 indices per vector
     * of {@code lanes} at a time, added to its lanes in float64 (chain v·8 + l is lane l of vector v), the last n mod
     * (8 · vectors) one by one to lane 0 of the first: each lane gets the same adds, in the same order, as the scalar
     * fold's chain of that number.
     */
    static void foldLanes(KernelEmitter e, Kernel.Reduction r, int axis, int n, int[] lanes) {
        GeneratorAdapter g = e.g;
        e.hoist(List.of(r.body()), axis);
        e.steppedLoop(axis, e.constant(0), e.constant(n), lanes.length * LANES, 0, () -> e.scoped(() -> {
            int start = e.varLocal(axis);
            for (int v = 0; v < lanes.length; v++) {
                int vector = v;
                e.scoped(() -> {
                    if (vector > 0) e.bindVarToSum(axis, start, vector * LANES);
                    g.loadLocal(lanes[vector]);
                    new VectorLoop(e).vector(r.body(), axis);
                    VectorCode.emit(g, "addDoubles");
                    g.storeLocal(lanes[vector]);
                });
            }
        }), () -> {
            int lanes0 = lanes[0];
            g.loadLocal(lanes0);
            e.expr(r.body());
            e.convert(DType.F32, DType.F64);
            VectorCode.emit(g, "addToFirstLane");
            g.storeLocal(lanes0);
        });
    }

    /** {@code local = lanes[i]} (a double). */
    static void lane(KernelEmitter e, int lanes, int i, int local) {
        e.g.loadLocal(lanes);
        e.g.push(i);
        VectorCode.emit(e.g, "lane");
        e.g.storeLocal(local);
    }

    /** Pushes the FloatVector of {@code x} at lanes var .. var+7; each distinct value is computed once. */
    private void vector(Expr x, int var) {
        Integer local = values.get(x);
        if (local != null) {
            e.g.loadLocal(local);
            return;
        }
        compute(x, var);
        local = e.g.newLocal(VECTOR);
        e.g.storeLocal(local);
        e.g.loadLocal(local);
        values.put(x, local);
    }

    private void compute(Expr x, int var) {
        if (invariant(x, var)) {
            e.expr(x);
            VectorCode.emit(e.g, "broadcast");
            return;
        }
        switch (x) {
            case Expr.Load l -> {
                e.g.loadLocal(e.bufferLocal(l.buffer()));
                e.ix(l.index());
                VectorCode.emit(e.g, LoadForm.of(l.index(), var).operation);
            }
            case Expr.Acc a -> {
                if (acc < 0) throw new IllegalStateException("no accumulator in this vector loop");
                e.g.loadLocal(acc);
            }
            case Expr.Unary u -> {
                vector(u.x(), var);
                VectorCode.emit(e.g, u.fn().name().toLowerCase());
            }
            case Expr.Binary b -> {
                vector(b.a(), var);
                vector(b.b(), var);
                VectorCode.emit(e.g, b.fn().name().toLowerCase());
            }
            case Expr.Where w -> {
                mask(w.cond(), var);
                vector(w.a(), var);
                vector(w.b(), var);
                VectorCode.emit(e.g, "where");
            }
            case Expr.Cast c -> {
                mask(c.x(), var);
                VectorCode.emit(e.g, "toFloat");
            }
            default -> throw new IllegalStateException("not a vector expression: " + x);
        }
    }

    private void mask(Expr x, int var) {
        Expr.Binary b = (Expr.Binary) x;
        vector(b.a(), var);
        vector(b.b(), var);
        VectorCode.emit(e.g, b.fn().name().toLowerCase());
    }

    /** How a vector load along the loop reads its buffer: the {@link VectorCode} operation, and its last float past the index. */
    private enum LoadForm {
        CONTIGUOUS("load", LANES - 1), EVENS("loadEvens", 2 * LANES - 2),
        REPEATED_2("loadRepeated2", LANES / 2 - 1), REPEATED_4("loadRepeated4", LANES / 4 - 1), REPEATED_8("loadRepeated8", 0);

        final String operation;
        final int lastRead;

        LoadForm(String operation, int lastRead) {
            this.operation = operation;
            this.lastRead = lastRead;
        }

        static LoadForm of(Ix index, int var) {
            return switch (repeats(index, var)) {
                case 2 -> REPEATED_2;
                case 4 -> REPEATED_4;
                case 8 -> REPEATED_8;
                default -> index.linearCoefficient(var) == 2 ? EVENS : CONTIGUOUS;
            };
        }
    }
}
