package dev.kiln.codegen.jvm;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.ShapeException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

/**
 * A seeded random graph generator over the IR, for differential testing of backends against
 * {@link dev.kiln.ir.Interpreter}.
 *
 * <p>Graphs are chains of a few ops (elementwise unary and binary, comparisons feeding {@code where} and casts,
 * casts between all dtypes, broadcasting, reshape/permute/expand/slice/pad, reductions, batched and transposed
 * matmuls, strided/padded/dilated conv2d, seeded random numbers) that reuse earlier nodes, with odd sizes (1, 3,
 * 5, 7, 17, 33...) and sometimes several outputs.
 *
 * <p>The interpreter computes in double, a backend in float32, so the generator keeps every value away from the
 * places where the two could legitimately disagree by more than rounding:
 * <ul>
 *   <li>inputs are multiples of 1/8 in [-4, 4] (integers in [-8, 8]);</li>
 *   <li>for each value it tracks a bound on its magnitude and whether it is <em>exact</em> — a multiple of
 *       2^-gran computed without any rounding, the same in float32 and in double (sums and products of inputs that
 *       fit in the mantissa, random numbers, casts of such values). Discontinuous ops — comparisons, {@code sign},
 *       casts to integer or bool — only ever see exact values, so they agree bit for bit;</li>
 *   <li>partial functions get safe arguments: {@code log}, {@code sqrt}, reciprocal, division and the base of
 *       {@code pow} see {@code |x| + 0.5}; {@code exp} and exponents see values scaled (exactly, by a power of two)
 *       into a small range; integer divisors are {@code |x| + 1};</li>
 *   <li>for inexact values it tracks a first-order bound on the absolute rounding error of a float32 evaluation
 *       (per-op rounding plus propagated input error), which tests add to their tolerance;</li>
 *   <li>magnitudes stay small: a float value whose bound passes 64 is scaled by a power of two, an integer whose
 *       bound passes 4096 is clamped, so nothing overflows and error bounds stay tight.</li>
 * </ul>
 */
public final class GraphFuzzer {
    static final double U32 = 0x1p-24, U64 = 0x1p-53;

    /** Size knobs: dimension sizes to draw from, element cap per tensor, ops per graph, rank cap, size of the first input. */
    record Config(int[] sizes, int maxNumel, int minSteps, int maxSteps, int maxRank, int minFirstNumel) {
        /** Small graphs: thousands run in seconds. */
        static final Config SMALL = new Config(new int[] {1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33}, 1500, 4, 14, 4, 1);
        /** Large tensors (> 32768 elements), for checks that work really splits across threads. */
        static final Config LARGE = new Config(new int[] {1, 3, 7, 33, 65, 129, 257, 1031}, 300_000, 3, 8, 4, 40_000);
    }

    /**
     * What the generator knows of a value: |v| ≤ bound; gran ≥ 0: exactly computed, a multiple of 2^-gran (−1:
     * rounded somewhere); err: bound on the absolute error of a float32 (or float64) evaluation; lowPrecision:
     * some float32 rounding happened upstream.
     */
    public record Info(double bound, int gran, double err, boolean lowPrecision) {
        public boolean exact() { return gran >= 0; }

        /** How far a backend's value may be from the interpreter's {@code expected} for a value of dtype {@code t}. */
        public double tolerance(DType t, double expected) {
            if (!t.isFloating() || exact()) return 0;
            double floor = lowPrecision ? 1e-4 + 1e-3 * Math.abs(expected) : 1e-12 + 1e-10 * Math.abs(expected);
            return floor + 2 * err;
        }
    }

    /** One generated graph: its outputs, a value for every leaf, and what is known about each value. */
    public record Case(long seed, List<Node> outputs, Map<Node, double[]> inputValues, Map<Node, Info> info) {
        public String dump() { return Graph.dump(outputs); }
    }

    public static Case generate(long seed) { return generate(seed, Config.SMALL); }

    static Case generate(long seed, Config cfg) {
        // A generator bug (an op that does not type-check) only costs a step; the same seed always gives the same graph.
        return new GraphFuzzer(seed, cfg).build();
    }

    private enum Kind { UNARY, BINARY, BINARY_CONST, WHERE, CAST, RESHAPE, PERMUTE, EXPAND, SLICE, PAD, REDUCE, MATMUL, CONV, RANDOM }

    private static final int[] WEIGHTS = {14, 16, 5, 8, 6, 6, 5, 5, 6, 5, 8, 6, 3, 3};

    private final long seed;
    private final Config cfg;
    private final Random rnd;
    private final List<Node> pool = new ArrayList<>();
    private final Map<Node, Info> info = new IdentityHashMap<>();
    private final Map<Node, double[]> inputs = new IdentityHashMap<>();
    private int leaves;

