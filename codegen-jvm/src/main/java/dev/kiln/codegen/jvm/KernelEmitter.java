package dev.kiln.codegen.jvm;

import dev.kiln.ir.DType;
import dev.kiln.ir.Rng;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Ix;
import org.objectweb.asm.Label;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.GeneratorAdapter;
import org.objectweb.asm.commons.Method;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Emits kernel code at the level of intent: index expressions, typed scalar expressions (each distinct
 * subexpression computed once per scope), masked loads, counted loops, typed loads and stores. Values live on the
 * JVM stack in their dtype's Java type: float, double, int, long, and int 0/1 for bool.
 */
final class KernelEmitter {
    private static final Type MATH = Type.getType(Math.class);
    private static final Type RNG = Type.getType(Rng.class);

    final GeneratorAdapter g;
    private final Map<Integer, Integer> bufferLocals = new HashMap<>();
    private final Map<Integer, Integer> varLocals = new HashMap<>();
    private final Deque<Map<Expr, Integer>> scopes = new ArrayDeque<>();
    private int accLocal = -1;

    KernelEmitter(GeneratorAdapter g) {
        this.g = g;
        scopes.push(new HashMap<>());
    }

    // ---- types --------------------------------------------------------------------------------------------------

    static Type valueType(DType t) {
        return switch (t) {
            case F32 -> Type.FLOAT_TYPE;
            case F64 -> Type.DOUBLE_TYPE;
            case I32, BOOL -> Type.INT_TYPE;
            case I64 -> Type.LONG_TYPE;
        };
    }

    static Type elementType(DType t) { return t == DType.BOOL ? Type.BYTE_TYPE : valueType(t); }

    static Type arrayType(DType t) { return Type.getType("[" + elementType(t).getDescriptor()); }

    // ---- buffers, variables, accumulator ------------------------------------------------------------------------

    /** Loads {@code buffers[id]} (argument {@code arg}, an Object[]) into a typed local once. */
    void bindBuffer(int arg, int id, DType dtype) {
        if (bufferLocals.containsKey(id)) return;
        int local = g.newLocal(arrayType(dtype));
        g.loadArg(arg);
        g.push(id);
        g.arrayLoad(Type.getType(Object.class));
        g.checkCast(arrayType(dtype));
        g.storeLocal(local);
        bufferLocals.put(id, local);
    }

    /** Binds an array-typed local to a buffer id (e.g. a pack buffer passed as an argument). */
    void bindBufferLocal(int id, int local) { bufferLocals.put(id, local); }

    int bufferLocal(int id) {
        Integer l = bufferLocals.get(id);
        if (l == null) throw new IllegalStateException("buffer b" + id + " is not bound");
        return l;
    }

    int newVar(int id) {
        int local = g.newLocal(Type.INT_TYPE);
        varLocals.put(id, local);
        return local;
    }

    void bindVar(int id, int local) { varLocals.put(id, local); }

    /** The local loop variable {@code id} is bound to. */
    int varLocal(int id) { return varLocals.get(id); }

    /** Binds loop variable {@code id} to a fresh local holding the constant {@code value} (an unrolled copy's index). */
    void bindVarTo(int id, int value) {
        int local = g.newLocal(Type.INT_TYPE);
        g.push(value);
        g.storeLocal(local);
        varLocals.put(id, local);
    }

    void setAccumulator(int local) { accLocal = local; }

    // ---- loops --------------------------------------------------------------------------------------------------

    /** {@code for (var = from; var < to; var++) body}; {@code from} and {@code to} push ints. */
    void loop(int varId, Runnable from, Runnable to, Runnable body) {
        int v = varLocals.containsKey(varId) ? varLocals.get(varId) : newVar(varId);
        from.run();
        g.storeLocal(v);
        Label head = new Label(), end = new Label();
        g.mark(head);
        g.loadLocal(v);
        to.run();
        g.ifICmp(GeneratorAdapter.GE, end);
        body.run();
        g.iinc(v, 1);
        g.goTo(head);
        g.mark(end);
    }

