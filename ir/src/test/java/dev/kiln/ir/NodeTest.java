package dev.kiln.ir;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hash-consing of nodes and the shape/dtype rule of every op family. */
class NodeTest {

    private static Node leaf(DType t, int... dims) { return Node.leaf(Op.Role.INPUT, "x", Shape.of(dims), t); }

    private static Node leaf(int... dims) { return leaf(DType.F32, dims); }

    private static void assertShape(Node n, int... dims) { assertArrayEquals(dims, n.shape().dims(), () -> "shape " + n.shape()); }

    // ---- interning --------------------------------------------------------------------------------------------------

    @Test
    void sameOpOnSameInputsIsTheSameNode() {
        Node a = leaf(2, 3), b = leaf(2, 3);
        Node x = Node.of(new Op.Binary(Op.BinaryFn.ADD), a, b);
        Node y = Node.of(new Op.Binary(Op.BinaryFn.ADD), a, b);
        assertSame(x, y);
        assertSame(Node.of(new Op.Unary(Op.UnaryFn.EXP), x), Node.of(new Op.Unary(Op.UnaryFn.EXP), y));
        assertSame(Node.of(new Op.Reduce(Op.ReduceFn.SUM, List.of(1), true), a), Node.of(new Op.Reduce(Op.ReduceFn.SUM, List.of(1), true), a));
        assertSame(Ops.scalar(1.5, DType.F32), Ops.scalar(1.5, DType.F32));
        assertSame(Ops.add(a, b), Ops.add(a, b));
    }

    @Test
    void differentOpsInputsOrAttributesAreDifferentNodes() {
        Node a = leaf(2, 3), b = leaf(2, 3);
        Node add = Node.of(new Op.Binary(Op.BinaryFn.ADD), a, b);
        assertNotSame(add, Node.of(new Op.Binary(Op.BinaryFn.ADD), b, a));
        assertNotSame(add, Node.of(new Op.Binary(Op.BinaryFn.SUB), a, b));
        assertNotSame(Node.of(new Op.Reduce(Op.ReduceFn.SUM, List.of(1), true), a), Node.of(new Op.Reduce(Op.ReduceFn.SUM, List.of(1), false), a));
        assertNotSame(Ops.scalar(1, DType.F32), Ops.scalar(1, DType.F64));
        assertNotSame(Ops.scalar(1, DType.F32), Ops.scalar(2, DType.F32));
        assertNotEquals(add, Node.of(new Op.Binary(Op.BinaryFn.MUL), a, b));
    }

    @Test
    void leavesAreDistinct() {
        Node a = Node.leaf(Op.Role.PARAMETER, "w", Shape.of(3), DType.F32);
        Node b = Node.leaf(Op.Role.PARAMETER, "w", Shape.of(3), DType.F32);
        assertNotSame(a, b);
        assertNotEquals(a, b);
        assertTrue(a.isLeaf());
        assertFalse(Ops.neg(a).isLeaf());
        assertNotSame(Ops.neg(a), Ops.neg(b));
        assertEquals(0, a.inputs().size());
    }

    @Test
    void nodeAccessors() {
        Node a = leaf(2, 3), b = leaf(2, 3);
        Node m = Ops.mul(a, b);
        assertEquals(List.of(a, b), m.inputs());
        assertSame(b, m.input(1));
        assertEquals(new Op.Binary(Op.BinaryFn.MUL), m.op());
        assertEquals("mul[2, 3]:float32", m.toString());
    }

    // ---- sources ----------------------------------------------------------------------------------------------------

    @Test
    void leafAndConstantTypes() {
        Node l = leaf(DType.I64, 4);
        assertShape(l, 4);
        assertEquals(DType.I64, l.dtype());
        Node c = Ops.scalar(2.7, DType.I64);
        assertEquals(0, c.shape().rank());
        assertEquals(DType.I64, c.dtype());
        assertEquals(new Op.Constant(2, DType.I64), c.op(), "constants are rounded to their dtype");
        Node r = Node.of(new Op.RandomUniform(Shape.of(3, 2), 7), Ops.scalar(1, DType.I64));
        assertShape(r, 3, 2);
        assertEquals(DType.F32, r.dtype());
        assertThrows(ShapeException.class, () -> Node.of(new Op.RandomUniform(Shape.of(3), 7), Ops.scalar(1, DType.F32)));
        assertThrows(ShapeException.class, () -> Node.of(new Op.RandomUniform(Shape.of(3), 7), leaf(DType.I64, 1)));
        Node cast = Ops.cast(l, DType.F64);
        assertShape(cast, 4);
        assertEquals(DType.F64, cast.dtype());
        assertSame(l, Ops.cast(l, DType.I64));
    }