    private GraphFuzzer(long seed, Config cfg) {
        this.seed = seed;
        this.cfg = cfg;
        this.rnd = new Random(seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
    }

    private Case build() {
        int first = 1 + rnd.nextInt(2);
        for (int i = 0; i < first; i++) {
            Shape s = randomShape();
            if (i == 0) while (s.numel() < cfg.minFirstNumel()) s = randomShape();
            leaf(s, randomDType());
        }
        int steps = cfg.minSteps() + rnd.nextInt(cfg.maxSteps() - cfg.minSteps() + 1);
        if (rnd.nextDouble() < 0.08) steps *= 3;            // now and then a long chain (inlining budget, many temporaries)
        Node last = null;
        int attempts = 0;
        for (int done = 0; done < steps && attempts < steps * 20; attempts++) {
            Node n;
            try {
                n = step(pickKind());
            } catch (ShapeException e) {
                n = null;
            }
            if (n == null || n.isLeaf()) continue;
            last = normalize(n);
            done++;
        }
        if (last == null) last = register(Ops.neg(pool.get(0)), info(pool.get(0)));
        List<Node> outputs = new ArrayList<>();
        outputs.add(last);
        int extra = rnd.nextDouble() < 0.35 ? 1 + rnd.nextInt(2) : 0;
        for (int i = 0; i < extra; i++) {
            Node o = pool.get(rnd.nextInt(pool.size()));
            if (o.isLeaf() && rnd.nextDouble() < 0.9) continue;
            if (!outputs.contains(o)) outputs.add(o);
        }
        Collections.shuffle(outputs, rnd);
        Map<Node, double[]> values = new IdentityHashMap<>();
        for (Node n : Graph.topologicalOrder(outputs)) if (n.isLeaf()) values.put(n, inputs.get(n));
        return new Case(seed, List.copyOf(outputs), values, info);
    }

    private Kind pickKind() {
        int total = 0;
        for (int w : WEIGHTS) total += w;
        int r = rnd.nextInt(total);
        for (int i = 0; i < WEIGHTS.length; i++) {
            r -= WEIGHTS[i];
            if (r < 0) return Kind.values()[i];
        }
        throw new AssertionError();
    }

    private Node step(Kind k) {
        return switch (k) {
            case UNARY -> unary();
            case BINARY -> binary();
            case BINARY_CONST -> binaryConst();
            case WHERE -> where();
            case CAST -> cast();
            case RESHAPE -> reshape();
            case PERMUTE -> permute();
            case EXPAND -> expand();
            case SLICE -> slice();
            case PAD -> pad();
            case REDUCE -> reduce();
            case MATMUL -> matmul();
            case CONV -> conv();
            case RANDOM -> random();
        };
    }

    // ---- bookkeeping -------------------------------------------------------------------------------------------

    Info info(Node n) { return info.get(n); }

    private Node register(Node n, Info i) {
        info.put(n, i);
        if (!pool.contains(n)) pool.add(n);
        return n;
    }

    /**
     * The info of a value of node {@code n}'s dtype with the given magnitude bound, computed exactly from exact
     * inputs as a multiple of 2^-gran when gran ≥ 0 (and it fits the mantissa), else with propagated error
     * {@code errIn} plus {@code roundings} roundings of at most half an ulp of the bound each.
     */
    private static Info mk(Node n, double bound, int gran, double errIn, boolean lowIn, double roundings) {
        DType t = n.dtype();
        if (!t.isFloating()) return new Info(bound, 0, 0, lowIn);
        int p = t == DType.F32 ? 24 : 53;
        if (gran >= 0 && errIn == 0 && bound * Math.scalb(1.0, gran) <= Math.scalb(1.0, p)) return new Info(bound, gran, 0, lowIn);
        double u = t == DType.F32 ? U32 : U64;
        return new Info(bound, -1, errIn + roundings * u * bound, lowIn || t == DType.F32);
    }

    private static Info mk(Node n, double bound, int gran, double errIn, boolean lowIn) { return mk(n, bound, gran, errIn, lowIn, 1); }

    private static int g2(Info a, Info b) { return a.exact() && b.exact() ? Math.max(a.gran, b.gran) : -1; }

    private static int gSum(Info a, Info b) { return a.exact() && b.exact() ? a.gran + b.gran : -1; }

    private boolean exact(Node n) {
        Info i = info(n);
        if (i == null || !i.exact()) return false;
        return !n.dtype().isFloating() || i.bound * Math.scalb(1.0, i.gran) <= Math.scalb(1.0, n.dtype() == DType.F32 ? 24 : 53);
    }

    /** The number of binary digits after the point that {@code v} needs (v a dyadic rational). */
    private static int granOf(double v) {
        int g = 0;
        while (v != Math.rint(v) && g < 60) { v *= 2; g++; }
        return g;
    }

    // ---- leaves and shapes -------------------------------------------------------------------------------------

    private DType randomDType() {
        double r = rnd.nextDouble();
        if (r < 0.72) return DType.F32;
        if (r < 0.82) return DType.F64;
        if (r < 0.89) return DType.I32;
        if (r < 0.94) return DType.I64;
        return DType.BOOL;
    }

    private Node leaf(Shape s, DType t) {
        Node n = Node.leaf(Op.Role.INPUT, "x" + leaves++, s, t);
        double[] v = new double[s.numel()];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (t) {
                case F32, F64 -> (rnd.nextInt(65) - 32) / 8.0;
                case I32, I64 -> rnd.nextInt(17) - 8;
                case BOOL -> rnd.nextBoolean() ? 1 : 0;
            };
        }
        inputs.put(n, v);
        double bound = switch (t) { case F32, F64 -> 4; case I32, I64 -> 8; case BOOL -> 1; };
        return register(n, new Info(bound, t.isFloating() ? 3 : 0, 0, false));
    }