    /** {@code for (var = to − 1; var >= from; var--) body}: {@link #loop} from the other end. */
    void loopDown(int varId, Runnable from, Runnable to, Runnable body) {
        int v = varLocals.containsKey(varId) ? varLocals.get(varId) : newVar(varId);
        to.run();
        g.push(1);
        g.math(GeneratorAdapter.SUB, Type.INT_TYPE);
        g.storeLocal(v);
        Label head = new Label(), end = new Label();
        g.mark(head);
        g.loadLocal(v);
        from.run();
        g.ifICmp(GeneratorAdapter.LT, end);
        body.run();
        g.iinc(v, -1);
        g.goTo(head);
        g.mark(end);
    }

    /**
     * {@code for (var = 0; var < n; var++)} unrolled {@code copies} times: each step of the main loop runs
     * {@code body(c)} for c = 0 .. copies−1 with the variable bound to var + c (each copy in its own scope); the
     * remaining n mod copies iterations run {@code body(0)}.
     */
    void unrolledLoop(int varId, int n, int copies, java.util.function.IntConsumer body) {
        if (copies == n) {                                 // straight-line code, the variable a constant in each copy
            for (int c = 0; c < n; c++) {
                bindVarTo(varId, c);
                int copy = c;
                scoped(() -> body.accept(copy));
            }
            varLocals.remove(varId);
            return;
        }
        steppedLoop(varId, constant(0), constant(n), copies, () -> {
            int v = varLocals.get(varId);
            for (int c = 0; c < copies; c++) {
                bindVarToSum(varId, v, c);
                int copy = c;
                scoped(() -> body.accept(copy));
            }
        }, () -> body.accept(0));
    }

    /**
     * {@code for (var = from; var + step <= to; var += step) block; for (; var < to; var++) rest}: a loop that takes
     * {@code step} indices at a time (unrolled copies, vector lanes), then the ones left one by one, each in its own
     * scope. {@code block} may rebind the variable; it is bound to the loop's own local again after it.
     */
    void steppedLoop(int varId, Runnable from, Runnable to, int step, Runnable block, Runnable rest) {
        steppedLoop(varId, from, to, step, 0, block, rest);
    }

    /**
     * As above; with {@code align} > 0, when indices are left over and the range holds a whole step, one more step runs
     * at {@code to − step}, over indices already done, instead of the rest one by one, for blocks that compute each
     * index's value from inputs alone and store it, so that an index done twice gets the same bits. That step runs only
     * where {@code to − step} is a multiple of {@code align} (loads that repeat values need their step aligned).
     */
    void steppedLoop(int varId, Runnable from, Runnable to, int step, int align, Runnable block, Runnable rest) {
        int v = varLocals.containsKey(varId) ? varLocals.get(varId) : newVar(varId);
        int first = align > 0 ? g.newLocal(Type.INT_TYPE) : -1;
        from.run();
        if (align > 0) {
            g.dup();
            g.storeLocal(first);
        }
        g.storeLocal(v);
        Label head = new Label(), tail = new Label(), oneByOne = new Label(), end = new Label();
        g.mark(head);
        g.loadLocal(v);
        g.push(step);
        g.math(GeneratorAdapter.ADD, Type.INT_TYPE);
        to.run();
        g.ifICmp(GeneratorAdapter.GT, tail);
        block.run();
        varLocals.put(varId, v);
        g.iinc(v, step);
        g.goTo(head);
        g.mark(tail);
        if (align > 0) {
            g.loadLocal(v);
            to.run();
            g.ifICmp(GeneratorAdapter.GE, end);                 // nothing left
            to.run();
            g.loadLocal(first);
            g.math(GeneratorAdapter.SUB, Type.INT_TYPE);
            g.push(step);
            g.ifICmp(GeneratorAdapter.LT, oneByOne);            // the range is shorter than a step
            if (align > 1) {
                to.run();
                g.push(step);
                g.math(GeneratorAdapter.SUB, Type.INT_TYPE);
                g.push(align);
                g.math(GeneratorAdapter.REM, Type.INT_TYPE);
                g.ifZCmp(GeneratorAdapter.NE, oneByOne);
            }
            to.run();
            g.push(step);
            g.math(GeneratorAdapter.SUB, Type.INT_TYPE);
            g.storeLocal(v);
            block.run();
            varLocals.put(varId, v);
            g.goTo(end);
        }
        g.mark(oneByOne);
        loop(varId, () -> g.loadLocal(v), to, () -> scoped(rest));
        g.mark(end);
    }

