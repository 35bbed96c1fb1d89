package dev.kiln.codegen.cuda;

import dev.kiln.codegen.jvm.JvmBackend;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelGraph;
import dev.kiln.ir.kernel.Scheduler;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * How contractions are blocked for the GPU. Products with few output tiles and a long k (a convolution's weight
 * gradient) are split along k into a {@code _part} launch writing partial tiles to scratch and a {@code _sum} launch
 * adding them in order and running the epilogue; products with many tiles take the 128×128 tile. Checked here: when a
 * split happens and how deep, the scratch size, which tile, and the results through the host shim against the JVM
 * backend (an epilogue reading another buffer, a batched product, a k that the splits don't divide, partial tiles).
 */
class ContractionBlockingTest {
    private static Node input(String name, int... shape) { return Node.leaf(Op.Role.INPUT, name, Shape.of(shape), DType.F32); }

    /** relu(x @ w + b): m=6, n=25, one tile; k=5000 gives 35 splits of 144 (the last 104 deep). */
    private static List<Node> linearRelu(int k) {
        Node x = input("x", 6, k), w = input("w", k, 25), b = input("b", 25);
        return List.of(Ops.unary(Op.UnaryFn.RELU, Ops.add(Ops.matmul(x, w), Ops.broadcastTo(b, Shape.of(6, 25)))));
    }

    /** [3, 5, 3000] @ [3, 3000, 7]: three tiles, 21 splits each (144 deep, the last 120). */
    private static List<Node> batched() {
        return List.of(Ops.matmul(input("a", 3, 5, 3000), input("b", 3, 3000, 7)));
    }

    @Test
    void splitsOnlyWhenTheTilesLeaveTheGpuIdleAndKIsLong() {
        CudaSource deep = CudaRenderer.render(graph(linearRelu(5000)), "");
        assertEquals(List.of("k0_part", "k0_sum"), deep.launches().stream().map(Launch::name).toList());
        Launch part = deep.launches().get(0), sum = deep.launches().get(1);
        int splits = part.gridZ();
        assertEquals(35, splits, "k=5000, at most 256 blocks and ≥ 128 deep: 39 splits asked, 144 deep, 35 needed");
        assertEquals(List.of((long) splits * 6 * 25 * 4), deep.scratchBytes(), "one float per split and output element");
        assertEquals(Launch.scratch(0), part.buffers().get(0), "the partial launch writes scratch");
        assertEquals(List.of(0, Launch.scratch(0)), sum.buffers().subList(0, 2).stream().map(id -> id < 0 ? id : 0).toList());
        assertEquals(0, sum.kernel());
        assertEquals(0, part.kernel());

        CudaSource shallow = CudaRenderer.render(graph(linearRelu(200)), "");
        assertEquals(List.of("k0"), shallow.launches().stream().map(Launch::name).toList(), "k=200 is too short to split in two");
        assertTrue(shallow.scratchBytes().isEmpty());

        CudaSource wide = CudaRenderer.render(graph(List.of(Ops.matmul(input("a", 1024, 5000), input("b", 5000, 1024)))), "");
        assertEquals(1, wide.launches().size(), "256 tiles fill the GPU without splitting");
    }

    /** [64, 130, 37] @ [64, 37, 130]: 256 large tiles, most only partly inside the output, k not a multiple of 8. */
    private static List<Node> manyTiles() {
        return List.of(Ops.matmul(input("a", 64, 130, 37), input("b", 64, 37, 130)));
    }

    @Test
    void largeProductsTakeTheLargeTile() {
        assertEquals(CudaRenderer.Tile.LARGE, CudaRenderer.Tile.of(contraction(manyTiles())));
        assertEquals(CudaRenderer.Tile.LARGE, CudaRenderer.Tile.of(contraction(List.of(Ops.matmul(input("a", 4096, 4096), input("b", 4096, 4096))))));
        assertEquals(CudaRenderer.Tile.SMALL, CudaRenderer.Tile.of(contraction(List.of(Ops.matmul(input("a", 1024, 64), input("b", 64, 1024))))),
                "64 large tiles would leave most of the GPU idle");
        assertEquals(CudaRenderer.Tile.SMALL, CudaRenderer.Tile.of(contraction(List.of(Ops.matmul(input("a", 6, 25), input("b", 25, 50176))))),
                "6 rows (conv1's forward) would waste most of a 128-row tile");
        assertTrue(CudaRenderer.render(graph(manyTiles()), "").kernels().contains("float acc[8][8];"));
    }

    @Test
    void anEmptyProductRendersAnEmptyLaunch() {
        List<Node> product = List.of(Ops.matmul(input("a", 0, 3), input("b", 3, 4)));
        assertEquals(0, contraction(product).m());
        CudaSource empty = CudaRenderer.render(graph(product), "");
        assertTrue(empty.launches().stream().allMatch(Launch::empty), empty.launches().toString());
    }

    private static Kernel.Contraction contraction(List<Node> outputs) {
        return (Kernel.Contraction) graph(outputs).kernels().stream().filter(k -> k instanceof Kernel.Contraction).findFirst().orElseThrow();
    }

    @Test
    void blockedProductsMatchTheJvmBackend() {
        CudaToolchain.requireNvccAndCxx();
        List<KernelGraph> graphs = List.of(graph(linearRelu(5000)), graph(batched()), graph(manyTiles()));
        List<HostShim.Case> cases = new ArrayList<>();
        List<List<HostBuffer>> expected = new ArrayList<>();
        Random random = new Random(7);
        StringBuilder kernels = new StringBuilder();
        for (int g = 0; g < graphs.size(); g++) {
            KernelGraph graph = graphs.get(g);
            assertTrue(graph.kernels().stream().anyMatch(k -> k instanceof Kernel.Contraction), "a contraction");
            List<HostBuffer> in = new ArrayList<>();
            for (int id : graph.inputs()) {
                float[] v = new float[(int) graph.buffer(id).shape().numel()];
                for (int i = 0; i < v.length; i++) v[i] = (float) random.nextGaussian();
                in.add(HostBuffer.wrap(DType.F32, v));
            }
            cases.add(new HostShim.Case(graph, in));
            expected.add(new JvmBackend().compile(graph).run(in));
            kernels.append(CudaRenderer.render(graph, "s" + g + "_").kernels());
        }
        PtxCompiler.nvcc(CudaRenderer.prelude() + kernels, PtxCompiler.DEFAULT_ARCH);
        List<List<HostBuffer>> shim = HostShim.run(cases, CudaToolchain.workDir("blocking"));
        for (int g = 0; g < graphs.size(); g++) {
            HostBuffer want = expected.get(g).get(0), got = shim.get(g).get(0);
            for (int e = 0; e < want.length(); e++) {
                double x = want.get(e), y = got.get(e);
                if (Math.abs(x - y) > 1e-3 + 1e-4 * Math.abs(x)) fail("graph " + g + " element " + e + ": CUDA (shim) " + y + ", JVM " + x);
            }
        }
    }

    private static KernelGraph graph(List<Node> outputs) { return Scheduler.schedule(outputs, n -> false).graph(); }
}