    private int size() { return cfg.sizes()[rnd.nextInt(cfg.sizes().length)]; }

    private Shape randomShape() {
        double r = rnd.nextDouble();
        int rank = r < 0.05 ? 0 : r < 0.25 ? 1 : r < 0.6 ? 2 : r < 0.85 ? 3 : 4;
        rank = Math.min(rank, cfg.maxRank());
        int[] d = new int[rank];
        for (int i = 0; i < rank; i++) d[i] = size();
        return fit(d);
    }

    /** Shrinks the largest dimensions until the shape fits the element cap. */
    private Shape fit(int[] d) {
        while (numel(d) > cfg.maxNumel()) {
            int big = 0;
            for (int i = 1; i < d.length; i++) if (d[i] > d[big]) big = i;
            d[big] = Math.max(1, d[big] / 3);
        }
        return Shape.of(d);
    }

    private static long numel(int[] d) {
        long n = 1;
        for (int x : d) n *= x;
        return n;
    }

    // ---- picking operands ----------------------------------------------------------------------------------------

    /** A pool node satisfying {@code p}, usually a recent one (to make chains), sometimes any (to share). */
    private Node pick(Predicate<Node> p) {
        List<Node> c = new ArrayList<>();
        for (Node n : pool) if (p.test(n)) c.add(n);
        if (c.isEmpty()) return null;
        if (rnd.nextDouble() < 0.55) return c.get(Math.max(0, c.size() - 1 - rnd.nextInt(Math.min(3, c.size()))));
        return c.get(rnd.nextInt(c.size()));
    }

    private static boolean numeric(Node n) { return n.dtype() != DType.BOOL; }

    private static boolean floating(Node n) { return n.dtype().isFloating(); }

    private boolean smallInt(Node n) { return (n.dtype() == DType.I32 || n.dtype() == DType.I64) && info(n).bound <= 4096; }

    /** A value to combine with {@code a} elementwise: same dtype, shape equal or broadcast-compatible. */
    private Node partner(Node a, boolean needExact) {
        DType t = a.dtype();
        Predicate<Node> ok = n -> n.dtype() == t && (!needExact || exact(n)) && (t.isFloating() || t == DType.BOOL || smallInt(n));
        double r = rnd.nextDouble();
        if (r < 0.35) {
            Node n = pick(x -> ok.test(x) && x.shape().equals(a.shape()));
            if (n != null) return n;
        }
        if (r < 0.6) {
            Node n = pick(x -> ok.test(x) && broadcastable(a.shape(), x.shape()));
            if (n != null) return n;
        }
        if (r < 0.7) {
            // a cast of a same-shaped value of another dtype
            Node n = pick(x -> x.dtype() != t && x.shape().equals(a.shape()) && canCast(x, t) && (!needExact || exact(x)));
            if (n != null) return castTo(n, t);
        }
        // a fresh input of a broadcast-compatible shape: some axes 1, maybe fewer leading axes
        int[] d = a.shape().dims();
        int drop = d.length > 0 && rnd.nextDouble() < 0.3 ? rnd.nextInt(d.length + 1) : 0;
        int[] s = new int[d.length - drop];
        for (int i = 0; i < s.length; i++) s[i] = rnd.nextDouble() < 0.3 ? 1 : d[i + drop];
        return leaf(Shape.of(s), t);
    }

    private boolean broadcastable(Shape a, Shape b) {
        try {
            return Ops.broadcastShape(a, b).numel() <= cfg.maxNumel();
        } catch (ShapeException e) {
            return false;
        }
    }

    // ---- derived values used as building blocks ---------------------------------------------------------------

    /** {@code |x| + 0.5} (floats) or {@code |x| + 1} (integers): a safe argument for log, sqrt, division, pow. */
    private Node shifted(Node x) {
        Info i = info(x);
        Node a = register(Ops.unary(Op.UnaryFn.ABS, x), i);
        boolean f = floating(x);
        double c = f ? 0.5 : 1;
        Node s = Ops.add(a, Ops.scalar(c, x.dtype()));
        return register(s, mk(s, i.bound + c, i.exact() ? Math.max(i.gran, 1) : -1, i.err, i.lowPrecision));
    }

    /** x scaled by a power of two (exactly) so that its bound is at most {@code max}. */
    private Node limit(Node x, double max) {
        Info i = info(x);
        if (i.bound <= max) return x;
        int k = (int) Math.ceil(Math.log(i.bound / max) / Math.log(2));
        Node s = Ops.mul(x, Ops.scalar(Math.scalb(1.0, -k), x.dtype()));
        return register(s, new Info(i.bound * Math.scalb(1.0, -k), i.exact() ? i.gran + k : -1, i.err * Math.scalb(1.0, -k), i.lowPrecision));
    }