    /**
     * {@link #steppedLoop} from the other end: {@code for (var = to − step; var >= from; var −= step) block}, then the
     * indices left at the bottom, {@code [from, var + step)}: when the range holds a whole step, as one more step at
     * {@code from} over indices already done (so {@code block} must give an index the same bits each time, and its
     * loads need no aligned start), else one by one through {@code rest}.
     */
    void steppedLoopDown(int varId, Runnable from, Runnable to, int step, Runnable block, Runnable rest) {
        int v = varLocals.containsKey(varId) ? varLocals.get(varId) : newVar(varId);
        int left = g.newLocal(Type.INT_TYPE);                   // the end of the indices left at the bottom
        to.run();
        g.push(step);
        g.math(GeneratorAdapter.SUB, Type.INT_TYPE);
        g.storeLocal(v);
        Label head = new Label(), bottom = new Label(), oneByOne = new Label(), end = new Label();
        g.mark(head);
        g.loadLocal(v);
        from.run();
        g.ifICmp(GeneratorAdapter.LT, bottom);
        block.run();
        varLocals.put(varId, v);
        g.iinc(v, -step);
        g.goTo(head);
        g.mark(bottom);
        g.loadLocal(v);
        g.push(step);
        g.math(GeneratorAdapter.ADD, Type.INT_TYPE);
        g.storeLocal(left);
        g.loadLocal(left);
        from.run();
        g.ifICmp(GeneratorAdapter.LE, end);                     // nothing left
        to.run();
        from.run();
        g.math(GeneratorAdapter.SUB, Type.INT_TYPE);
        g.push(step);
        g.ifICmp(GeneratorAdapter.LT, oneByOne);                // the range is shorter than a step
        from.run();
        g.storeLocal(v);
        block.run();
        varLocals.put(varId, v);
        g.goTo(end);
        g.mark(oneByOne);
        loop(varId, from, () -> g.loadLocal(left), () -> scoped(rest));
        g.mark(end);
    }

    /**
     * {@code for (s = 0; s < ceil(extent / step); s++) { var = min(s·step, extent − step); block }} over a constant
     * {@code extent} ≥ {@code step}: the indices left over are one more step, at {@code extent − step}, over indices
     * already done, for blocks that give an index the same bits each time. Unlike {@link #steppedLoop}'s extra step,
     * {@code block} is emitted once: a window reduction's unrolled step emitted twice made the JIT's code 4–6× slower.
     */
    void clampedLoop(int varId, int extent, int step, Runnable block) {
        if (extent < step) throw new IllegalArgumentException("extent " + extent + " is shorter than a step of " + step);
        int v = varLocals.containsKey(varId) ? varLocals.get(varId) : newVar(varId);
        int s = g.newLocal(Type.INT_TYPE);
        int steps = (extent + step - 1) / step;
        g.push(0);
        g.storeLocal(s);
        Label head = new Label(), end = new Label();
        g.mark(head);
        g.loadLocal(s);
        g.push(steps);
        g.ifICmp(GeneratorAdapter.GE, end);
        g.loadLocal(s);
        g.push(step);
        g.math(GeneratorAdapter.MUL, Type.INT_TYPE);
        g.push(extent - step);
        g.invokeStatic(Type.getType(Math.class), new Method("min", "(II)I"));
        g.storeLocal(v);
        block.run();
        varLocals.put(varId, v);
        g.iinc(s, 1);
        g.goTo(head);
        g.mark(end);
    }

    /** Binds loop variable {@code id} to a new local holding {@code start + add} ({@code start} an int local). */
    void bindVarToSum(int id, int start, int add) {
        int local = g.newLocal(Type.INT_TYPE);
        g.loadLocal(start);
        g.push(add);
        g.math(GeneratorAdapter.ADD, Type.INT_TYPE);
        g.storeLocal(local);
        varLocals.put(id, local);
    }

    /** Pushes loop variable {@code id}'s current value. */
    void loadVar(int id) {
        Integer local = varLocals.get(id);
        if (local == null) throw new IllegalStateException("loop variable i" + id + " is not bound");
        g.loadLocal(local);
    }

