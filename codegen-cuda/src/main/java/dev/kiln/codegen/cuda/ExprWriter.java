package dev.kiln.codegen.cuda;

import dev.kiln.ir.DType;
import dev.kiln.ir.Op;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Ix;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes kernel-IR expressions as C statements: each distinct subexpression becomes one {@code const} local per
 * scope (the C counterpart of the JVM backend's KernelEmitter), index expressions become int arithmetic, masked
 * expressions an {@code if} that evaluates their inside only where the guard holds. Loop variable {@code i<k>} must
 * be a C int in scope wherever an index mentions it.
 */
final class ExprWriter {
    private final CWriter w;
    private final Deque<Map<Expr, String>> scopes = new ArrayDeque<>();
    private int next;
    private String accumulator;

    ExprWriter(CWriter w) {
        this.w = w;
        scopes.push(new HashMap<>());
    }

    /** The C name {@link Expr.Acc} stands for in what follows. */
    void accumulator(String name) { accumulator = name; }

    /** Runs {@code body} with a fresh subexpression scope: values computed inside are forgotten after. */
    void scoped(Runnable body) {
        scopes.push(new HashMap<>());
        try {
            body.run();
        } finally {
            scopes.pop();
        }
    }

    // ---- index arithmetic ---------------------------------------------------------------------------------------

    /** An index expression as a C int expression. */
    static String ix(Ix x) {
        StringBuilder s = new StringBuilder();
        for (Ix.Term t : x.terms()) {
            String atom = atom(t.atom());
            if (s.isEmpty()) {
                s.append(t.coef() == 1 ? atom : t.coef() == -1 ? "-" + atom : t.coef() + " * " + atom);
            } else {
                s.append(t.coef() < 0 ? " - " : " + ");
                long c = Math.abs(t.coef());
                s.append(c == 1 ? atom : c + " * " + atom);
            }
        }
        long c = x.constantPart();
        if (s.isEmpty()) return Long.toString(c);
        if (c != 0) s.append(c < 0 ? " - " : " + ").append(Math.abs(c));
        return s.toString();
    }

    private static String atom(Ix.Atom a) {
        return switch (a) {
            case Ix.Var v -> "i" + v.id();
            case Ix.Div d -> d.x().min() >= 0 ? "(" + operand(d.x()) + " / " + d.divisor() + ")" : "kiln_floordiv(" + ix(d.x()) + ", " + d.divisor() + ")";
            case Ix.Mod m -> m.x().min() >= 0 ? "(" + operand(m.x()) + " % " + m.divisor() + ")" : "kiln_floormod(" + ix(m.x()) + ", " + m.divisor() + ")";
        };
    }

    /** {@code x} ready to be an operand of / or %: parenthesized unless it is a single atom (which renders self-contained). */
    private static String operand(Ix x) {
        String s = ix(x);
        return x.constantPart() == 0 && x.terms().size() == 1 && x.terms().get(0).coef() == 1 ? s : "(" + s + ")";
    }

    // ---- scalar expressions -------------------------------------------------------------------------------------

    /** Writes the statements computing {@code e} (those not already computed in scope) and returns a C expression for it. */
    String expr(Expr e) {
        if (e instanceof Expr.Const c) return CTypes.literal(c.value(), c.dtype());
        if (e instanceof Expr.Acc) {
            if (accumulator == null) throw new IllegalStateException("no accumulator in this kernel part");
            return accumulator;
        }
        for (Map<Expr, String> scope : scopes) {
            String name = scope.get(e);
            if (name != null) return name;
        }
        String name = "v" + next++;
        if (e instanceof Expr.Masked m) masked(m, name);
        else w.line("const " + CTypes.value(e.dtype()) + " " + name + " = " + compute(e) + ";");
        scopes.peek().put(e, name);
        return name;
    }

    private String compute(Expr e) {
        return switch (e) {
            case Expr.Load l -> {
                String load = "b" + l.buffer() + "[" + ix(l.index()) + "]";
                yield l.dtype() == DType.BOOL ? "(int) " + load : load;
            }
            case Expr.Unary u -> unary(u.fn(), expr(u.x()), u.dtype());
            case Expr.Binary b -> binary(b, expr(b.a()), expr(b.b()));
            case Expr.Where wh -> {
                String a = expr(wh.a()), b = expr(wh.b()), c = expr(wh.cond());
                yield c + " != 0 ? " + a + " : " + b;
            }
            case Expr.Cast c -> CTypes.convert(expr(c.x()), c.x().dtype(), c.dtype());
            case Expr.Random r -> "kiln_uniform(" + CTypes.convert(expr(r.seed()), r.seed().dtype(), DType.I64) + ", "
                    + CTypes.literal(r.salt(), DType.I64) + ", (long long) (" + ix(r.element()) + "))";
            case Expr.Const c -> throw new AssertionError(c);
            case Expr.Acc a -> throw new AssertionError(a);
            case Expr.Masked m -> throw new AssertionError(m);
        };
    }

    private void masked(Expr.Masked m, String name) {
        StringBuilder guard = new StringBuilder();
        for (Expr.Bound b : m.bounds()) {
            String i = ix(b.index());
            if (b.index().min() < b.lo()) guard.append(guard.isEmpty() ? "" : " && ").append(i).append(" >= ").append(b.lo());
            if (b.index().max() > b.hi()) guard.append(guard.isEmpty() ? "" : " && ").append(i).append(" <= ").append(b.hi());
        }
        w.line(CTypes.value(m.dtype()) + " " + name + " = " + CTypes.literal(m.fill(), m.dtype()) + ";");
        if (guard.isEmpty()) guard.append("1");
        w.open("if (" + guard + ")");
        scoped(() -> w.line(name + " = " + expr(m.x()) + ";"));
        w.close();
    }

    private static String unary(Op.UnaryFn fn, String x, DType t) {
        String type = CTypes.value(t);
        return switch (fn) {
            case NEG -> t == DType.I32 ? "(int) (0u - (unsigned) " + x + ")" : t == DType.I64 ? "(long long) (0ull - (unsigned long long) " + x + ")" : "-(" + x + ")";
            case RECIPROCAL -> t.isFloating() ? CTypes.literal(1, t) + " / " + x : "kiln_div(" + CTypes.literal(1, t) + ", " + x + ")";
            case EXP, LOG, SQRT, TANH -> viaDouble(fn.name().toLowerCase(), x, t);
            case ABS -> "kiln_abs(" + x + ")";
            case SIGN -> "kiln_sign(" + x + ")";
            case RELU -> "kiln_max(" + x + ", " + CTypes.literal(0, t) + ")";
            case SIGMOID -> CTypes.convert("(1.0 / (1.0 + exp(-(double) " + x + ")))", DType.F64, t);
        };
    }

    /** {@code fn} computed in double and converted back, as the JVM backend does with java.lang.Math. */
    private static String viaDouble(String fn, String x, DType t) {
        return CTypes.convert(fn + "((double) " + x + ")", DType.F64, t);
    }

    private static String binary(Expr.Binary b, String x, String y) {
        DType t = b.a().dtype();
        String r = switch (b.fn()) {
            case ADD -> wrapping(t, x, "+", y);
            case SUB -> wrapping(t, x, "-", y);
            case MUL -> wrapping(t, x, "*", y);
            case DIV -> t.isFloating() ? x + " / " + y : "kiln_div(" + x + ", " + y + ")";
            case MAX -> "kiln_max(" + x + ", " + y + ")";
            case MIN -> "kiln_min(" + x + ", " + y + ")";
            case POW -> CTypes.convert("kiln_pow((double) " + x + ", (double) " + y + ")", DType.F64, t == DType.BOOL ? DType.I32 : t);
            case LT -> "(" + x + " < " + y + ")";
            case EQ -> "(" + x + " == " + y + ")";
        };
        return b.dtype() == DType.BOOL && b.fn() != Op.BinaryFn.LT && b.fn() != Op.BinaryFn.EQ ? "((" + r + ") != 0)" : r;
    }

    /** Integer arithmetic wraps around as on the JVM (done in unsigned, where C defines it). */
    private static String wrapping(DType t, String x, String op, String y) {
        return switch (t) {
            case I32 -> "(int) ((unsigned) " + x + " " + op + " (unsigned) " + y + ")";
            case I64 -> "(long long) ((unsigned long long) " + x + " " + op + " (unsigned long long) " + y + ")";
            default -> x + " " + op + " " + y;
        };
    }
}
