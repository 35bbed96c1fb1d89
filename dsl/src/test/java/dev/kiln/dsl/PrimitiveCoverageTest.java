package dev.kiln.dsl;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The op table reaches every primitive (and every unary, binary and reduce function, reversed slices and dilated
 * convolutions) in some row's forward graph, so the golden and finite-difference tests exercise every VJP rule.
 */
class PrimitiveCoverageTest {

    @Test
    void opTableReachesEveryPrimitive() {
        Set<String> expected = new TreeSet<>();
        for (Class<?> c : Op.class.getPermittedSubclasses()) expected.add(c.getSimpleName());
        for (Op.UnaryFn f : Op.UnaryFn.values()) expected.add("Unary." + f);
        for (Op.BinaryFn f : Op.BinaryFn.values()) expected.add("Binary." + f);
        for (Op.ReduceFn f : Op.ReduceFn.values()) expected.add("Reduce." + f);
        expected.add("Slice.reversed");
        expected.add("Conv2d.dilated");

        Set<String> seen = new TreeSet<>();
        for (OpTable.Case c : OpTable.CASES) {
            Tensor y = c.fn().apply(GradCheckTest.float64Inputs(c));
            for (Node n : Graph.topologicalOrder(List.of(y.node()))) seen.addAll(kinds(n.op()));
        }
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(seen);
        assertEquals(Set.of(), missing, "primitives no op-table row reaches");
    }

    private static List<String> kinds(Op op) {
        String name = op.getClass().getSimpleName();
        return switch (op) {
            case Op.Unary u -> List.of(name, "Unary." + u.fn());
            case Op.Binary b -> List.of(name, "Binary." + b.fn());
            case Op.Reduce r -> List.of(name, "Reduce." + r.fn());
            case Op.Slice s -> s.step().stream().anyMatch(v -> v < 0) ? List.of(name, "Slice.reversed") : List.of(name);
            case Op.Conv2d c -> c.dilationH() > 1 || c.dilationW() > 1 ? List.of(name, "Conv2d.dilated") : List.of(name);
            default -> List.of(name);
        };
    }
}
