package dev.kiln.dsl;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Scope;
import dev.kiln.ir.Shape;
import dev.kiln.ir.ShapeException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shape errors surface when an op is built (not when values are read) and name the shapes involved. */
class ShapeErrorTest {

    private static void assertContains(String message, String... parts) {
        for (String p : parts) assertTrue(message != null && message.contains(p), () -> "message \"" + message + "\" should mention " + p);
    }

    @Test
    void mmWithMismatchedInnerDimensionsFailsAtConstruction() {
        Tensor a = Kiln.zeros(64, 256);
        Tensor b = Kiln.zeros(400, 120);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.mm(b));
        assertContains(e.getMessage(), "[64, 256]", "[400, 120]");
        // PyTorch: "mat1 and mat2 shapes cannot be multiplied (64x256 and 400x120)"
        assertContains(e.getMessage(), "mat1 and mat2 shapes cannot be multiplied (64x256 and 400x120)");
    }

    @Test
    void matmulWithMismatchedInnerDimensions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kiln.zeros(64, 256).matmul(Kiln.zeros(400, 120)));
        assertContains(e.getMessage(), "[64, 256]", "[400, 120]");
    }

    @Test
    void mmOfNonMatrices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kiln.zeros(3).mm(Kiln.zeros(3, 2)));
        assertContains(e.getMessage(), "[3]", "[3, 2]");
    }

    @Test
    void broadcastFailureNamesBothShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kiln.zeros(3, 4).add(Kiln.zeros(5)));
        assertContains(e.getMessage(), "[3, 4]", "[5]");
        assertThrows(IllegalArgumentException.class, () -> Kiln.zeros(3, 4).mul(Kiln.zeros(3)));
        assertThrows(IllegalArgumentException.class, () -> Kiln.zeros(2, 3).sub(Kiln.zeros(3, 2)));
    }

    @Test
    void broadcastingThatFitsIsAccepted() {
        assertEquals(Size.of(3, 4), Kiln.zeros(3, 4).add(Kiln.zeros(4)).shape());
        assertEquals(Size.of(3, 4), Kiln.zeros(3, 1).add(Kiln.zeros(1, 4)).shape());
        assertEquals(Size.of(2, 3, 4), Kiln.zeros(2, 1, 4).mul(Kiln.zeros(3, 1)).shape());
    }

    @Test
    void inPlaceResultMustKeepTheShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kiln.zeros(3).add_(Kiln.zeros(2, 3)));
        // PyTorch: "output with shape [3] doesn't match the broadcast shape [2, 3]"
        assertContains(e.getMessage(), "doesn't match the broadcast shape");
    }

    @Test
    void reshapeToAnIncompatibleSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kiln.zeros(3, 4).reshape(5, 5));
        assertEquals("shape '[5, 5]' is invalid for input of size 12", e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> Kiln.zeros(3, 4).view(-1, 5));
        assertEquals("shape '[-1, 5]' is invalid for input of size 12", e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Kiln.zeros(3, 4).reshape(-1, -1));
    }

    @Test
    void permuteWithABadOrder() {
        IllegalArgumentException repeated = assertThrows(IllegalArgumentException.class, () -> Kiln.zeros(3, 4).permute(0, 0));
        assertContains(repeated.getMessage(), "[3, 4]");
        assertThrows(IllegalArgumentException.class, () -> Kiln.zeros(3, 4).permute(0));
        assertThrows(IllegalArgumentException.class, () -> Kiln.zeros(3, 4).permute(0, 1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> Kiln.zeros(3, 4).permute(0, 2));
    }

    @Test
    void matmulBatchMismatch() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Kiln.zeros(2, 3, 4).matmul(Kiln.zeros(5, 4, 6)));
        assertContains(e.getMessage(), "[2, 3, 4]", "[5, 4, 6]");
        // broadcastable batches are fine
        assertEquals(Size.of(2, 3, 6), Kiln.zeros(2, 3, 4).matmul(Kiln.zeros(1, 4, 6)).shape());
    }

    @Test
    void dimensionOutOfRange() {
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> Kiln.zeros(2, 3).sum(2));
        // PyTorch: "Dimension out of range (expected to be in range of [-2, 1], but got 2)"
        assertEquals("Dimension out of range (expected to be in range of [-2, 1], but got 2)", e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> Kiln.zeros(2, 3).select(0, 2));
    }

    @Test
    void catOfMismatchedShapes() {
        assertThrows(IllegalArgumentException.class, () -> Kiln.cat(List.of(Kiln.zeros(2, 3), Kiln.zeros(2, 4)), 0));
        assertThrows(IllegalArgumentException.class, () -> Kiln.cat(List.of(Kiln.zeros(2, 3), Kiln.zeros(3)), 0));
    }

    // ---- IR level ---------------------------------------------------------------------------------------------------

    private static Node leaf(int... dims) { return Node.leaf(Op.Role.INPUT, "x", Shape.of(dims), DType.F32); }

    @Test
    void irMatMulOnRankOne() {
        ShapeException e = assertThrows(ShapeException.class, () -> Node.of(new Op.MatMul(), leaf(3), leaf(3)));
        assertContains(e.getMessage(), "matmul", "[3] and [3]");
    }

    @Test
    void irMatMulInnerMismatch() {
        ShapeException e = assertThrows(ShapeException.class, () -> Node.of(new Op.MatMul(), leaf(64, 256), leaf(400, 120)));
        assertContains(e.getMessage(), "matmul", "[64, 256]", "[400, 120]", "256", "400");
    }

    @Test
    void irConv2dChannelMismatch() {
        ShapeException e = assertThrows(ShapeException.class,
                () -> Node.of(new Op.Conv2d(1, 1, 0, 0, 1, 1), leaf(1, 3, 8, 8), leaf(4, 2, 3, 3)));
        assertContains(e.getMessage(), "conv2d", "[1, 3, 8, 8]", "[4, 2, 3, 3]", "3 channels");
    }

    @Test
    void irConv2dKernelLargerThanInput() {
        ShapeException e = assertThrows(ShapeException.class,
                () -> Node.of(new Op.Conv2d(1, 1, 0, 0, 1, 1), leaf(1, 1, 2, 2), leaf(1, 1, 3, 3)));
        assertContains(e.getMessage(), "conv2d", "[1, 1, 2, 2]", "[1, 1, 3, 3]");
    }

    @Test
    void irBinaryNeedsEqualShapesAndDtypes() {
        ShapeException e = assertThrows(ShapeException.class, () -> Node.of(new Op.Binary(Op.BinaryFn.ADD), leaf(2, 3), leaf(3)));
        assertContains(e.getMessage(), "add", "[2, 3]", "[3]");
        Node i = Node.leaf(Op.Role.INPUT, "i", Shape.of(2, 3), DType.I64);
        ShapeException d = assertThrows(ShapeException.class, () -> Node.of(new Op.Binary(Op.BinaryFn.MUL), leaf(2, 3), i));
        assertContains(d.getMessage(), "mul", "float32", "int64");
    }

    @Test
    void irReshapeNumelMismatch() {
        ShapeException e = assertThrows(ShapeException.class, () -> Node.of(new Op.Reshape(Shape.of(5, 5)), leaf(3, 4)));
        assertContains(e.getMessage(), "Reshape", "[3, 4]", "[5, 5]");
    }

    // ---- scopes -----------------------------------------------------------------------------------------------------

    @Test
    void irFailureInsideAScopeMentionsTheScope() {
        ShapeException e = assertThrows(ShapeException.class, () -> Scope.within("fc1 (Linear 400→120)",
                () -> Ops.matmul(leaf(64, 256), leaf(400, 120))));
        assertContains(e.getMessage(), "fc1 (Linear 400→120)", "[64, 256]", "[400, 120]");
        assertNull(Scope.current(), "the scope is left even when its body throws");
    }

    @Test
    void broadcastFailureInsideAScopeMentionsTheScope() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scope.within("fc1 (Linear 400→120)",
                () -> Kiln.zeros(3, 4).add(Kiln.zeros(5))));
        assertContains(e.getMessage(), "fc1 (Linear 400→120)", "[3, 4]", "[5]");
    }

    @Test
    void mmFailureInsideAScopeMentionsTheScope() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scope.within("fc1 (Linear 400→120)",
                () -> Kiln.zeros(64, 256).mm(Kiln.zeros(400, 120))));
        assertContains(e.getMessage(), "fc1 (Linear 400→120)", "[64, 256]", "[400, 120]");
        assertNull(Scope.current());
    }

    @Test
    void innermostScopeIsReported() {
        ShapeException e = assertThrows(ShapeException.class, () -> Scope.within("net", () -> Scope.within("conv2 (Conv2d 6→16)",
                () -> Ops.conv2d(leaf(1, 3, 8, 8), leaf(16, 6, 5, 5), 1, 1, 0, 0, 1, 1))));
        assertContains(e.getMessage(), "conv2 (Conv2d 6→16)");
        assertEquals("ok", Scope.within("outer", () -> {
            assertEquals("outer", Scope.current());
            return Scope.within("inner", () -> "inner".equals(Scope.current()) ? "ok" : "wrong");
        }));
    }
}