    // ---- elementwise ------------------------------------------------------------------------------------------------

    @Test
    void unaryRules() {
        Node f = leaf(2, 3), i = leaf(DType.I64, 2, 3), b = leaf(DType.BOOL, 2);
        Node e = Ops.unary(Op.UnaryFn.EXP, f);
        assertShape(e, 2, 3);
        assertEquals(DType.F32, e.dtype());
        assertEquals(DType.I64, Ops.neg(i).dtype());
        assertEquals(DType.I64, Ops.unary(Op.UnaryFn.ABS, i).dtype());
        ShapeException notFloat = assertThrows(ShapeException.class, () -> Ops.unary(Op.UnaryFn.EXP, i));
        assertTrue(notFloat.getMessage().contains("exp"), notFloat.getMessage());
        assertThrows(ShapeException.class, () -> Ops.neg(b));
    }

    @Test
    void binaryRules() {
        Node a = leaf(2, 3), b = leaf(2, 3);
        assertEquals(DType.F32, Ops.add(a, b).dtype());
        Node lt = Ops.lt(a, b);
        assertEquals(DType.BOOL, lt.dtype());
        assertShape(lt, 2, 3);
        assertEquals(DType.BOOL, Ops.eq(a, b).dtype());
        // Node.of does not broadcast; Ops.binary does
        assertThrows(ShapeException.class, () -> Node.of(new Op.Binary(Op.BinaryFn.ADD), a, leaf(3)));
        Node broadcast = Ops.binary(Op.BinaryFn.ADD, a, leaf(3));
        assertShape(broadcast, 2, 3);
        assertShape(Ops.add(leaf(4, 1), leaf(1, 5)), 4, 5);
        assertShape(Ops.mul(leaf(2, 1, 4), leaf(3, 1)), 2, 3, 4);
        assertThrows(ShapeException.class, () -> Node.of(new Op.Binary(Op.BinaryFn.ADD), a, leaf(DType.F64, 2, 3)));
    }

    @Test
    void broadcastShape() {
        assertEquals(Shape.of(3, 4), Ops.broadcastShape(Shape.of(3, 4), Shape.of(4)));
        assertEquals(Shape.of(3, 4), Ops.broadcastShape(Shape.of(3, 1), Shape.of(1, 4)));
        assertEquals(Shape.of(5), Ops.broadcastShape(Shape.scalar(), Shape.of(5)));
        ShapeException e = assertThrows(ShapeException.class, () -> Ops.broadcastShape(Shape.of(3, 4), Shape.of(5)));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[5]"), e.getMessage());
    }

    @Test
    void whereRules() {
        Node c = leaf(DType.BOOL, 2, 2), a = leaf(2, 2), b = leaf(2, 2);
        Node w = Node.of(new Op.Where(), c, a, b);
        assertShape(w, 2, 2);
        assertEquals(DType.F32, w.dtype());
        assertThrows(ShapeException.class, () -> Node.of(new Op.Where(), a, a, b));
        assertThrows(ShapeException.class, () -> Node.of(new Op.Where(), c, a, leaf(DType.F64, 2, 2)));
        assertThrows(ShapeException.class, () -> Node.of(new Op.Where(), c, a, leaf(2, 3)));
        assertShape(Ops.where(leaf(DType.BOOL, 2, 1), leaf(3), Ops.scalar(0, DType.F32)), 2, 3);
    }

    // ---- reductions -------------------------------------------------------------------------------------------------