    /** Pushes {@code table[var]}, {@code table} a local holding an int[] ({@link IntTables}). */
    Runnable tableAt(int table, int var) {
        return () -> {
            g.loadLocal(table);
            loadVar(var);
            g.arrayLoad(Type.INT_TYPE);
        };
    }

    /** Runs {@code body} with a fresh subexpression scope (values computed inside are forgotten after). */
    void scoped(Runnable body) {
        scopes.push(new HashMap<>());
        try {
            body.run();
        } finally {
            scopes.pop();
        }
    }

    /** Pushes the int argument {@code arg}. */
    Runnable arg(int arg) { return () -> g.loadArg(arg); }

    /** Pushes the int constant {@code c}. */
    Runnable constant(int c) { return () -> g.push(c); }

    // ---- loop-invariant code motion ----------------------------------------------------------------------------

    /**
     * Evaluates, in the current scope, every maximal subexpression of {@code exprs} that does not depend on loop
     * variable {@code var} (so the loop over it finds them computed). Never reaches into a masked expression whose
     * guard depends on the variable: what it guards may only be evaluated where the guard holds.
     */
    void hoist(java.util.List<Expr> exprs, int var) {
        for (Expr e : exprs) hoistFrom(e, var);
    }

    private void hoistFrom(Expr e, int var) {
        if (!(e instanceof Expr.Const) && !containsAcc(e) && !mentions(e, var)) {
            expr(e);
            if (valueType(e.dtype()).getSize() == 2) g.pop2();
            else g.pop();
            return;
        }
        switch (e) {
            case Expr.Unary u -> hoistFrom(u.x(), var);
            case Expr.Binary b -> { hoistFrom(b.a(), var); hoistFrom(b.b(), var); }
            case Expr.Where w -> { hoistFrom(w.cond(), var); hoistFrom(w.a(), var); hoistFrom(w.b(), var); }
            case Expr.Cast c -> hoistFrom(c.x(), var);
            case Expr.Random r -> hoistFrom(r.seed(), var);
            case Expr.Masked m -> { }                     // variant guard: its inside stays guarded
            case Expr.Load l -> { }
            case Expr.Const c -> { }
            case Expr.Acc a -> { }
        }
    }

    static boolean mentions(Expr e, int var) {
        return switch (e) {
            case Expr.Load l -> l.index().mentions(var);
            case Expr.Const c -> false;
            case Expr.Acc a -> false;
            case Expr.Unary u -> mentions(u.x(), var);
            case Expr.Binary b -> mentions(b.a(), var) || mentions(b.b(), var);
            case Expr.Where w -> mentions(w.cond(), var) || mentions(w.a(), var) || mentions(w.b(), var);
            case Expr.Cast c -> mentions(c.x(), var);
            case Expr.Masked m -> m.bounds().stream().anyMatch(b -> b.index().mentions(var)) || mentions(m.x(), var);
            case Expr.Random r -> r.element().mentions(var) || mentions(r.seed(), var);
        };
    }

    static boolean containsAcc(Expr e) {
        return switch (e) {
            case Expr.Acc a -> true;
            case Expr.Load l -> false;
            case Expr.Const c -> false;
            case Expr.Unary u -> containsAcc(u.x());
            case Expr.Binary b -> containsAcc(b.a()) || containsAcc(b.b());
            case Expr.Where w -> containsAcc(w.cond()) || containsAcc(w.a()) || containsAcc(w.b());
            case Expr.Cast c -> containsAcc(c.x());
            case Expr.Masked m -> containsAcc(m.x());
            case Expr.Random r -> containsAcc(r.seed());
        };
    }

    // ---- index arithmetic ---------------------------------------------------------------------------------------

    /** Pushes an index expression as an int. */
    void ix(Ix x) {
        boolean first = true;
        for (Ix.Term t : x.terms()) {
            atom(t.atom());
            if (t.coef() == -1) g.math(GeneratorAdapter.NEG, Type.INT_TYPE);
            else if (t.coef() != 1) {
                g.push((int) t.coef());
                g.math(GeneratorAdapter.MUL, Type.INT_TYPE);
            }
            if (!first) g.math(GeneratorAdapter.ADD, Type.INT_TYPE);
            first = false;
        }
        if (first) g.push((int) x.constantPart());
        else if (x.constantPart() != 0) {
            g.push((int) x.constantPart());
            g.math(GeneratorAdapter.ADD, Type.INT_TYPE);
        }
    }