    /** Keeps magnitudes small: large floats are scaled by a power of two, large integers clamped. */
    private Node normalize(Node n) {
        Info i = info(n);
        if (floating(n) && i.bound > 64) return limit(n, 8);
        if (numeric(n) && !floating(n) && i.bound > 4096) {
            Node c = Ops.min(Ops.max(n, Ops.scalar(-100, n.dtype())), Ops.scalar(100, n.dtype()));
            return register(c, new Info(100, 0, 0, i.lowPrecision));
        }
        return n;
    }

    private boolean canCast(Node x, DType to) {
        DType from = x.dtype();
        if (from == to) return true;
        Info i = info(x);
        if (from.isFloating() && !to.isFloating()) return exact(x);                     // truncation / nonzero test: exact values only
        if (!from.isFloating() && to == DType.F32) return i.bound <= (1 << 24);
        return true;
    }

    private Node castTo(Node x, DType to) {
        if (x.dtype() == to) return x;
        Info i = info(x);
        Node c = Ops.cast(x, to);
        Info ci;
        if (to == DType.BOOL) ci = new Info(1, 0, 0, i.lowPrecision);
        else if (!to.isFloating()) ci = new Info(Math.floor(i.bound), 0, 0, i.lowPrecision);
        else if (!x.dtype().isFloating()) ci = new Info(i.bound, 0, 0, i.lowPrecision);
        else ci = mk(c, i.bound, i.gran, i.err, i.lowPrecision);
        return register(c, ci);
    }

    // ---- ops ---------------------------------------------------------------------------------------------------

    private Node unary() {
        Op.UnaryFn fn = Op.UnaryFn.values()[rnd.nextInt(Op.UnaryFn.values().length)];
        switch (fn) {
            case NEG, ABS, RELU -> {                   // bounded by |x|, exact when x is
                Node x = pick(GraphFuzzer::numeric);
                if (x == null) return null;
                return register(Ops.unary(fn, x), info(x));
            }
            case SIGN -> {
                Node x = pick(n -> numeric(n) && exact(n));
                if (x == null) return null;
                return register(Ops.unary(fn, x), new Info(1, 0, 0, info(x).lowPrecision));
            }
            default -> {
                Node x = pick(GraphFuzzer::floating);
                if (x == null) return null;
                double u = x.dtype() == DType.F32 ? U32 : U64;
                boolean low = info(x).lowPrecision || x.dtype() == DType.F32;
                return switch (fn) {
                    case EXP -> {
                        Node y = limit(x, 4);
                        Info i = info(y);
                        double b = Math.exp(i.bound);
                        yield register(Ops.unary(fn, y), new Info(b, -1, b * i.err + 2 * u * b, low));
                    }
                    case LOG -> {
                        Node y = shifted(x);
                        Info i = info(y);
                        double b = Math.max(Math.log(2), Math.log(i.bound));
                        yield register(Ops.unary(fn, y), new Info(b, -1, 2 * i.err + 2 * u * b, low));
                    }
                    case SQRT -> {
                        Node y = shifted(x);
                        Info i = info(y);
                        double b = Math.sqrt(i.bound);
                        yield register(Ops.unary(fn, y), new Info(b, -1, 0.75 * i.err + 2 * u * b, low));
                    }
                    case RECIPROCAL -> {
                        Node y = shifted(x);
                        Info i = info(y);
                        yield register(Ops.unary(fn, y), new Info(2, -1, 4 * i.err + 2 * u * 2, low));
                    }
                    case TANH -> register(Ops.unary(fn, x), new Info(1, -1, info(x).err + 2 * u, low));
                    case SIGMOID -> register(Ops.unary(fn, x), new Info(1, -1, 0.25 * info(x).err + 2 * u, low));
                    default -> throw new AssertionError(fn);
                };
            }
        }
    }