    @Test
    void reduceRules() {
        Node x = leaf(2, 3, 4);
        assertShape(Node.of(new Op.Reduce(Op.ReduceFn.SUM, List.of(1), false), x), 2, 4);
        assertShape(Node.of(new Op.Reduce(Op.ReduceFn.SUM, List.of(1), true), x), 2, 1, 4);
        assertShape(Node.of(new Op.Reduce(Op.ReduceFn.MAX, List.of(0, 2), true), x), 1, 3, 1);
        assertShape(Node.of(new Op.Reduce(Op.ReduceFn.MAX, List.of(0, 2), false), x), 3);
        Node all = Node.of(new Op.Reduce(Op.ReduceFn.SUM, List.of(0, 1, 2), false), x);
        assertEquals(0, all.shape().rank());
        assertShape(Node.of(new Op.Reduce(Op.ReduceFn.SUM, List.of(0, 1, 2), true), x), 1, 1, 1);
        assertEquals(DType.I64, Node.of(new Op.Reduce(Op.ReduceFn.SUM, List.of(0), false), leaf(DType.I64, 3)).dtype());
        assertThrows(ShapeException.class, () -> Node.of(new Op.Reduce(Op.ReduceFn.SUM, List.of(2, 1), false), x));
        assertThrows(ShapeException.class, () -> Node.of(new Op.Reduce(Op.ReduceFn.SUM, List.of(1, 1), false), x));
        assertThrows(ShapeException.class, () -> Node.of(new Op.Reduce(Op.ReduceFn.SUM, List.of(3), false), x));
        // Ops.reduce sorts the axes for you and drops empty reductions
        assertShape(Ops.sum(x, List.of(2, 0), true), 1, 3, 1);
        assertSame(x, Ops.sum(x, List.of(), false));
    }

    // ---- movement ---------------------------------------------------------------------------------------------------

    @Test
    void reshapeRules() {
        Node x = leaf(2, 3, 4);
        assertShape(Node.of(new Op.Reshape(Shape.of(6, 4)), x), 6, 4);
        assertShape(Node.of(new Op.Reshape(Shape.of(24)), x), 24);
        assertThrows(ShapeException.class, () -> Node.of(new Op.Reshape(Shape.of(5, 5)), x));
        assertSame(x, Ops.reshape(x, Shape.of(2, 3, 4)));
    }

    @Test
    void permuteRules() {
        Node x = leaf(2, 3, 4);
        assertShape(Node.of(new Op.Permute(List.of(2, 0, 1)), x), 4, 2, 3);
        assertShape(Ops.transposeLast(x), 2, 4, 3);
        assertThrows(ShapeException.class, () -> Node.of(new Op.Permute(List.of(0, 0, 1)), x));
        assertThrows(ShapeException.class, () -> Node.of(new Op.Permute(List.of(0, 1)), x));
        assertThrows(ShapeException.class, () -> Node.of(new Op.Permute(List.of(0, 1, 3)), x));
        assertSame(x, Ops.permute(x, List.of(0, 1, 2)));
        assertEquals(List.of(1, 2, 0), Ops.inversePermutation(List.of(2, 0, 1)));
    }

    @Test
    void expandRules() {
        Node x = leaf(1, 3);
        assertShape(Node.of(new Op.Expand(Shape.of(4, 3)), x), 4, 3);
        assertThrows(ShapeException.class, () -> Node.of(new Op.Expand(Shape.of(4, 5)), x));
        assertThrows(ShapeException.class, () -> Node.of(new Op.Expand(Shape.of(2, 4, 3)), x), "expand keeps the rank");
        assertShape(Ops.broadcastTo(leaf(3), Shape.of(2, 4, 3)), 2, 4, 3);
    }