    private void atom(Ix.Atom a) {
        switch (a) {
            case Ix.Var v -> {
                Integer local = varLocals.get(v.id());
                if (local == null) throw new IllegalStateException("loop variable i" + v.id() + " is not bound");
                g.loadLocal(local);
            }
            case Ix.Div d -> {
                ix(d.x());
                g.push((int) d.divisor());
                if (d.x().min() >= 0) g.math(GeneratorAdapter.DIV, Type.INT_TYPE);
                else g.invokeStatic(MATH, Method.getMethod("int floorDiv(int, int)"));
            }
            case Ix.Mod m -> {
                ix(m.x());
                g.push((int) m.divisor());
                if (m.x().min() >= 0) g.math(GeneratorAdapter.REM, Type.INT_TYPE);
                else g.invokeStatic(MATH, Method.getMethod("int floorMod(int, int)"));
            }
        }
    }

    // ---- scalar expressions -------------------------------------------------------------------------------------

    /** Pushes the value of {@code e} in its dtype's value type. */
    void expr(Expr e) {
        for (Map<Expr, Integer> scope : scopes) {
            Integer local = scope.get(e);
            if (local != null) {
                g.loadLocal(local);
                return;
            }
        }
        compute(e);
        if (e instanceof Expr.Const || e instanceof Expr.Acc) return;
        int local = g.newLocal(valueType(e.dtype()));
        g.storeLocal(local);
        g.loadLocal(local);
        scopes.peek().put(e, local);
    }

    private void compute(Expr e) {
        switch (e) {
            case Expr.Load l -> {
                g.loadLocal(bufferLocal(l.buffer()));
                ix(l.index());
                g.arrayLoad(elementType(l.dtype()));
            }
            case Expr.Const c -> push(c.value(), c.dtype());
            case Expr.Acc a -> {
                if (accLocal < 0) throw new IllegalStateException("no accumulator in this kernel part");
                g.loadLocal(accLocal);
            }
            case Expr.Unary u -> unary(u);
            case Expr.Binary b -> binary(b);
            case Expr.Where w -> select(w);
            case Expr.Cast c -> {
                expr(c.x());
                convert(c.x().dtype(), c.dtype());
            }
            case Expr.Masked m -> {
                int result = g.newLocal(valueType(m.dtype()));
                Label fill = new Label(), end = new Label();
                for (Expr.Bound b : m.bounds()) {
                    ix(b.index());
                    int v = g.newLocal(Type.INT_TYPE);
                    g.storeLocal(v);
                    if (b.index().min() < b.lo()) {
                        g.loadLocal(v);
                        g.push((int) b.lo());
                        g.ifICmp(GeneratorAdapter.LT, fill);
                    }
                    if (b.index().max() > b.hi()) {
                        g.loadLocal(v);
                        g.push((int) b.hi());
                        g.ifICmp(GeneratorAdapter.GT, fill);
                    }
                }
                scoped(() -> expr(m.x()));
                g.storeLocal(result);
                g.goTo(end);
                g.mark(fill);
                push(m.fill(), m.dtype());
                g.storeLocal(result);
                g.mark(end);
                g.loadLocal(result);
            }
            case Expr.Random r -> {
                expr(r.seed());
                convert(r.seed().dtype(), DType.I64);
                g.push(r.salt());
                ix(r.element());
                g.cast(Type.INT_TYPE, Type.LONG_TYPE);
                g.invokeStatic(RNG, Method.getMethod("float uniform(long, long, long)"));
            }
        }
    }

