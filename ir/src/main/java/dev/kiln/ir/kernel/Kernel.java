package dev.kiln.ir.kernel;

import dev.kiln.ir.Op;
import dev.kiln.ir.Shape;

import java.util.List;

/**
 * One loop nest of a compiled program, backend-neutral. Loop variables are {@link Ix.Var}s; every kernel stores
 * into output buffers contiguous in row-major order: one, or for a pointwise kernel several of the same shape.
 */
public sealed interface Kernel extends java.io.Serializable {
    /** The buffers the kernel writes. */
    List<Integer> outputs();

    /**
     * For each index of {@code shape} (loop variable i over axis i) and each store: {@code out[index] = value}. Several
     * stores make one pass compute several same-shaped values (e.g. an optimizer's new weights and moments), sharing
     * their loads and subexpressions; no store's buffer is read by the kernel.
     */
    record Pointwise(Shape shape, List<Store> stores) implements Kernel {
        public Pointwise {
            stores = List.copyOf(stores);
            if (stores.isEmpty()) throw new IllegalArgumentException("a pointwise kernel stores at least one value");
        }

        public Pointwise(int output, Shape shape, Expr value) { this(shape, List.of(new Store(output, value))); }

        @Override public List<Integer> outputs() { return stores.stream().map(Store::output).toList(); }
    }

    /** {@code out[index] = value} of a pointwise kernel. */
    record Store(int output, Expr value) implements java.io.Serializable {}

    /**
     * Loops over {@code domain} (variable i over axis i), folding {@code body} with {@code fn} over {@code axes} (initial
     * value 0 for sums, −∞ for max); for each point of the remaining axes stores {@code epilogue} (where {@link Expr.Acc}
     * is the folded value) at {@code outIndex}, which mentions only the non-reduced variables.
     */
    record Reduction(int output, Shape domain, List<Integer> axes, Op.ReduceFn fn, Expr body, Expr epilogue, Ix outIndex)
            implements Kernel {
        public Reduction { axes = List.copyOf(axes); }

        @Override public List<Integer> outputs() { return List.of(output); }
    }

    /**
     * For each batch b (variable {@link #B}) a matrix product {@code C[m][n] = Σ_k A(b,m,k)·B(b,k,n)} (variables
     * {@link #M}, {@link #N}, {@link #K}), then {@code out[outIndex(b,m,n)] = epilogue} with {@link Expr.Acc} = C[m][n].
     * Convolutions arrive here as implicit GEMMs: their operand expressions do the im2col indexing.
     * {@code nFactors}/{@code kFactors} say how n and k flatten several axes (e.g. [OH, OW] and [C, KH, KW] for a
     * convolution; just [n] and [k] for a matmul), so code can loop over the factors instead of dividing.
     */
    record Contraction(int output, int batch, int m, int n, int k, Expr a, Expr b, Expr epilogue, Ix outIndex,
                       List<Integer> nFactors, List<Integer> kFactors) implements Kernel {
        public static final int B = 0, M = 1, N = 2, K = 3;

        public Contraction {
            nFactors = List.copyOf(nFactors);
            kFactors = List.copyOf(kFactors);
        }

        @Override public List<Integer> outputs() { return List.of(output); }
    }
}