    @Test
    void sliceRules() {
        Node x = leaf(10);
        assertShape(Node.of(new Op.Slice(List.of(2), List.of(8), List.of(1)), x), 6);
        assertShape(Node.of(new Op.Slice(List.of(1), List.of(10), List.of(3)), x), 3);     // 1, 4, 7
        assertShape(Node.of(new Op.Slice(List.of(1), List.of(8), List.of(3)), x), 3);      // 1, 4, 7
        assertShape(Node.of(new Op.Slice(List.of(5), List.of(2), List.of(1)), x), 0);      // empty
        // negative steps walk backwards: (9, -1, -1) reverses, (8, -1, -3) gives 8, 5, 2
        assertShape(Node.of(new Op.Slice(List.of(9), List.of(-1), List.of(-1)), x), 10);
        assertShape(Node.of(new Op.Slice(List.of(8), List.of(-1), List.of(-3)), x), 3);
        assertShape(Node.of(new Op.Slice(List.of(4), List.of(0), List.of(-2)), x), 2);     // 4, 2
        Node m = leaf(4, 6);
        assertShape(Node.of(new Op.Slice(List.of(1, 5), List.of(3, 0), List.of(1, -2)), m), 2, 3);
        assertThrows(ShapeException.class, () -> Node.of(new Op.Slice(List.of(0), List.of(5), List.of(0)), x));
        assertThrows(ShapeException.class, () -> Node.of(new Op.Slice(List.of(0), List.of(11), List.of(1)), x));
        assertThrows(ShapeException.class, () -> Node.of(new Op.Slice(List.of(10), List.of(-1), List.of(-1)), x));
        assertThrows(ShapeException.class, () -> Node.of(new Op.Slice(List.of(0), List.of(5), List.of(1)), m));
        assertShape(Ops.flip(m, List.of(1)), 4, 6);
        assertShape(Ops.narrow(m, 1, 2, 5), 4, 3);
    }

    @Test
    void padRules() {
        Node x = leaf(2, 3);
        assertShape(Node.of(new Op.Pad(List.of(1, 0), List.of(2, 3), 0), x), 5, 6);
        assertShape(Node.of(new Op.Pad(List.of(0, 0), List.of(0, 0), 0), x), 2, 3);
        assertThrows(ShapeException.class, () -> Node.of(new Op.Pad(List.of(-1, 0), List.of(0, 0), 0), x));
        assertThrows(ShapeException.class, () -> Node.of(new Op.Pad(List.of(1), List.of(1), 0), x));
        assertSame(x, Ops.pad(x, List.of(0, 0), List.of(0, 0), 0));
        assertShape(Ops.padOrCrop(x, List.of(1, -1), List.of(-1, 2)), 2, 4);
        assertShape(Ops.dilate(leaf(1, 1, 3, 3), 2, 2), 1, 1, 5, 3);
    }

    // ---- contractions -----------------------------------------------------------------------------------------------

    @Test
    void matmulRules() {
        assertShape(Ops.matmul(leaf(2, 3), leaf(3, 4)), 2, 4);
        assertShape(Ops.matmul(leaf(5, 2, 3), leaf(5, 3, 4)), 5, 2, 4);
        assertThrows(ShapeException.class, () -> Ops.matmul(leaf(5, 2, 3), leaf(4, 3, 4)));
        assertThrows(ShapeException.class, () -> Ops.matmul(leaf(2, 3), leaf(4, 4)));
        assertThrows(ShapeException.class, () -> Ops.matmul(leaf(2, 3), leaf(5, 3, 4)));
        assertThrows(ShapeException.class, () -> Ops.matmul(leaf(3), leaf(3)));
        assertThrows(ShapeException.class, () -> Ops.matmul(leaf(2, 3), leaf(DType.F64, 3, 4)));
    }