    /**
     * {@code where} as a bit select, {@code (a & mask) | (b & ~mask)} with mask = −cond, on the values' raw bits. Both
     * sides are computed anyway; a branch here is data-dependent (a ReLU mask is a coin flip), and C2 sinks the chosen
     * side's arithmetic into it, so it mispredicts about half the time: 6× slower on LeNet's ReLU/pool gradient.
     */
    private void select(Expr.Where w) {
        Type vt = valueType(w.dtype());
        boolean wide = vt.getSize() == 2;
        Type bits = wide ? Type.LONG_TYPE : Type.INT_TYPE;
        int mask = g.newLocal(bits);
        expr(w.cond());
        g.math(GeneratorAdapter.NEG, Type.INT_TYPE);
        if (wide) g.cast(Type.INT_TYPE, Type.LONG_TYPE);
        g.storeLocal(mask);
        expr(w.a());
        toBits(vt);
        g.loadLocal(mask);
        g.math(GeneratorAdapter.AND, bits);
        expr(w.b());
        toBits(vt);
        g.loadLocal(mask);
        if (wide) g.push(-1L); else g.push(-1);
        g.math(GeneratorAdapter.XOR, bits);
        g.math(GeneratorAdapter.AND, bits);
        g.math(GeneratorAdapter.OR, bits);
        fromBits(vt);
    }

    private void toBits(Type vt) {
        if (vt.equals(Type.FLOAT_TYPE)) g.invokeStatic(Type.getType(Float.class), Method.getMethod("int floatToRawIntBits(float)"));
        else if (vt.equals(Type.DOUBLE_TYPE)) g.invokeStatic(Type.getType(Double.class), Method.getMethod("long doubleToRawLongBits(double)"));
    }

    private void fromBits(Type vt) {
        if (vt.equals(Type.FLOAT_TYPE)) g.invokeStatic(Type.getType(Float.class), Method.getMethod("float intBitsToFloat(int)"));
        else if (vt.equals(Type.DOUBLE_TYPE)) g.invokeStatic(Type.getType(Double.class), Method.getMethod("double longBitsToDouble(long)"));
    }

    void push(double v, DType t) {
        switch (t) {
            case F32 -> g.push((float) v);
            case F64 -> g.push(v);
            case I32 -> g.push((int) v);
            case I64 -> g.push((long) v);
            case BOOL -> g.push(v != 0 ? 1 : 0);
        }
    }

    private void unary(Expr.Unary u) {
        DType t = u.dtype();
        Type vt = valueType(t);
        switch (u.fn()) {
            case NEG -> {
                expr(u.x());
                g.math(GeneratorAdapter.NEG, vt);
            }
            case RECIPROCAL -> {
                push(1, t);
                expr(u.x());
                g.math(GeneratorAdapter.DIV, vt);
            }
            case EXP -> viaDouble(u.x(), "exp");
            case LOG -> viaDouble(u.x(), "log");
            case SQRT -> viaDouble(u.x(), "sqrt");
            case TANH -> viaDouble(u.x(), "tanh");
            case ABS -> {
                expr(u.x());
                g.invokeStatic(MATH, new Method("abs", vt, new Type[] {vt}));
            }
            case SIGN -> {
                expr(u.x());
                switch (t) {
                    case F32, F64 -> g.invokeStatic(MATH, new Method("signum", vt, new Type[] {vt}));
                    case I32, BOOL -> g.invokeStatic(Type.getType(Integer.class), Method.getMethod("int signum(int)"));
                    case I64 -> {
                        g.invokeStatic(Type.getType(Long.class), Method.getMethod("int signum(long)"));
                        g.cast(Type.INT_TYPE, Type.LONG_TYPE);
                    }
                }
            }
            case RELU -> {                         // Math.max: branch-free, and NaN stays NaN
                expr(u.x());
                push(0, t);
                g.invokeStatic(MATH, new Method("max", vt, new Type[] {vt, vt}));
            }
            case SIGMOID -> {                      // 1 / (1 + exp(-x)), in double
                g.push(1.0);
                g.push(1.0);
                expr(u.x());
                g.cast(vt, Type.DOUBLE_TYPE);
                g.math(GeneratorAdapter.NEG, Type.DOUBLE_TYPE);
                g.invokeStatic(MATH, Method.getMethod("double exp(double)"));
                g.math(GeneratorAdapter.ADD, Type.DOUBLE_TYPE);
                g.math(GeneratorAdapter.DIV, Type.DOUBLE_TYPE);
                g.cast(Type.DOUBLE_TYPE, vt);
            }
        }
    }

