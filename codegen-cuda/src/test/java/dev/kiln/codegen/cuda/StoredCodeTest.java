package dev.kiln.codegen.cuda;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Scheduler;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A CUDA program's stored code (what a saved step carries) is its PTX and the fingerprint of the CUDA C it came from;
 * loading re-renders the graph for its launches and refuses PTX that doesn't belong to that rendering. No GPU needed:
 * loading touches no device.
 */
class StoredCodeTest {
    private static KernelGraph graph(int k) {
        Node a = Node.leaf(Op.Role.INPUT, "a", Shape.of(6, k), DType.F32), b = Node.leaf(Op.Role.INPUT, "b", Shape.of(k, 25), DType.F32);
        return Scheduler.schedule(List.of(Ops.unary(Op.UnaryFn.RELU, Ops.matmul(a, b))), n -> false).graph();
    }

    @Test
    void loadsItsOwnCodeAndRefusesAnyOther() {
        CudaToolchain.requireNvccAndCxx();
        CudaBackend cuda = new CudaBackend();
        KernelGraph split = graph(5000), unsplit = graph(100);
        List<byte[]> code = cuda.compile(split).code();
        assertEquals(2, code.size(), "PTX and fingerprint");
        Program loaded = cuda.load(split, code);
        assertEquals(new String(code.get(0)), new String(loaded.code().get(0)));

        String other = assertThrows(IllegalStateException.class, () -> cuda.load(unsplit, code)).getMessage();
        assertTrue(other.contains("renders differently") && other.contains("compile the step again"), other);
        String old = assertThrows(IllegalArgumentException.class, () -> cuda.load(split, List.of(code.get(0)))).getMessage();
        assertTrue(old.contains("older Kiln"), old);
    }
}
