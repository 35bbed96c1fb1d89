package dev.kiln.codegen.jvm;

import org.objectweb.asm.Type;
import org.objectweb.asm.commons.GeneratorAdapter;
import org.objectweb.asm.commons.Method;

/**
 * Emits the vector operations of generated pointwise and reduction code as calls of the Vector API itself, operands on
 * the stack in the order the operation names them (reordered through locals where the API wants them otherwise), its
 * constants read from {@link VectorOps}. Every operation rounds as its scalar counterpart in {@link KernelEmitter} does,
 * lane by lane:
 * <ul>
 * <li>{@code add sub mul div max min} (a, b); {@code neg abs sqrt relu reciprocal} (a); max and min as Math.max/min
 *     (NaN wins, +0 above −0), relu as max(a, +0), reciprocal as 1/a;
 * <li>{@code lt eq} (a, b) → a mask; {@code where} (mask, a, b) → a where the mask is set, else b; {@code toFloat}
 *     (mask) → 1 or 0;
 * <li>{@code broadcast} (x); loads (array, index): {@code load} a[i..i+7], {@code loadEvens} a[i], a[i+2], …, a[i+14]
 *     (two loads that never read past a[i+14] and a permute), {@code loadRepeated2} a[i], a[i], a[i+1], a[i+1], …,
 *     {@code loadRepeated4} a[i] ×4, a[i+1] ×4, {@code loadRepeated8} a[i] ×8; {@code loadLanes} (a, i, bits, b)
 *     a[i..i+7] with the lanes whose bits[b + lane] are 0 cleared to +0.0;
 * <li>{@code store} (v, a, i); {@code storeFirst} (v, a, i, n): lanes 0 .. n−1 only, the floats after them untouched;
 * <li>float64 lanes for float32 sums: {@code zeroDoubles}; {@code addDoubles} (sum, x) sum + (double) x;
 *     {@code sumDoubles} (a, b); {@code addToFirstLane} (v, double x) x added to lane 0 and +0.0 to the others (which
 *     changes no lane: a sum from +0.0 is never −0); {@code lane} (v, i); {@code toFloats} (v) each lane rounded to
 *     nearest, as d2f.
 * </ul>
 *
 * <p>Why the API's own methods rather than small helpers of ours: the JIT's optimizing tier stops inlining ordinary
 * methods into a method once its graph passes a node budget (HotSpot's NodeCountInliningCutoff), and a helper left as
 * a call returns its vector boxed, computed by the Vector API's Java fallback, 10-20x slower. The API's methods are
 * annotated to be inlined whatever the budget (later, incrementally), so generated code that calls only them keeps its
 * vectors in registers however large it is. A max-pool gradient's window count with its mask recomputed (4 window
 * elements × 8 operations, through helpers) crossed the budget: 788 µs per LeNet step instead of ~90.
 */
final class VectorCode {
    private VectorCode() {}

    private static final Type OPS = Type.getObjectType("dev/kiln/codegen/jvm/VectorOps");
    private static final Type FV = Type.getObjectType("jdk/incubator/vector/FloatVector");
    private static final Type DV = Type.getObjectType("jdk/incubator/vector/DoubleVector");
    private static final Type IV = Type.getObjectType("jdk/incubator/vector/IntVector");
    private static final Type V = Type.getObjectType("jdk/incubator/vector/Vector");
    private static final Type MASK = Type.getObjectType("jdk/incubator/vector/VectorMask");
    private static final Type SPECIES = Type.getObjectType("jdk/incubator/vector/VectorSpecies");
    private static final Type SHUFFLE = Type.getObjectType("jdk/incubator/vector/VectorShuffle");
    private static final Type OPERATORS = Type.getObjectType("jdk/incubator/vector/VectorOperators");
    private static final Type COMPARISON = Type.getObjectType("jdk/incubator/vector/VectorOperators$Comparison");
    private static final Type CONVERSION = Type.getObjectType("jdk/incubator/vector/VectorOperators$Conversion");
    private static final Type FLOATS = Type.getType(float[].class), INTS = Type.getType(int[].class);
    private static final Type I = Type.INT_TYPE, F = Type.FLOAT_TYPE, D = Type.DOUBLE_TYPE, J = Type.LONG_TYPE;

