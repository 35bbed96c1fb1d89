package dev.kiln.ir;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reference interpreter against values computed by hand. */
class InterpreterTest {

    private static Node leaf(DType t, int... dims) { return Node.leaf(Op.Role.INPUT, "x", Shape.of(dims), t); }

    private static Node leaf(int... dims) { return leaf(DType.F64, dims); }

    private static double[] iota(int n, double start) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = start + i;
        return v;
    }

    /** Evaluates {@code out} with the leaves bound to the given values (leaf, values, leaf, values, ...). */
    private static double[] eval(Node out, Object... bindings) {
        Map<Node, double[]> known = new HashMap<>();
        for (int i = 0; i < bindings.length; i += 2) known.put((Node) bindings[i], (double[]) bindings[i + 1]);
        return Interpreter.evaluate(out, known);
    }

    // ---- contractions -----------------------------------------------------------------------------------------------

    @Test
    void matmul() {
        Node a = leaf(2, 3), b = leaf(3, 2);
        // [[1, 2, 3], [4, 5, 6]] @ [[7, 8], [9, 10], [11, 12]] = [[58, 64], [139, 154]]
        assertArrayEquals(new double[] {58, 64, 139, 154}, eval(Ops.matmul(a, b), a, iota(6, 1), b, iota(6, 7)));
    }

    @Test
    void batchedMatmul() {
        Node a = leaf(2, 2, 2), b = leaf(2, 2, 1);
        // batch 0: [[1, 2], [3, 4]] @ [[1], [1]] = [[3], [7]]; batch 1: [[5, 6], [7, 8]] @ [[2], [-1]] = [[4], [6]]
        assertArrayEquals(new double[] {3, 7, 4, 6}, eval(Ops.matmul(a, b), a, iota(8, 1), b, new double[] {1, 1, 2, -1}));
    }

    @Test
    void conv2dWithStrideAndPadding() {
        Node x = leaf(1, 1, 4, 4), w = leaf(1, 1, 3, 3);
        double[] ones = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        // input 1..16 in rows of 4; 3x3 box sums at stride 2 with one ring of zero padding:
        // (0,0): 1+2+5+6 = 14; (0,1): 2+3+4+6+7+8 = 30; (1,0): 5+6+9+10+13+14 = 57; (1,1): 6+7+8+10+11+12+14+15+16 = 99
        Node y = Ops.conv2d(x, w, 2, 2, 1, 1, 1, 1);
        assertArrayEquals(new int[] {1, 1, 2, 2}, y.shape().dims());
        assertArrayEquals(new double[] {14, 30, 57, 99}, eval(y, x, iota(16, 1), w, ones));
    }

    @Test
    void conv2dIsCrossCorrelation() {
        Node x = leaf(1, 1, 3, 3), w = leaf(1, 1, 2, 2);
        // input 1..9, kernel [[1, 2], [3, 4]] not flipped: (0,0) = 1·1 + 2·2 + 4·3 + 5·4 = 37, then 47, 67, 77
        assertArrayEquals(new double[] {37, 47, 67, 77}, eval(Ops.conv2d(x, w, 1, 1, 0, 0, 1, 1), x, iota(9, 1), w, iota(4, 1)));
    }

    @Test
    void conv2dWithDilation() {
        Node x = leaf(1, 1, 5, 5), w = leaf(1, 1, 2, 2);
        // input x[r][c] = 5r + c + 1; a 2x2 kernel of ones dilated by 2 sums x[i][j], x[i][j+2], x[i+2][j], x[i+2][j+2]
        // = 20i + 4j + 28
        double[] expected = new double[9];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) expected[i * 3 + j] = 20 * i + 4 * j + 28;
        assertArrayEquals(expected, eval(Ops.conv2d(x, w, 1, 1, 0, 0, 2, 2), x, iota(25, 1), w, new double[] {1, 1, 1, 1}));
    }

    @Test
    void conv2dMixesChannelsAndKeepsBatchesApart() {
        Node x = leaf(2, 2, 2, 2), w = leaf(3, 2, 1, 1);
        double[] in = {1, 2, 3, 4, 5, 6, 7, 8, 10, 20, 30, 40, 50, 60, 70, 80};
        // out 0 = channel 0, out 1 = channel 1, out 2 = channel 0 − channel 1
        double[] weights = {1, 0, 0, 1, 1, -1};
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6, 7, 8, -4, -4, -4, -4, 10, 20, 30, 40, 50, 60, 70, 80, -40, -40, -40, -40},
                eval(Ops.conv2d(x, w, 1, 1, 0, 0, 1, 1), x, in, w, weights));
    }

    // ---- reductions -------------------------------------------------------------------------------------------------

    @Test
    void reduceSumAndMax() {
        Node x = leaf(2, 3);
        double[] v = {1, 5, 3, 4, 2, 6};
        Node sum0 = Ops.sum(x, List.of(0), true);
        assertArrayEquals(new int[] {1, 3}, sum0.shape().dims());
        assertArrayEquals(new double[] {5, 7, 9}, eval(sum0, x, v));
        assertArrayEquals(new double[] {9, 12}, eval(Ops.sum(x, List.of(1), false), x, v));
        assertArrayEquals(new double[] {5, 6}, eval(Ops.max(x, List.of(1), false), x, v));
        Node maxAll = Ops.max(x, List.of(0, 1), true);
        assertArrayEquals(new int[] {1, 1}, maxAll.shape().dims());
        assertArrayEquals(new double[] {6}, eval(maxAll, x, v));
        assertArrayEquals(new double[] {21}, eval(Ops.sum(x, List.of(0, 1), false), x, v));
        // all negative: max starts from -inf, not 0
        Node n = leaf(3);
        assertArrayEquals(new double[] {-1}, eval(Ops.max(n, List.of(0), false), n, new double[] {-3, -1, -2}));
        assertTrue(Double.isNaN(eval(Ops.max(n, List.of(0), false), n, new double[] {1, Double.NaN, 2})[0]));
    }

    @Test
    void reduceOverNonAdjacentAxes() {
        Node x = leaf(2, 2, 2);
        // x[i][j][k] = 4i + 2j + k; summing over i and k leaves 10 + 8j
        Node s = Ops.sum(x, List.of(0, 2), true);
        assertArrayEquals(new int[] {1, 2, 1}, s.shape().dims());
        assertArrayEquals(new double[] {10, 18}, eval(s, x, iota(8, 0)));
        assertArrayEquals(new double[] {5, 7}, eval(Ops.max(x, List.of(0, 2), false), x, iota(8, 0)));
    }

    // ---- movement ---------------------------------------------------------------------------------------------------

    @Test
    void permute() {
        Node m = leaf(2, 3);
        assertArrayEquals(new double[] {0, 3, 1, 4, 2, 5}, eval(Ops.permute(m, List.of(1, 0)), m, iota(6, 0)));
        Node x = leaf(2, 3, 4);
        Node p = Ops.permute(x, List.of(2, 0, 1));
        double[] expected = new double[24];
        int f = 0;
        for (int k = 0; k < 4; k++) for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) expected[f++] = 12 * i + 4 * j + k;
        assertArrayEquals(expected, eval(p, x, iota(24, 0)));
    }

    @Test
    void expand() {
        Node row = leaf(1, 3), col = leaf(2, 1);
        assertArrayEquals(new double[] {1, 2, 3, 1, 2, 3}, eval(Ops.expand(row, Shape.of(2, 3)), row, new double[] {1, 2, 3}));
        assertArrayEquals(new double[] {7, 7, 7, 8, 8, 8}, eval(Ops.expand(col, Shape.of(2, 3)), col, new double[] {7, 8}));
        Node s = Ops.scalar(4, DType.F64);
        assertArrayEquals(new double[] {4, 4, 4, 4}, eval(Ops.full(4, Shape.of(2, 2), DType.F64)));
        assertArrayEquals(new double[] {4, 4}, eval(Ops.broadcastTo(s, Shape.of(2))));
    }

    @Test
    void sliceWithStep() {
        Node x = leaf(10);
        double[] v = iota(10, 0);
        assertArrayEquals(new double[] {1, 4, 7}, eval(Node.of(new Op.Slice(List.of(1), List.of(8), List.of(3)), x), x, v));
        assertArrayEquals(new double[] {2, 3, 4}, eval(Ops.narrow(x, 0, 2, 5), x, v));
        assertArrayEquals(new double[0], eval(Node.of(new Op.Slice(List.of(5), List.of(5), List.of(1)), x), x, v));
    }

    @Test
    void sliceWithNegativeStep() {
        Node x = leaf(10);
        double[] v = iota(10, 0);
        assertArrayEquals(new double[] {8, 5, 2}, eval(Node.of(new Op.Slice(List.of(8), List.of(-1), List.of(-3)), x), x, v));
        assertArrayEquals(new double[] {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, eval(Ops.flip(x, List.of(0)), x, v));
        assertArrayEquals(new double[] {4, 2}, eval(Node.of(new Op.Slice(List.of(4), List.of(0), List.of(-2)), x), x, v));
        Node m = leaf(3, 4);
        // rows 2, 1, 0 and columns 0, 2 of [[0..3], [4..7], [8..11]]
        Node s = Node.of(new Op.Slice(List.of(2, 0), List.of(-1, 4), List.of(-1, 2)), m);
        assertArrayEquals(new int[] {3, 2}, s.shape().dims());
        assertArrayEquals(new double[] {8, 10, 4, 6, 0, 2}, eval(s, m, iota(12, 0)));
        // columns reversed with step -2 from the last: 3, 1
        Node r = Node.of(new Op.Slice(List.of(0, 3), List.of(3, -1), List.of(1, -2)), m);
        assertArrayEquals(new double[] {3, 1, 7, 5, 11, 9}, eval(r, m, iota(12, 0)));
    }

    @Test
    void pad() {
        Node x = leaf(2, 2);
        Node p = Ops.pad(x, List.of(1, 0), List.of(0, 2), -1);
        assertArrayEquals(new int[] {3, 4}, p.shape().dims());
        assertArrayEquals(new double[] {-1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1}, eval(p, x, new double[] {1, 2, 3, 4}));
        Node y = leaf(3);
        assertArrayEquals(new double[] {0, 0, 5, 6, 7, 0}, eval(Ops.pad(y, List.of(2), List.of(1), 0), y, new double[] {5, 6, 7}));
        // padOrCrop: crop one in front, pad two behind
        assertArrayEquals(new double[] {6, 7, 0, 0}, eval(Ops.padOrCrop(y, List.of(-1), List.of(2)), y, new double[] {5, 6, 7}));
    }

    @Test
    void dilate() {
        Node x = leaf(3);
        assertArrayEquals(new double[] {1, 0, 0, 2, 0, 0, 3}, eval(Ops.dilate(x, 0, 3), x, new double[] {1, 2, 3}));
    }

    // ---- elementwise ------------------------------------------------------------------------------------------------

    @Test
    void where() {
        Node c = leaf(DType.BOOL, 3), a = leaf(3), b = leaf(3);
        assertArrayEquals(new double[] {1, 20, 3},
                eval(Node.of(new Op.Where(), c, a, b), c, new double[] {1, 0, 1}, a, new double[] {1, 2, 3}, b, new double[] {10, 20, 30}));
    }

    @Test
    void comparisons() {
        Node a = leaf(4), b = leaf(4);
        double[] av = {1, 2, 3, Double.NaN}, bv = {2, 2, 2, Double.NaN};
        assertArrayEquals(new double[] {1, 0, 0, 0}, eval(Ops.lt(a, b), a, av, b, bv));
        assertArrayEquals(new double[] {0, 0, 1, 0}, eval(Ops.gt(a, b), a, av, b, bv));
        assertArrayEquals(new double[] {0, 1, 0, 0}, eval(Ops.eq(a, b), a, av, b, bv), "NaN != NaN");
        double[] mx = eval(Ops.max(a, b), a, av, b, bv);
        assertArrayEquals(new double[] {2, 2, 3}, java.util.Arrays.copyOf(mx, 3));
        assertTrue(Double.isNaN(mx[3]));
        assertArrayEquals(new double[] {1, 2, 2}, java.util.Arrays.copyOf(eval(Ops.min(a, b), a, av, b, bv), 3));
    }

    @Test
    void arithmeticAndUnary() {
        Node a = leaf(3), b = leaf(3);
        double[] av = {1, 4, 9}, bv = {2, 2, 0.5};
        assertArrayEquals(new double[] {3, 6, 9.5}, eval(Ops.add(a, b), a, av, b, bv));
        assertArrayEquals(new double[] {-1, 2, 8.5}, eval(Ops.sub(a, b), a, av, b, bv));
        assertArrayEquals(new double[] {2, 8, 4.5}, eval(Ops.mul(a, b), a, av, b, bv));
        assertArrayEquals(new double[] {0.5, 2, 18}, eval(Ops.div(a, b), a, av, b, bv));
        assertArrayEquals(new double[] {1, 16, 3}, eval(Ops.pow(a, b), a, av, b, bv));
        assertArrayEquals(new double[] {1, 2, 3}, eval(Ops.unary(Op.UnaryFn.SQRT, a), a, av));
        assertArrayEquals(new double[] {1, 0.25, 1.0 / 9}, eval(Ops.unary(Op.UnaryFn.RECIPROCAL, a), a, av));
        Node s = leaf(3);
        double[] sv = {-3, 0, 2};
        assertArrayEquals(new double[] {-1, 0, 1}, eval(Ops.unary(Op.UnaryFn.SIGN, s), s, sv));
        assertArrayEquals(new double[] {3, 0, 2}, eval(Ops.unary(Op.UnaryFn.ABS, s), s, sv));
        assertArrayEquals(new double[] {3, 0, -2}, eval(Ops.neg(s), s, sv), 0.0);
        assertArrayEquals(new double[] {0.5}, eval(Ops.unary(Op.UnaryFn.SIGMOID, Ops.scalar(0, DType.F64))));
        assertArrayEquals(new double[] {Math.tanh(2), Math.exp(2), Math.log(2)},
                new double[] {eval(Ops.unary(Op.UnaryFn.TANH, Ops.scalar(2, DType.F64)))[0], eval(Ops.unary(Op.UnaryFn.EXP, Ops.scalar(2, DType.F64)))[0],
                        eval(Ops.unary(Op.UnaryFn.LOG, Ops.scalar(2, DType.F64)))[0]}, 1e-15);
    }

    @Test
    void integerArithmeticTruncates() {
        Node a = leaf(DType.I64, 3), b = leaf(DType.I64, 3);
        // 7 / 2 = 3, -7 / 2 = -3 (toward zero), 6 / 3 = 2
        assertArrayEquals(new double[] {3, -3, 2}, eval(Ops.div(a, b), a, new double[] {7, -7, 6}, b, new double[] {2, 2, 3}));
    }

    @Test
    void castRounding() {
        Node x = leaf(6);
        double[] v = {-2.7, -0.5, 0, 0.5, 2.7, 3.999};
        assertArrayEquals(new double[] {-2, 0, 0, 0, 2, 3}, eval(Ops.cast(x, DType.I64), x, v));
        assertArrayEquals(new double[] {-2, 0, 0, 0, 2, 3}, eval(Ops.cast(x, DType.I32), x, v));
        assertArrayEquals(new double[] {1, 1, 0, 1, 1, 1}, eval(Ops.cast(x, DType.BOOL), x, v));
        double[] f = eval(Ops.cast(x, DType.F32), x, new double[] {0.1, 1e-50, 1e40, -2.5, 16777217, 1.0 / 3});
        assertArrayEquals(new double[] {(float) 0.1, 0, Double.POSITIVE_INFINITY, -2.5, 16777216, (float) (1.0 / 3)}, f);
        assertFalse(0.1 == f[0]);
    }

    // ---- random -----------------------------------------------------------------------------------------------------

    @Test
    void randomUniformIsDeterministicAndInRange() {
        Node r = Node.of(new Op.RandomUniform(Shape.of(100, 100), 1), Ops.scalar(42, DType.I64));
        double[] a = eval(r), b = eval(r);
        assertArrayEquals(a, b);
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            assertTrue(a[i] >= 0 && a[i] < 1, "value " + a[i]);
            assertEquals((float) a[i], a[i], "float32-exact");
            assertEquals(Rng.uniform(42, 1, i), a[i]);
            sum += a[i];
        }
        assertEquals(0.5, sum / a.length, 0.01);
        // the same draw through a bound seed leaf
        Node seed = leaf(DType.I64);
        Node r2 = Node.of(new Op.RandomUniform(Shape.of(100, 100), 1), seed);
        assertArrayEquals(a, eval(r2, seed, new double[] {42}));
        // another seed or salt gives other numbers
        assertFalse(java.util.Arrays.equals(a, eval(r2, seed, new double[] {43})));
        assertFalse(java.util.Arrays.equals(a, eval(Node.of(new Op.RandomUniform(Shape.of(100, 100), 2), Ops.scalar(42, DType.I64)))));
    }

    // ---- evaluation mechanics ---------------------------------------------------------------------------------------

    @Test
    void knownNodesAreNotRecomputed() {
        Node x = leaf(2);
        Node y = Ops.unary(Op.UnaryFn.EXP, x);
        Node z = Ops.add(y, y);
        // y is given, so x need not be bound
        assertArrayEquals(new double[] {2, 4}, eval(z, y, new double[] {1, 2}));
        Map<Node, double[]> out = Interpreter.evaluate(List.of(y, z), Map.of(x, new double[] {0, 0}));
        assertArrayEquals(new double[] {1, 1}, out.get(y));
        assertArrayEquals(new double[] {2, 2}, out.get(z));
    }

    @Test
    void unboundLeafIsAnError() {
        Node x = Node.leaf(Op.Role.PARAMETER, "w", Shape.of(2), DType.F32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> eval(Ops.neg(x)));
        assertTrue(e.getMessage().contains("parameter \"w\""), e.getMessage());
    }

    @Test
    void autodiffGradientsEvaluate() {
        // d/dx Σ (x·x) = 2x, d/dw Σ (x @ w) for x [1, 2], w [2, 1] = x^T
        Node x = leaf(1, 2), w = leaf(2, 1);
        Node loss = Ops.sum(Ops.add(Ops.matmul(x, w), Ops.sum(Ops.mul(x, x), List.of(0, 1), true)), List.of(0, 1), false);
        List<Node> g = Autodiff.gradients(List.of(loss), List.of(Ops.scalar(1, DType.F64)), List.of(x, w));
        Map<Node, double[]> known = Map.of(x, new double[] {3, -1}, w, new double[] {5, 7});
        Map<Node, double[]> out = Interpreter.evaluate(g, known);
        assertArrayEquals(new double[] {5 + 6, 7 - 2}, out.get(g.get(0)), 1e-12);
        assertArrayEquals(new double[] {3, -1}, out.get(g.get(1)), 1e-12);
    }
}