    private Node binary() {
        Node a = pick(n -> n.dtype().isFloating() || n.dtype() == DType.BOOL || smallInt(n));
        if (a == null) return null;
        List<Op.BinaryFn> fns = new ArrayList<>(List.of(Op.BinaryFn.values()));
        if (a.dtype() == DType.BOOL) fns.removeAll(List.of(Op.BinaryFn.DIV, Op.BinaryFn.POW));
        if (!exact(a)) fns.removeAll(List.of(Op.BinaryFn.LT, Op.BinaryFn.EQ));
        Op.BinaryFn fn = fns.get(rnd.nextInt(fns.size()));
        Node b = partner(a, fn.isComparison());
        Info ia = info(a), ib = info(b);
        boolean low = ia.lowPrecision || ib.lowPrecision;
        double u = a.dtype() == DType.F32 ? U32 : U64;
        if (a.dtype() == DType.BOOL) {
            // bool arithmetic (the interpreter's rule: compute, then map non-zero to 1): add is "or", sub "xor", mul and
            // min "and", max "or"; the result is bool (0/1). Division and pow of bools are left out (division by false).
            Node n = Ops.binary(fn, a, b);
            return register(n, new Info(1, 0, 0, low));
        }
        return switch (fn) {
            case ADD, SUB -> {
                Node n = Ops.binary(fn, a, b);
                yield register(n, mk(n, ia.bound + ib.bound, g2(ia, ib), ia.err + ib.err, low));
            }
            case MUL -> {
                if (!floating(a) && ia.bound * ib.bound > (1 << 24)) yield null;
                Node n = Ops.binary(fn, a, b);
                yield register(n, mk(n, ia.bound * ib.bound, gSum(ia, ib), ia.err * ib.bound + ib.err * ia.bound, low));
            }
            case MAX, MIN -> {
                Node n = Ops.binary(fn, a, b);
                yield register(n, mk(n, Math.max(ia.bound, ib.bound), g2(ia, ib), Math.max(ia.err, ib.err), low));
            }
            case DIV -> {
                Node d = shifted(b);
                Info id = info(d);
                Node n = Ops.div(a, d);
                if (!floating(a)) yield register(n, new Info(ia.bound, 0, 0, low));
                double bound = ia.bound * 2;
                yield register(n, new Info(bound, -1, 2 * ia.err + 4 * ia.bound * id.err + u * bound, low || a.dtype() == DType.F32));
            }
            case POW -> {
                if (floating(a)) {
                    Node base = shifted(a);
                    Node e = limit(b, 2);
                    Info ibase = info(base), ie = info(e);
                    double bound = Math.max(Math.pow(ibase.bound, ie.bound), Math.pow(0.5, -ie.bound));
                    double dBase = 2 * Math.max(ibase.bound, 8), dExp = Math.max(Math.log(ibase.bound), Math.log(2)) * bound;
                    Node n = Ops.pow(base, e);
                    yield register(n, new Info(bound, -1, dBase * ibase.err + dExp * ie.err + 2 * u * bound, low || a.dtype() == DType.F32));
                }
                if (ia.bound > 1024) yield null;
                Node e = register(Ops.min(register(Ops.unary(Op.UnaryFn.ABS, b), ib), Ops.scalar(2, b.dtype())), new Info(2, 0, 0, low));
                Node n = Ops.pow(a, e);
                yield register(n, new Info(Math.max(1, ia.bound * ia.bound), 0, 0, low));
            }
            case LT, EQ -> {
                Node c = Ops.binary(fn, a, b);
                register(c, new Info(1, 0, 0, low));
                yield rnd.nextDouble() < 0.6 ? useCondition(c) : c;
            }
        };
    }

    /** Consumes a fresh bool: as a where condition or through a cast. */
    private Node useCondition(Node c) {
        if (rnd.nextBoolean()) return whereOn(c);
        DType to = List.of(DType.F32, DType.F64, DType.I32, DType.I64).get(rnd.nextInt(4));
        return castTo(c, to);
    }

    private Node binaryConst() {
        Node x = pick(n -> floating(n) || smallInt(n));
        if (x == null) return null;
        Info i = info(x);
        boolean f = floating(x);
        double[] choices = f ? new double[] {0.5, -1.5, 2, 0.125, 3, -0.25} : new double[] {1, 2, -3, 5};
        double c = choices[rnd.nextInt(choices.length)];
        Node k = Ops.scalar(c, x.dtype());
        Info ik = new Info(Math.abs(c), granOf(c), 0, false);
        Op.BinaryFn fn = List.of(Op.BinaryFn.ADD, Op.BinaryFn.SUB, Op.BinaryFn.MUL, Op.BinaryFn.MAX, Op.BinaryFn.MIN, Op.BinaryFn.DIV)
                .get(rnd.nextInt(6));
        boolean swap = fn != Op.BinaryFn.DIV && rnd.nextBoolean();
        Node n = swap ? Ops.binary(fn, k, x) : Ops.binary(fn, x, k);
        return switch (fn) {
            case ADD, SUB -> register(n, mk(n, i.bound + ik.bound, g2(i, ik), i.err, i.lowPrecision));
            case MUL -> register(n, mk(n, i.bound * ik.bound, gSum(i, ik), i.err * ik.bound, i.lowPrecision));
            case MAX, MIN -> register(n, mk(n, Math.max(i.bound, ik.bound), g2(i, ik), i.err, i.lowPrecision));
            case DIV -> {
                if (!f) yield register(n, new Info(i.bound, 0, 0, i.lowPrecision));
                double bound = i.bound / Math.abs(c);
                int g = Math.abs(c) == Math.scalb(1.0, Math.getExponent(c)) && i.exact() ? i.gran - Math.getExponent(c) : -1;
                yield register(n, mk(n, bound, g < 0 ? -1 : g, i.err / Math.abs(c), i.lowPrecision));
            }
            default -> throw new AssertionError(fn);
        };
    }

    private Node where() {
        Node c = pick(n -> n.dtype() == DType.BOOL);
        if (c == null || rnd.nextDouble() < 0.4) {
            Node x = pick(n -> numeric(n) && exact(n) && (floating(n) || smallInt(n)));
            if (x == null) return null;
            Node y = partner(x, true);
            c = Ops.binary(rnd.nextBoolean() ? Op.BinaryFn.LT : Op.BinaryFn.EQ, x, y);
            register(c, new Info(1, 0, 0, info(x).lowPrecision || info(y).lowPrecision));
        }
        return whereOn(c);
    }