    @Test
    void conv2dOutputSize() {
        Node x = leaf(2, 3, 32, 32);
        // (32 - 5) / 1 + 1 = 28
        assertShape(Ops.conv2d(x, leaf(6, 3, 5, 5), 1, 1, 0, 0, 1, 1), 2, 6, 28, 28);
        // stride 2, padding 1, 3x3: (32 + 2 - 3) / 2 + 1 = 16
        assertShape(Ops.conv2d(x, leaf(8, 3, 3, 3), 2, 2, 1, 1, 1, 1), 2, 8, 16, 16);
        // dilation 2, 3x3: effective kernel 5 -> 28; with padding 2 -> 32
        assertShape(Ops.conv2d(x, leaf(4, 3, 3, 3), 1, 1, 0, 0, 2, 2), 2, 4, 28, 28);
        assertShape(Ops.conv2d(x, leaf(4, 3, 3, 3), 1, 1, 2, 2, 2, 2), 2, 4, 32, 32);
        // asymmetric: H 7, W 10, kernel 3x2, stride (2, 3), padding (0, 1), dilation (1, 2):
        // OH = (7 - 2 - 1) / 2 + 1 = 3; OW = (10 + 2 - 2 - 1) / 3 + 1 = 4
        assertShape(Ops.conv2d(leaf(1, 1, 7, 10), leaf(1, 1, 3, 2), 2, 3, 0, 1, 1, 2), 1, 1, 3, 4);
        assertThrows(ShapeException.class, () -> Ops.conv2d(x, leaf(6, 2, 5, 5), 1, 1, 0, 0, 1, 1));
        assertThrows(ShapeException.class, () -> Ops.conv2d(leaf(3, 32, 32), leaf(6, 3, 5, 5), 1, 1, 0, 0, 1, 1));
        assertThrows(ShapeException.class, () -> Ops.conv2d(x, leaf(6, 3, 5, 5), 0, 1, 0, 0, 1, 1));
        assertThrows(ShapeException.class, () -> Ops.conv2d(leaf(1, 3, 4, 4), leaf(6, 3, 5, 5), 1, 1, 0, 0, 1, 1));
    }

    // ---- folding in Ops ---------------------------------------------------------------------------------------------

    @Test
    void trivialFolding() {
        Node x = leaf(2, 3);
        assertSame(x, Ops.add(x, Ops.scalar(0, DType.F32)));
        assertSame(x, Ops.mul(x, 1.0));
        assertSame(x, Ops.div(x, Ops.full(1, Shape.of(2, 3), DType.F32)));
        assertSame(x, Ops.sub(x, Ops.zerosLike(x)));
        assertEquals(3.0, Ops.constantValue(Ops.full(3, Shape.of(4, 4), DType.F32)));
        assertEquals(null, Ops.constantValue(x));
        // folding never changes the result shape: x[2,3] + zeros[4,2,3] is not x
        assertShape(Ops.add(x, Ops.full(0, Shape.of(4, 2, 3), DType.F32)), 4, 2, 3);
        assertSame(x, Ops.pow(x, Ops.scalar(1, DType.F32)));
        Node y = leaf(2, 3);
        assertSame(x, Ops.where(Ops.scalar(1, DType.BOOL), x, y));
        assertSame(y, Ops.where(Ops.lt(Ops.scalar(2, DType.F32), Ops.scalar(0, DType.F32)), x, y));
        assertShape(Ops.where(Ops.full(1, Shape.of(4, 2, 3), DType.BOOL), x, y), 4, 2, 3);
    }

    @Test
    void theGradientOfASquareHasNoPowerOrMaskLeft() {
        // d/dx x^2 = where(2 == 0, 0, g·2·x^(2−1)): the constant mask and the power of one fold away
        Node x = Node.leaf(Op.Role.PARAMETER, "x", Shape.of(3), DType.F32);
        Node loss = Ops.sum(Ops.pow(x, Ops.full(2, x.shape(), DType.F32)), List.of(0), false);
        Node grad = Autodiff.gradients(List.of(loss), List.of(Ops.scalar(1, DType.F32)), List.of(x)).get(0);
        for (Node n : Graph.topologicalOrder(List.of(grad))) {
            assertFalse(n.op() instanceof Op.Where || n.op() instanceof Op.Binary b && b.fn() == Op.BinaryFn.POW, Graph.dump(List.of(grad)));
        }
    }

    @Test
    void shapeBasics() {
        Shape s = Shape.of(2, 3, 4);
        assertEquals(3, s.rank());
        assertEquals(24, s.numel());
        assertArrayEquals(new int[] {12, 4, 1}, s.strides());
        assertEquals(Shape.of(2, 5, 4), s.with(1, 5));
        assertEquals("[2, 3, 4]", s.toString());
        assertEquals(1, Shape.scalar().numel());
        assertEquals(Shape.scalar(), Shape.of());
        assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -1));
        assertEquals("float32", DType.F32.torchName());
        assertEquals(-2.0, DType.I64.round(-2.9));
        assertEquals(1.0, DType.BOOL.round(-0.5));
    }
}
