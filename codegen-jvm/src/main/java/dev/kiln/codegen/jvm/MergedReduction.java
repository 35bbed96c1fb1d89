package dev.kiln.codegen.jvm;

import dev.kiln.ir.Shape;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Ix;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.Kernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A reduction whose last two axes are both reduced, rewritten with them merged into one loop while every index reads
 * them as one run: a bias gradient over [N, C, H, W] (axes 0, 2, 3) sums each channel's H·W contiguous values as one
 * loop of H·W instead of H loops of W. Its innermost fold is then long enough for the vector lane fold with no
 * remainder per row (LeNet's conv1 bias gradient, rows of 28: 24 in lanes and 4 one by one into lane 0, each waiting
 * for the last), and the loop overhead is paid once per plane. With two float64 vectors per step
 * ({@link KernelCompiler#WIDE_FOLD_CHAINS}) LeNet's bias gradients went from 74 to 25–28 µs (conv1, 64 × 784 per channel)
 * and from 40 to 13 µs (conv2, 64 × 100). Same elements, same reduction; the float64 chains they go to differ
 * ({@link KernelCompiler#foldChains}), which float64 accumulation of float32 values hides (the Fashion-MNIST run's
 * losses and accuracies kept their bits).
 */
final class MergedReduction {
    private MergedReduction() {}

    /** {@code r} with its trailing reduced axes merged as far as every index allows (r itself when none merge). */
    static Kernel.Reduction of(Kernel.Reduction r) {
        Kernel.Reduction merged = r;
        for (Kernel.Reduction next = mergeLastTwo(r); next != null; next = mergeLastTwo(next)) merged = next;
        return merged;
    }

    /**
     * The last two axes (a, b; extents A, B) merged into w = a·B + b, or null when they aren't both reduced or some index
     * of the body can't be written in w: each must use a and b as {@code c·(B·a + b)} or not at all. The output index
     * and the epilogue don't see reduced axes.
     */
    private static Kernel.Reduction mergeLastTwo(Kernel.Reduction r) {
        Shape s = r.domain();
        int rank = s.rank(), a = rank - 2, b = rank - 1;
        if (rank < 2 || !r.axes().contains(a) || !r.axes().contains(b) || r.outIndex().mentions(a) || r.outIndex().mentions(b)
                || KernelEmitter.mentions(r.epilogue(), a) || KernelEmitter.mentions(r.epilogue(), b)) {
            return null;
        }
        int eb = s.dim(b);
        Ix w = Ix.var(a, s.dim(a) * eb);
        boolean[] mergeable = {true};
        Expr body = Kernels.mapIndices(r.body(), ix -> {
            Ix merged = VectorLoop.mergedIndex(ix, a, b, eb, w, false);   // as a pointwise kernel's, without repeats
            if (merged == null) mergeable[0] = false;
            return merged == null ? ix : merged;
        });
        if (!mergeable[0]) return null;
        int[] dims = Arrays.copyOf(s.dims(), rank - 1);
        dims[a] = s.dim(a) * eb;
        List<Integer> axes = new ArrayList<>(r.axes());
        axes.remove(Integer.valueOf(b));
        return new Kernel.Reduction(r.output(), Shape.of(dims), axes, r.fn(), body, r.epilogue(), r.outIndex());
    }
}