    private Node whereOn(Node c) {
        Node a = pick(n -> broadcastable(c.shape(), n.shape()));
        if (a == null) a = leaf(c.shape(), randomDType());
        Node b = partner(a, false);
        Shape s = Ops.broadcastShape(Ops.broadcastShape(c.shape(), a.shape()), b.shape());
        if (s.numel() > cfg.maxNumel()) return null;
        Node n = Ops.where(c, a, b);
        Info ia = info(a), ib = info(b);
        boolean low = ia.lowPrecision || ib.lowPrecision || info(c).lowPrecision;
        return register(n, mk(n, Math.max(ia.bound, ib.bound), g2(ia, ib), Math.max(ia.err, ib.err), low));
    }

    private Node cast() {
        Node x = pick(n -> true);
        if (x == null) return null;
        List<DType> targets = new ArrayList<>();
        for (DType t : DType.values()) if (t != x.dtype() && canCast(x, t)) targets.add(t);
        if (targets.isEmpty()) return null;
        return castTo(x, targets.get(rnd.nextInt(targets.size())));
    }

    // ---- movement ----------------------------------------------------------------------------------------------

    private Node reshape() {
        Node x = pick(n -> true);
        if (x == null) return null;
        int[] d = x.shape().dims();
        List<Integer> nd = new ArrayList<>();
        for (int v : d) nd.add(v);
        switch (rnd.nextInt(5)) {
            case 0 -> { nd.clear(); nd.add(x.shape().numel()); }                            // flatten
            case 1 -> {                                                                     // merge two adjacent axes
                if (d.length < 2) return null;
                int i = rnd.nextInt(d.length - 1);
                nd.set(i, d[i] * d[i + 1]);
                nd.remove(i + 1);
            }
            case 2 -> {                                                                     // split an axis
                if (d.length == 0 || d.length >= 5) return null;
                int i = rnd.nextInt(d.length);
                List<Integer> f = new ArrayList<>();
                for (int k = 2; k < d[i]; k++) if (d[i] % k == 0) f.add(k);
                int a = f.isEmpty() ? (rnd.nextBoolean() ? 1 : d[i]) : f.get(rnd.nextInt(f.size()));
                nd.set(i, a);
                nd.add(i + 1, d[i] / a);
            }
            case 3 -> {                                                                     // drop or insert size-1 axes
                if (nd.contains(1) && rnd.nextBoolean()) nd.removeIf(v -> v == 1);
                else if (nd.size() < 5) nd.add(rnd.nextInt(nd.size() + 1), 1);
            }
            default -> {                                                                    // a random factorisation
                int n = x.shape().numel();
                nd.clear();
                int rank = 1 + rnd.nextInt(4);
                for (int r = 0; r < rank - 1 && n > 1; r++) {
                    List<Integer> f = new ArrayList<>();
                    for (int k = 1; k <= n; k++) if (n % k == 0) f.add(k);
                    int a = f.get(rnd.nextInt(f.size()));
                    nd.add(a);
                    n /= a;
                }
                nd.add(n);
            }
        }
        Shape s = Shape.of(nd.stream().mapToInt(Integer::intValue).toArray());
        if (s.equals(x.shape())) return null;
        return register(Ops.reshape(x, s), info(x));
    }