    /** Applies {@code Math.name(double)} to x, converting to double and back. */
    private void viaDouble(Expr x, String name) {
        Type vt = valueType(x.dtype());
        expr(x);
        g.cast(vt, Type.DOUBLE_TYPE);
        g.invokeStatic(MATH, new Method(name, Type.DOUBLE_TYPE, new Type[] {Type.DOUBLE_TYPE}));
        g.cast(Type.DOUBLE_TYPE, vt);
    }

    private void binary(Expr.Binary b) {
        DType operand = b.a().dtype();
        Type vt = valueType(operand);
        switch (b.fn()) {
            case ADD, SUB, MUL, DIV -> {
                expr(b.a());
                expr(b.b());
                int op = switch (b.fn()) {
                    case ADD -> GeneratorAdapter.ADD;
                    case SUB -> GeneratorAdapter.SUB;
                    case MUL -> GeneratorAdapter.MUL;
                    default -> GeneratorAdapter.DIV;
                };
                g.math(op, vt);
                if (b.dtype() == DType.BOOL) convert(DType.I32, DType.BOOL);   // bool arithmetic stays 0/1
            }
            case MAX, MIN -> {
                expr(b.a());
                expr(b.b());
                g.invokeStatic(MATH, new Method(b.fn() == dev.kiln.ir.Op.BinaryFn.MAX ? "max" : "min", vt, new Type[] {vt, vt}));
            }
            case POW -> {
                expr(b.a());
                g.cast(vt, Type.DOUBLE_TYPE);
                expr(b.b());
                g.cast(vt, Type.DOUBLE_TYPE);
                g.invokeStatic(MATH, Method.getMethod("double pow(double, double)"));
                g.cast(Type.DOUBLE_TYPE, vt);
                if (b.dtype() == DType.BOOL) convert(DType.I32, DType.BOOL);
            }
            case LT, EQ -> {
                expr(b.a());
                expr(b.b());
                Label yes = new Label(), end = new Label();
                g.ifCmp(vt, b.fn() == dev.kiln.ir.Op.BinaryFn.LT ? GeneratorAdapter.LT : GeneratorAdapter.EQ, yes);
                g.push(0);
                g.goTo(end);
                g.mark(yes);
                g.push(1);
                g.mark(end);
            }
        }
    }

    /** Converts the value on the stack between dtypes, with cast semantics (bool: non-zero → 1). */
    void convert(DType from, DType to) {
        if (from == to) return;
        Type f = valueType(from), t = valueType(to);
        if (to == DType.BOOL) {
            Label nonzero = new Label(), end = new Label();
            switch (from) {
                case F32 -> { g.push(0f); g.ifCmp(Type.FLOAT_TYPE, GeneratorAdapter.NE, nonzero); }
                case F64 -> { g.push(0.0); g.ifCmp(Type.DOUBLE_TYPE, GeneratorAdapter.NE, nonzero); }
                case I64 -> { g.push(0L); g.ifCmp(Type.LONG_TYPE, GeneratorAdapter.NE, nonzero); }
                case I32, BOOL -> g.ifZCmp(GeneratorAdapter.NE, nonzero);
            }
            g.push(0);
            g.goTo(end);
            g.mark(nonzero);
            g.push(1);
            g.mark(end);
            return;
        }
        if (!f.equals(t)) g.cast(f, t);
    }

    /** Stores the value on the stack (of {@code dtype}) into buffer {@code id} at {@code index}. */
    /** Computes {@code exprs} into locals of the current scope (later uses read the locals). */
    void precompute(java.util.List<Expr> exprs) {
        for (Expr e : exprs) {
            expr(e);
            if (valueType(e.dtype()).getSize() == 2) g.pop2();
            else g.pop();
        }
    }

    void store(int id, Ix index, DType dtype, Runnable value) {
        g.loadLocal(bufferLocal(id));
        ix(index);
        value.run();
        if (dtype == DType.BOOL) {
            // the int 0/1 fits a byte as is
            g.arrayStore(Type.BYTE_TYPE);
        } else {
            g.arrayStore(elementType(dtype));
        }
    }
}
