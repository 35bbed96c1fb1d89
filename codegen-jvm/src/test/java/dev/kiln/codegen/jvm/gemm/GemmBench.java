package dev.kiln.codegen.jvm.gemm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * sgemm benchmark (a plain main, not a unit test): C = A·B, square float32 row-major, like
 * {@code torch_ref.py sgemm_N}. Warm-up, then at least {@code --time} seconds of repetitions; prints
 * the median (and p10/p90) time and GFLOP/s, one JSON object per line.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes \
 *     dev.kiln.codegen.jvm.gemm.GemmBench [--sizes 256,1024] [--threads 1,2] [--time 1.0] [--scalar]
 * </pre>
 */
public final class GemmBench {

    public static void main(String[] args) {
        int[] sizes = {256, 1024};
        int[] threads = {1, 2};
        double minTime = 1.0;
        boolean scalar = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sizes" -> sizes = ints(args[++i]);
                case "--threads" -> threads = ints(args[++i]);
                case "--time" -> minTime = Double.parseDouble(args[++i]);
                case "--scalar" -> scalar = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Gemm gemm = scalar ? Gemm.scalar() : Gemm.best();
        System.out.println("# impl " + gemm.name() + ", " + Runtime.getRuntime().availableProcessors() + " cpus, " + Runtime.version());
        for (int n : sizes) {
            Random rnd = new Random(42);
            float[] a = new float[n * n], b = new float[n * n], c = new float[n * n];
            for (int i = 0; i < a.length; i++) { a[i] = (float) rnd.nextGaussian(); b[i] = (float) rnd.nextGaussian(); }
            for (int t : threads) {
                Parallelism par = Parallelism.shared(t);
                Runnable op = () -> gemm.sgemm(n, n, n, a, b, c, false, par);
                double flops = 2.0 * n * n * n;
                // warm-up: JIT and pack buffers, about 0.5 s or 10 reps
                long w0 = System.nanoTime();
                for (int r = 0; r < 10 || System.nanoTime() - w0 < 500_000_000L; r++) op.run();
                List<Long> ts = new ArrayList<>();
                long start = System.nanoTime();
                while (System.nanoTime() - start < (long) (minTime * 1e9) || ts.size() < 10) {
                    long t0 = System.nanoTime();
                    op.run();
                    ts.add(System.nanoTime() - t0);
                }
                long[] s = ts.stream().mapToLong(Long::longValue).sorted().toArray();
                double med = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
                double p10 = s[s.length / 10], p90 = s[s.length * 9 / 10];
                System.out.printf("{\"workload\": \"sgemm_%d\", \"impl\": \"kiln-%s\", \"threads\": %d, \"median_us\": %.2f, "
                                + "\"p10_us\": %.2f, \"p90_us\": %.2f, \"gflops\": %.2f, \"reps\": %d}%n",
                        n, scalar ? "scalar" : (Gemm.vectorized() ? "vector" : "scalar"), t, med / 1e3, p10 / 1e3, p90 / 1e3,
                        flops / med, s.length);
            }
        }
    }

    private static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }
}