    private Node permute() {
        Node x = pick(n -> n.shape().rank() >= 2);
        if (x == null) return null;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < x.shape().rank(); i++) order.add(i);
        Collections.shuffle(order, rnd);
        return register(Ops.permute(x, order), info(x));
    }

    private Node expand() {
        Node x = pick(n -> n.shape().numel() * 2 <= cfg.maxNumel());
        if (x == null) return null;
        List<Integer> d = new ArrayList<>();
        for (int v : x.shape().dims()) d.add(v);
        int insert = rnd.nextInt(3);
        for (int i = 0; i < insert && d.size() < cfg.maxRank() + 1; i++) d.add(rnd.nextInt(d.size() + 1), 1);
        int[] withOnes = d.stream().mapToInt(Integer::intValue).toArray();
        int[] target = withOnes.clone();
        for (int i = 0; i < target.length; i++) if (target[i] == 1 && rnd.nextDouble() < 0.7) target[i] = size();
        while (numel(target) > cfg.maxNumel()) {
            int big = -1;
            for (int i = 0; i < target.length; i++) if (withOnes[i] == 1 && target[i] > 1 && (big < 0 || target[i] > target[big])) big = i;
            target[big] = Math.max(1, target[big] / 3);
        }
        if (java.util.Arrays.equals(target, withOnes)) return null;
        Node r = Ops.reshape(x, Shape.of(withOnes));
        if (r != x) register(r, info(x));
        return register(Ops.expand(r, Shape.of(target)), info(x));
    }

    private Node slice() {
        Node x = pick(n -> n.shape().rank() >= 1 && n.shape().numel() > 1);
        if (x == null) return null;
        int r = x.shape().rank();
        List<Integer> start = new ArrayList<>(), stop = new ArrayList<>(), step = new ArrayList<>();
        int[] steps = {1, 1, 2, 3, -1, -1, -2};
        for (int i = 0; i < r; i++) {
            int n = x.shape().dim(i);
            int st = rnd.nextDouble() < 0.35 ? 1 : steps[rnd.nextInt(steps.length)];
            int a = rnd.nextDouble() < 0.4 ? (st > 0 ? 0 : n - 1) : rnd.nextInt(n);
            int b;
            if (st > 0) b = a + 1 + rnd.nextInt(n - a);                // (a, n]
            else b = -1 + rnd.nextInt(a + 1);                          // [-1, a)
            start.add(a);
            stop.add(b);
            step.add(st);
        }
        Node s = Ops.slice(x, start, stop, step);
        if (s == x) return null;
        return register(s, info(x));
    }

    private Node pad() {
        Node x = pick(n -> n.shape().rank() >= 1);
        if (x == null) return null;
        int r = x.shape().rank();
        List<Integer> before = new ArrayList<>(), after = new ArrayList<>();
        int[] amounts = {0, 0, 1, 2};
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            before.add(amounts[rnd.nextInt(amounts.length)]);
            after.add(amounts[rnd.nextInt(amounts.length)]);
            out[i] = x.shape().dim(i) + before.get(i) + after.get(i);
        }
        if (numel(out) > cfg.maxNumel()) return null;
        double[] values = switch (x.dtype()) {
            case F32, F64 -> new double[] {0, 0, 1, -0.5, 2.5};
            case I32, I64 -> new double[] {0, 1, -3};
            case BOOL -> new double[] {0, 1};
        };
        double v = values[rnd.nextInt(values.length)];
        Node n = Ops.pad(x, before, after, v);
        if (n == x) return null;
        Info i = info(x);
        Info iv = new Info(Math.abs(v), granOf(v), 0, false);
        return register(n, mk(n, Math.max(i.bound, Math.abs(v)), g2(i, iv), i.err, i.lowPrecision));
    }

    // ---- reductions and contractions ---------------------------------------------------------------------------

    private Node reduce() {
        Node x = pick(n -> n.shape().rank() >= 1 && (floating(n) || n.dtype() == DType.BOOL || smallInt(n)));
        if (x == null) return null;
        int r = x.shape().rank();
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < r; i++) if (rnd.nextDouble() < 0.5) axes.add(i);
        if (axes.isEmpty()) axes.add(rnd.nextInt(r));
        if (rnd.nextDouble() < 0.1) axes = Ops.allAxes(x);
        int count = 1;
        for (int a : axes) count *= x.shape().dim(a);
        boolean keep = rnd.nextBoolean();
        Info i = info(x);
        if (rnd.nextBoolean()) {
            Node n = Ops.max(x, axes, keep);
            return register(n, i);
        }
        Node n = Ops.sum(x, axes, keep);
        if (x.dtype() == DType.BOOL) return register(n, new Info(1, 0, 0, i.lowPrecision));
        // float sums accumulate in double on both sides, then round once
        double bound = count * i.bound;
        double errIn = i.exact() ? 0 : count * i.err + count * U64 * bound;
        return register(n, mk(n, bound, i.gran, errIn, i.lowPrecision, 1 + (x.dtype() == DType.F64 ? count : 0)));
    }

    private Node matmul() {
        Node x = pick(n -> n.shape().rank() >= 2 && (floating(n) || (smallInt(n) && info(n).bound <= 64)));
        if (x == null) return null;
        Node a = rnd.nextDouble() < 0.3 ? register(Ops.transposeLast(x), info(x)) : x;
        int[] ad = a.shape().dims();
        int r = ad.length, m = ad[r - 2], k = ad[r - 1];
        int batch = 1;
        for (int i = 0; i < r - 2; i++) batch *= ad[i];
        int n = size();
        while ((long) batch * m * n > cfg.maxNumel() || (long) batch * k * n > cfg.maxNumel()) {
            if (n == 1) return null;
            n = Math.max(1, n / 3);
        }
        int[] bd = ad.clone();
        bd[r - 2] = k;
        bd[r - 1] = n;
        DType t = a.dtype();
        Node b;
        double choice = rnd.nextDouble();
        Node same = pick(y -> y.dtype() == t && y.shape().rank() == r && sameBatchAndK(y.shape(), ad) && (floating(y) || info(y).bound <= 64)
                && (long) y.shape().numel() / k * m <= cfg.maxNumel());
        if (choice < 0.3 && same != null) b = same;
        else if (choice < 0.55) {
            int[] td = bd.clone();
            td[r - 2] = n;
            td[r - 1] = k;
            Node y = pick(z -> z.dtype() == t && z.shape().equals(Shape.of(td)) && (floating(z) || info(z).bound <= 64));
            if (y == null) y = leaf(Shape.of(td), t);
            b = register(Ops.transposeLast(y), info(y));
        } else if (choice < 0.65) {
            int need = Shape.of(bd).numel();
            Node y = pick(z -> z.dtype() == t && z.shape().numel() == need && (floating(z) || info(z).bound <= 64));
            b = y == null ? leaf(Shape.of(bd), t) : register(Ops.reshape(y, Shape.of(bd)), info(y));
        } else b = leaf(Shape.of(bd), t);
        Info ia = info(a), ib = info(b);
        Node out = Ops.matmul(a, b);
        double bound = k * ia.bound * ib.bound;
        double errIn = k * (ia.err * ib.bound + ib.err * ia.bound);
        return register(out, mk(out, bound, gSum(ia, ib), errIn, ia.lowPrecision || ib.lowPrecision, k + 1));
    }

    private static boolean sameBatchAndK(Shape s, int[] ad) {
        int r = ad.length;
        for (int i = 0; i < r - 2; i++) if (s.dim(i) != ad[i]) return false;
        return s.dim(r - 2) == ad[r - 1];
    }

    private Node conv() {
        DType t = rnd.nextDouble() < 0.85 ? DType.F32 : DType.F64;
        Node x = pick(n -> n.dtype().isFloating() && n.shape().rank() == 4 && n.shape().dim(1) <= 8 && n.shape().dim(2) >= 2 && n.shape().dim(3) >= 2);
        if (x == null || rnd.nextDouble() < 0.3) {
            int[] d = {1 + rnd.nextInt(2), 1 + rnd.nextInt(3), 3 + rnd.nextInt(8), 3 + rnd.nextInt(8)};
            x = leaf(fit(d), t);
        }
        t = x.dtype();
        int c = x.shape().dim(1), h = x.shape().dim(2), w = x.shape().dim(3);
        int o = 1 + rnd.nextInt(4), kh = 1 + rnd.nextInt(3), kw = 1 + rnd.nextInt(3);
        int sh = 1 + rnd.nextInt(3), sw = 1 + rnd.nextInt(3), ph = rnd.nextInt(3), pw = rnd.nextInt(3);
        int dh = 1 + rnd.nextInt(2), dw = 1 + rnd.nextInt(2);
        int oh = convOut(h, kh, sh, ph, dh), ow = convOut(w, kw, sw, pw, dw);
        if (oh <= 0 || ow <= 0) {
            dh = dw = 1;
            kh = Math.min(kh, h);
            kw = Math.min(kw, w);
            oh = convOut(h, kh, sh, ph, dh);
            ow = convOut(w, kw, sw, pw, dw);
        }
        if ((long) x.shape().dim(0) * o * oh * ow > cfg.maxNumel()) return null;
        Node wt = leaf(Shape.of(o, c, kh, kw), t);
        Node y = Ops.conv2d(x, wt, sh, sw, ph, pw, dh, dw);
        Info ix = info(x), iw = info(wt);
        int kk = c * kh * kw;
        double bound = kk * ix.bound * iw.bound;
        return register(y, mk(y, bound, gSum(ix, iw), kk * (ix.err * iw.bound + iw.err * ix.bound), ix.lowPrecision, kk + 1));
    }

    private static int convOut(int size, int kernel, int stride, int pad, int dilation) {
        int span = size + 2 * pad - dilation * (kernel - 1) - 1;
        return span < 0 ? 0 : span / stride + 1;
    }

    private Node random() {
        Shape s = randomShape();
        Node seedNode;
        double r = rnd.nextDouble();
        Node i64 = pick(n -> n.dtype() == DType.I64 && smallInt(n));
        if (r < 0.2 && i64 != null) {
            seedNode = i64.shape().rank() == 0 ? i64 : Ops.sum(i64, Ops.allAxes(i64), false);
            register(seedNode, new Info(info(i64).bound * i64.shape().numel(), 0, 0, false));
        } else {
            seedNode = Node.leaf(Op.Role.INPUT, "seed" + leaves++, Shape.scalar(), DType.I64);
            boolean small = rnd.nextDouble() < 0.3;
            // big seeds stay out of the pool (integer arithmetic on them would overflow)
            inputs.put(seedNode, new double[] {small ? rnd.nextInt(100) : rnd.nextLong() >> 11});
            info.put(seedNode, new Info(small ? 100 : Integer.MAX_VALUE, 0, 0, false));
            if (small) pool.add(seedNode);
        }
        Node u = register(Node.of(new Op.RandomUniform(s, rnd.nextInt(1000)), seedNode), new Info(1, 24, 0, false));
        if (rnd.nextDouble() < 0.4) {
            // dropout-like: keep where u < p, else 0
            Node x = pick(n -> n.dtype() == DType.F32 && broadcastable(n.shape(), s));
            if (x != null) {
                Node keep = register(Ops.lt(u, Ops.scalar(0.5, DType.F32)), new Info(1, 0, 0, false));
                Node n = Ops.where(keep, x, Ops.scalar(0, DType.F32));
                Info ix = info(x);
                return register(n, mk(n, ix.bound, ix.gran, ix.err, ix.lowPrecision));
            }
        }
        return u;
    }
}
