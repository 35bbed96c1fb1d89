package dev.kiln.ir.kernel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An integer index expression over a kernel's loop variables: {@code constant + Σ coef·atom}, where an atom is a
 * loop variable, a floor division or a modulo by a positive constant. Every operation simplifies using the
 * variables' ranges, so the index arithmetic that movement ops produce (e.g. a reshape's flatten-then-unflatten)
 * folds back to plain strides where it can. Immutable, with structural equality.
 */
public final class Ix implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** A loop variable {@code id} ranging over {@code [0, extent)}. */
    public record Var(int id, int extent) implements Atom {
        @Override public String toString() { return "i" + id; }
    }

    public record Div(Ix x, long divisor) implements Atom {
        @Override public String toString() { return "(" + x + ")/" + divisor; }
    }

    public record Mod(Ix x, long divisor) implements Atom {
        @Override public String toString() { return "(" + x + ")%" + divisor; }
    }

    public sealed interface Atom extends java.io.Serializable permits Var, Div, Mod {}

    /** Loop variable {@code var} restricted to {@code [lo, hi]}. */
    public record Range(int var, long lo, long hi) {}

    public record Term(long coef, Atom atom) implements java.io.Serializable {}

    private static final Comparator<Atom> ORDER = Comparator.comparing(Ix::sortKey);

    private final long constant;
    private final List<Term> terms;       // distinct atoms, non-zero coefficients, sorted

    private Ix(long constant, List<Term> terms) {
        this.constant = constant;
        this.terms = List.copyOf(terms);
    }

    public static Ix constant(long c) { return new Ix(c, List.of()); }

    public static Ix var(int id, int extent) {
        return extent == 1 ? constant(0) : new Ix(0, List.of(new Term(1, new Var(id, extent))));
    }

    public long constantPart() { return constant; }

    public List<Term> terms() { return terms; }

    public boolean isConstant() { return terms.isEmpty(); }

    // ---- arithmetic ---------------------------------------------------------------------------------------------

    public Ix plus(Ix o) {
        Map<Atom, Long> coefs = new LinkedHashMap<>();
        for (Term t : terms) coefs.merge(t.atom(), t.coef(), Long::sum);
        for (Term t : o.terms) coefs.merge(t.atom(), t.coef(), Long::sum);
        return normalize(constant + o.constant, coefs);
    }

    public Ix plus(long c) { return c == 0 ? this : new Ix(constant + c, terms); }

    public Ix times(long c) {
        if (c == 0) return constant(0);
        if (c == 1) return this;
        List<Term> t = new ArrayList<>();
        for (Term term : terms) t.add(new Term(term.coef() * c, term.atom()));
        return new Ix(constant * c, t);
    }

    /** Floor division by a positive constant. */
    public Ix div(long d) {
        if (d <= 0) throw new IllegalArgumentException("divisor must be positive: " + d);
        if (d == 1) return this;
        if (constant == 0 && terms.size() == 1 && terms.get(0).coef() == 1 && terms.get(0).atom() instanceof Div inner) {
            return inner.x().div(inner.divisor() * d);        // (x/a)/d = x/(a·d)
        }
        Split s = split(d);                                   // this = d·q + r
        Ix q = s.multiple.divExact(d), r = s.rest;
        long lo = Math.floorDiv(r.min(), d), hi = Math.floorDiv(r.max(), d);
        if (lo == hi) return q.plus(lo);
        for (long g : r.commonFactors(d)) {                   // r = g·Q + R with 0 ≤ R < g and g | d: r/d = Q/(d/g)
            Split f = r.split(g);
            if (f.rest.min() >= 0 && f.rest.max() < g) return q.plus(f.multiple.divExact(g).div(d / g));
        }
        return q.plus(atom(new Div(r, d)));
    }

    /** Floor modulo by a positive constant. */
    public Ix mod(long d) {
        if (d <= 0) throw new IllegalArgumentException("divisor must be positive: " + d);
        if (d == 1) return constant(0);
        Ix r = split(d).rest;                                 // (d·q + r) mod d = r mod d
        if (r.min() >= 0 && r.max() < d) return r;
        for (long g : r.commonFactors(d)) {                   // r = g·Q + R, 0 ≤ R < g, g | d: r mod d = g·(Q mod d/g) + R
            Split f = r.split(g);
            if (f.rest.min() >= 0 && f.rest.max() < g) return f.multiple.divExact(g).mod(d / g).times(g).plus(f.rest);
        }
        return atom(new Mod(r, d));
    }

    /** Divides every coefficient and the constant exactly (callers ensure divisibility). */
    private Ix divExact(long g) {
        List<Term> t = new ArrayList<>();
        for (Term term : terms) t.add(new Term(term.coef() / g, term.atom()));
        return new Ix(constant / g, t);
    }

    /** This = multiple + rest, where multiple holds the terms and the part of the constant divisible by d. */
    private record Split(Ix multiple, Ix rest) {}

    private Split split(long d) {
        List<Term> mult = new ArrayList<>(), rest = new ArrayList<>();
        for (Term t : terms) (t.coef() % d == 0 ? mult : rest).add(t);
        long cm = Math.floorDiv(constant, d) * d;
        return new Split(new Ix(cm, mult), new Ix(constant - cm, rest));
    }

    /** Divisors g of d (1 < g < d) shared with some coefficient, largest first. */
    private List<Long> commonFactors(long d) {
        List<Long> gs = new ArrayList<>();
        for (Term t : terms) {
            long g = gcd(Math.abs(t.coef()), d);
            if (g > 1 && g < d && !gs.contains(g)) gs.add(g);
        }
        gs.sort(Comparator.reverseOrder());
        return gs;
    }

    private static Ix atom(Atom a) { return new Ix(0, List.of(new Term(1, a))); }

    /** Sorts terms and folds {@code c·d·(x/d) + c·(x%d)} back into {@code c·x}. */
    private static Ix normalize(long constant, Map<Atom, Long> coefs) {
        coefs.values().removeIf(c -> c == 0);
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Atom a : new ArrayList<>(coefs.keySet())) {
                if (!(a instanceof Mod m) || !coefs.containsKey(a)) continue;
                Ix quotient = m.x().div(m.divisor());
                if (quotient.constant != 0 || quotient.terms.size() != 1 || quotient.terms.get(0).coef() != 1) continue;
                Atom div = quotient.terms.get(0).atom();
                long c = coefs.get(a);
                Long divCoef = coefs.get(div);
                if (divCoef == null || divCoef != c * m.divisor()) continue;
                coefs.remove(div);
                coefs.remove(a);
                Ix folded = m.x().times(c);
                constant += folded.constant;
                for (Term t : folded.terms) coefs.merge(t.atom(), t.coef(), Long::sum);
                coefs.values().removeIf(v -> v == 0);
                changed = true;
            }
        }
        List<Term> t = new ArrayList<>();
        coefs.forEach((a, c) -> t.add(new Term(c, a)));
        t.sort((x, y) -> ORDER.compare(x.atom(), y.atom()));
        return new Ix(constant, List.copyOf(t));
    }

    // ---- ranges -------------------------------------------------------------------------------------------------

    public long min() {
        long m = constant;
        for (Term t : terms) m += t.coef() > 0 ? t.coef() * atomMin(t.atom()) : t.coef() * atomMax(t.atom());
        return m;
    }

    public long max() {
        long m = constant;
        for (Term t : terms) m += t.coef() > 0 ? t.coef() * atomMax(t.atom()) : t.coef() * atomMin(t.atom());
        return m;
    }

    private static long atomMin(Atom a) {
        return switch (a) {
            case Var v -> 0;
            case Div d -> Math.floorDiv(d.x().min(), d.divisor());
            case Mod m -> m.x().min() >= 0 && m.x().max() < m.divisor() ? m.x().min() : 0;
        };
    }

    private static long atomMax(Atom a) {
        return switch (a) {
            case Var v -> v.extent() - 1;
            case Div d -> Math.floorDiv(d.x().max(), d.divisor());
            case Mod m -> m.x().min() >= 0 && m.x().max() < m.divisor() ? m.x().max() : m.divisor() - 1;
        };
    }

    /** The coefficient of loop variable {@code id} when it appears only linearly (not inside a div/mod), else null. */
    public Long linearCoefficient(int id) {
        long coef = 0;
        for (Term t : terms) {
            if (t.atom() instanceof Var v && v.id() == id) coef = t.coef();
            else if (mentions(t.atom(), id)) return null;
        }
        return coef;
    }

    /** Whether loop variable {@code id} occurs anywhere in this expression. */
    public boolean mentions(int id) {
        for (Term t : terms) if (mentions(t.atom(), id)) return true;
        return false;
    }

    private static boolean mentions(Atom a, int id) {
        return switch (a) {
            case Var v -> v.id() == id;
            case Div d -> d.x().mentions(id);
            case Mod m -> m.x().mentions(id);
        };
    }

    /** This expression with loop variable {@code id} replaced by {@code value}, simplified again. */
    public Ix substitute(int id, Ix value) {
        Ix result = constant(constant);
        for (Term t : terms) {
            Ix a = switch (t.atom()) {
                case Var v -> v.id() == id ? value : atom(v);
                case Div d -> d.x().substitute(id, value).div(d.divisor());
                case Mod m -> m.x().substitute(id, value).mod(m.divisor());
            };
            result = result.plus(a.times(t.coef()));
        }
        return result;
    }

    /**
     * An expression equal to this one wherever every range holds, simplified with those narrower variable ranges (all
     * at once): under a guard such
     * as {@code 1 ≤ i3 ≤ 10}, {@code (10·i2 + i3 + 99)/100} is 1 when {@code i2 ≤ 9}. Only valid where the ranges
     * hold (inside the guard); variables that don't occur are ignored.
     */
    public Ix within(List<Range> ranges) {
        Ix x = this;
        List<Var> narrowed = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        for (Range r : ranges) {
            Var v = x.findVar(r.var());
            if (v == null) continue;
            long lo = Math.max(r.lo(), 0), hi = Math.min(r.hi(), v.extent() - 1);
            if (lo > hi || (lo == 0 && hi == v.extent() - 1)) continue;
            // i = lo + i', with i' in [0, hi - lo] under a negative id (real ids are never negative)
            x = x.substitute(v.id(), var(-1 - v.id(), (int) (hi - lo + 1)).plus(lo));
            narrowed.add(v);
            offsets.add(lo);
        }
        for (int i = 0; i < narrowed.size(); i++) {
            Var v = narrowed.get(i);
            x = x.substitute(-1 - v.id(), var(v.id(), v.extent()).plus(-offsets.get(i)));
        }
        return x;
    }

    /**
     * When this is {@code c·v + k} for one loop variable v: the range of v for which {@code boundLo ≤ this ≤ boundHi}.
     * Otherwise null.
     */
    public Range solveForVar(long boundLo, long boundHi) {
        if (terms.size() != 1 || !(terms.get(0).atom() instanceof Var v)) return null;
        long c = terms.get(0).coef(), a = boundLo - constant, b = boundHi - constant;     // a ≤ c·v ≤ b
        return c > 0 ? new Range(v.id(), ceilDiv(a, c), Math.floorDiv(b, c)) : new Range(v.id(), ceilDiv(b, c), Math.floorDiv(a, c));
    }

    private static long ceilDiv(long x, long y) { return -Math.floorDiv(-x, y); }

    private Var findVar(int id) {
        for (Term t : terms) {
            Var v = switch (t.atom()) {
                case Var x -> x.id() == id ? x : null;
                case Div d -> d.x().findVar(id);
                case Mod m -> m.x().findVar(id);
            };
            if (v != null) return v;
        }
        return null;
    }

    /** The value for concrete loop variables (indexed by id). */
    public long evaluate(long[] vars) {
        long v = constant;
        for (Term t : terms) {
            long a = switch (t.atom()) {
                case Var x -> vars[x.id()];
                case Div d -> Math.floorDiv(d.x().evaluate(vars), d.divisor());
                case Mod m -> Math.floorMod(m.x().evaluate(vars), m.divisor());
            };
            v += t.coef() * a;
        }
        return v;
    }

    private static String sortKey(Atom a) {
        return switch (a) {
            case Var v -> String.format("0%08d", v.id());
            case Div d -> "1" + d.x() + "/" + d.divisor();
            case Mod m -> "2" + m.x() + "%" + m.divisor();
        };
    }

    private static long gcd(long a, long b) { return b == 0 ? a : gcd(b, a % b); }

    @Override public boolean equals(Object o) { return o instanceof Ix x && x.constant == constant && x.terms.equals(terms); }

    @Override public int hashCode() { return Long.hashCode(constant) * 31 + terms.hashCode(); }

    @Override public String toString() {
        StringBuilder s = new StringBuilder();
        for (Term t : terms) {
            if (!s.isEmpty()) s.append(t.coef() < 0 ? " - " : " + ");
            else if (t.coef() < 0) s.append('-');
            long c = Math.abs(t.coef());
            if (c != 1) s.append(c).append('*');
            s.append(t.atom());
        }
        if (constant != 0 || s.isEmpty()) {
            if (!s.isEmpty()) s.append(constant < 0 ? " - " : " + ").append(Math.abs(constant));
            else s.append(constant);
        }
        return s.toString();
    }
}
