package dev.kiln.ir.kernel;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class IxTest {
    private static final Ix I2 = Ix.var(2, 14), I3 = Ix.var(3, 14);

    @Test
    void solveForVarInvertsOneAffineTerm() {
        assertEquals(new Ix.Range(3, 1, 10), I3.plus(-1).solveForVar(0, 9));          // 0 ≤ i3 − 1 ≤ 9
        assertEquals(new Ix.Range(3, 0, 4), I3.times(2).plus(1).solveForVar(0, 9));   // 0 ≤ 2·i3 + 1 ≤ 9
        assertEquals(new Ix.Range(3, -9, 0), I3.times(-1).solveForVar(0, 9));         // 0 ≤ −i3 ≤ 9
        assertEquals(new Ix.Range(3, -4, -1), I3.times(-2).plus(1).solveForVar(3, 9)); // 3 ≤ 1 − 2·i3 ≤ 9
        assertNull(I3.plus(I2).solveForVar(0, 9));
        assertNull(I3.div(2).solveForVar(0, 9));
    }

    @Test
    void withinFoldsTheIndexArithmeticOfAShiftedReshape() {
        // a [10×10] block flattened, shifted by one row and one column, read back through a [64, 100] reshape:
        // the kind of index col2im produces. Under the guard 1 ≤ i2 ≤ 10, 1 ≤ i3 ≤ 10 it is plain affine.
        Ix flat = Ix.var(0, 64).times(100).plus(I2.plus(-1).times(10)).plus(I3.plus(-1));
        Ix index = flat.div(100).mod(64).times(100).plus(flat.mod(100));
        Ix narrowed = index.within(List.of(new Ix.Range(2, 1, 10), new Ix.Range(3, 1, 10)));
        assertEquals("100*i0 + 10*i2 + i3 - 11", narrowed.toString());
        assertEquals(true, index.toString().contains("/"), "without the guard the divisions stay: " + index);
    }

    @Test
    void withinAgreesWithTheOriginalEverywhereInTheRange() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 500; trial++) {
            int e0 = 1 + rnd.nextInt(12), e1 = 1 + rnd.nextInt(12);
            Ix a = Ix.var(0, e0), b = Ix.var(1, e1);
            Ix x = a.times(rnd.nextInt(7) - 3).plus(b.times(1 + rnd.nextInt(9))).plus(rnd.nextInt(21) - 10);
            long d1 = 1 + rnd.nextInt(9), d2 = 1 + rnd.nextInt(9);
            Ix e = x.div(d1).plus(x.mod(d2).times(rnd.nextInt(5) - 2)).plus(x.plus(rnd.nextInt(30)).div(d2).mod(d1));
            long lo0 = rnd.nextInt(12) - 2, hi0 = lo0 + rnd.nextInt(8), lo1 = rnd.nextInt(12) - 2, hi1 = lo1 + rnd.nextInt(8);
            Ix w = e.within(List.of(new Ix.Range(0, lo0, hi0), new Ix.Range(1, lo1, hi1)));
            for (long v0 = Math.max(0, lo0); v0 <= Math.min(hi0, e0 - 1); v0++) {
                for (long v1 = Math.max(0, lo1); v1 <= Math.min(hi1, e1 - 1); v1++) {
                    long[] vars = {v0, v1};
                    assertEquals(e.evaluate(vars), w.evaluate(vars), () -> e + " within ranges became " + w);
                }
            }
        }
    }

    @Test
    void withinLeavesExpressionsWithoutTheVariableAlone() {
        Ix x = I2.div(3);
        assertSame(x, x.within(List.of(new Ix.Range(3, 1, 5))));
    }
}