    /** Emits operation {@code op} (named as in the class comment), its operands on the stack in the order given there. */
    static void emit(GeneratorAdapter g, String op) {
        switch (op) {
            case "add", "sub", "mul", "div", "max", "min" -> virtual(g, FV, op, FV, V);
            case "neg", "abs", "sqrt" -> virtual(g, FV, op, FV);
            case "relu" -> {
                constant(g, "ZERO", FV);
                virtual(g, FV, "max", FV, V);
            }
            case "reciprocal" -> {                                   // ONE.div(a)
                constant(g, "ONE", FV);
                g.swap();
                virtual(g, FV, "div", FV, V);
            }
            case "lt", "eq" -> {                                     // a.compare(LT, b)
                g.getStatic(OPERATORS, op.toUpperCase(), COMPARISON);
                g.swap();
                virtual(g, FV, "compare", MASK, COMPARISON, V);
            }
            case "where" -> {                                        // (m, a, b) → b.blend(a, m)
                int b = keep(g, FV), a = keep(g, FV), m = keep(g, MASK);
                g.loadLocal(b);
                g.loadLocal(a);
                g.loadLocal(m);
                virtual(g, FV, "blend", FV, V, MASK);
            }
            case "toFloat" -> {                                      // ZERO.blend(ONE, m)
                int m = keep(g, MASK);
                constant(g, "ZERO", FV);
                constant(g, "ONE", FV);
                g.loadLocal(m);
                virtual(g, FV, "blend", FV, V, MASK);
            }
            case "broadcast" -> {
                int x = keep(g, F);
                species(g, "S");
                g.loadLocal(x);
                g.invokeStatic(FV, new Method("broadcast", FV, new Type[] {SPECIES, F}));
            }
            case "load" -> {
                int i = keep(g, I), a = keep(g, FLOATS);
                fromArray(g, "S", a, i, 0);
            }
            case "loadEvens" -> {                                    // a[i..i+7] and a[i+7..i+14], two-vector permute
                int i = keep(g, I), a = keep(g, FLOATS);
                fromArray(g, "S", a, i, 0);
                constant(g, "EVENS", SHUFFLE);
                fromArray(g, "S", a, i, 7);
                virtual(g, FV, "rearrange", FV, SHUFFLE, V);
            }
            case "loadRepeated2", "loadRepeated4" -> {               // a narrower load spread over 8 lanes
                boolean two = op.endsWith("2");
                int i = keep(g, I), a = keep(g, FLOATS);
                g.getStatic(FV, two ? "SPECIES_128" : "SPECIES_64", SPECIES);
                g.loadLocal(a);
                g.loadLocal(i);
                g.invokeStatic(FV, new Method("fromArray", FV, new Type[] {SPECIES, FLOATS, I}));
                species(g, "S");
                g.push(0);
                virtual(g, FV, "reinterpretShape", V, SPECIES, I);
                virtual(g, V, "reinterpretAsFloats", FV);
                constant(g, two ? "TWICE" : "FOUR_TIMES", SHUFFLE);
                virtual(g, FV, "rearrange", FV, SHUFFLE);
            }
            case "loadRepeated8" -> {                                // a[i] in every lane
                int i = keep(g, I), a = keep(g, FLOATS);
                species(g, "S");
                g.loadLocal(a);
                g.loadLocal(i);
                g.arrayLoad(F);
                g.invokeStatic(FV, new Method("broadcast", FV, new Type[] {SPECIES, F}));
            }
            case "loadLanes" -> {                                    // (a, i, bits, b): a[i..i+7] AND bits[b..b+7]
                int b = keep(g, I), bits = keep(g, INTS), i = keep(g, I), a = keep(g, FLOATS);
                fromArray(g, "S", a, i, 0);
                virtual(g, FV, "reinterpretAsInts", IV);
                species(g, "INTS");
                g.loadLocal(bits);
                g.loadLocal(b);
                g.invokeStatic(IV, new Method("fromArray", IV, new Type[] {SPECIES, INTS, I}));
                virtual(g, IV, "and", IV, V);
                virtual(g, IV, "reinterpretAsFloats", FV);
            }
            case "store" -> virtual(g, FV, "intoArray", Type.VOID_TYPE, FLOATS, I);
            case "storeFirst" -> {                                   // (v, a, i, n): lanes 0 .. n-1
                int n = keep(g, I);
                species(g, "S");
                g.push(1L);
                g.loadLocal(n);
                g.math(GeneratorAdapter.SHL, J);
                g.push(1L);
                g.math(GeneratorAdapter.SUB, J);
                g.invokeStatic(MASK, new Method("fromLong", MASK, new Type[] {SPECIES, J}));
                virtual(g, FV, "intoArray", Type.VOID_TYPE, FLOATS, I, MASK);
            }
            case "zeroDoubles" -> {
                species(g, "D");
                g.invokeStatic(DV, new Method("zero", DV, new Type[] {SPECIES}));
            }
            case "addDoubles" -> {                                   // (sum, x): sum + (double) x
                convert(g, "F2D", "D", DV);
                virtual(g, DV, "add", DV, V);
            }
            case "sumDoubles" -> virtual(g, DV, "add", DV, V);
            case "toFloats" -> convert(g, "D2F", "S", FV);
            case "addToFirstLane" -> {                               // (v, x): v + (x, 0, 0, …)
                int x = keep(g, D);
                species(g, "D");
                g.invokeStatic(DV, new Method("zero", DV, new Type[] {SPECIES}));
                g.push(0);
                g.loadLocal(x);
                virtual(g, DV, "withLane", DV, I, D);
                virtual(g, DV, "add", DV, V);
            }
            case "lane" -> virtual(g, DV, "lane", D, I);
            default -> throw new IllegalArgumentException("no vector operation " + op);
        }
    }

    /** Pops the value on the stack into a new local. */
    private static int keep(GeneratorAdapter g, Type type) {
        int local = g.newLocal(type);
        g.storeLocal(local);
        return local;
    }

    private static void virtual(GeneratorAdapter g, Type owner, String name, Type result, Type... args) {
        g.invokeVirtual(owner, new Method(name, result, args));
    }

    private static void constant(GeneratorAdapter g, String field, Type type) {
        g.getStatic(OPS, field, type);
    }

    private static void species(GeneratorAdapter g, String field) {
        g.getStatic(OPS, field, SPECIES);
    }

    /** {@code FloatVector.fromArray(VectorOps.species, a, i + plus)}. */
    private static void fromArray(GeneratorAdapter g, String species, int a, int i, int plus) {
        species(g, species);
        g.loadLocal(a);
        g.loadLocal(i);
        if (plus != 0) {
            g.push(plus);
            g.math(GeneratorAdapter.ADD, I);
        }
        g.invokeStatic(FV, new Method("fromArray", FV, new Type[] {SPECIES, FLOATS, I}));
    }

    /** The vector on the stack converted lane by lane ({@code VectorOperators.conversion}) to {@code VectorOps.species}'s shape. */
    private static void convert(GeneratorAdapter g, String conversion, String species, Type result) {
        g.getStatic(OPERATORS, conversion, CONVERSION);
        species(g, species);
        g.push(0);
        virtual(g, V, "convertShape", V, CONVERSION, SPECIES, I);
        g.checkCast(result);
    }
}
