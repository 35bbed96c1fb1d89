// Kiln's CUDA prelude: scalar helpers with the JVM backend's semantics (Java's Math.max/min/abs/signum/pow, saturating
// float-to-int casts, wrap-around integer arithmetic, the counter-based RNG) and block-level reductions. Compiled by
// nvcc for the GPU and, with kiln_host_shim.h in front, by a C++ compiler for the CPU.
#ifndef __CUDACC_RTC__
#include <math.h>
#else                                   // NVRTC has the math functions built in, but not math.h's macros
#define INFINITY __int_as_float(0x7f800000)
#define NAN __int_as_float(0x7fffffff)
#endif

// Java's Math.max/min: NaN wins, and -0.0 < +0.0.
template <typename T> __device__ __forceinline__ T kiln_fmax(T a, T b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0 && b == 0) return signbit(a) ? b : a;
    return a > b ? a : b;
}
template <typename T> __device__ __forceinline__ T kiln_fmin(T a, T b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0 && b == 0) return signbit(a) ? a : b;
    return a < b ? a : b;
}
__device__ __forceinline__ float kiln_max(float a, float b) { return kiln_fmax(a, b); }
__device__ __forceinline__ double kiln_max(double a, double b) { return kiln_fmax(a, b); }
__device__ __forceinline__ int kiln_max(int a, int b) { return a > b ? a : b; }
__device__ __forceinline__ long long kiln_max(long long a, long long b) { return a > b ? a : b; }
__device__ __forceinline__ float kiln_min(float a, float b) { return kiln_fmin(a, b); }
__device__ __forceinline__ double kiln_min(double a, double b) { return kiln_fmin(a, b); }
__device__ __forceinline__ int kiln_min(int a, int b) { return a < b ? a : b; }
__device__ __forceinline__ long long kiln_min(long long a, long long b) { return a < b ? a : b; }

__device__ __forceinline__ float kiln_abs(float x) { return fabsf(x); }
__device__ __forceinline__ double kiln_abs(double x) { return fabs(x); }
__device__ __forceinline__ int kiln_abs(int x) { return x < 0 ? (int) (0u - (unsigned) x) : x; }
__device__ __forceinline__ long long kiln_abs(long long x) { return x < 0 ? (long long) (0ull - (unsigned long long) x) : x; }

// Java's Math.signum: NaN and signed zeros come back unchanged.
__device__ __forceinline__ float kiln_sign(float x) { return x > 0 ? 1.0f : x < 0 ? -1.0f : x; }
__device__ __forceinline__ double kiln_sign(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x; }
__device__ __forceinline__ int kiln_sign(int x) { return (x > 0) - (x < 0); }
__device__ __forceinline__ long long kiln_sign(long long x) { return (long long) ((x > 0) - (x < 0)); }

// Java's Math.pow differs from C's where the exponent is NaN, or infinite with |base| = 1.
__device__ __forceinline__ double kiln_pow(double a, double b) {
    if (b == 0) return 1.0;
    if (b != b || (isinf(b) && fabs(a) == 1.0)) return NAN;
    return pow(a, b);
}

// Integer division truncates; the JVM would throw on a zero divisor, a GPU can't: 0 (documented in CudaRenderer).
__device__ __forceinline__ int kiln_div(int a, int b) { return b == 0 ? 0 : b == -1 ? (int) (0u - (unsigned) a) : a / b; }
__device__ __forceinline__ long long kiln_div(long long a, long long b) {
    return b == 0 ? 0 : b == -1 ? (long long) (0ull - (unsigned long long) a) : a / b;
}

__device__ __forceinline__ int kiln_floordiv(int a, int b) { int q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q; }
__device__ __forceinline__ int kiln_floormod(int a, int b) { int r = a % b; return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r; }

// Java's float/double → int/long casts: NaN → 0, out of range saturates.
__device__ __forceinline__ int kiln_to_i32(double x) {
    return x != x ? 0 : x >= 2147483647.0 ? 2147483647 : x <= -2147483648.0 ? (-2147483647 - 1) : (int) x;
}
__device__ __forceinline__ long long kiln_to_i64(double x) {
    return x != x ? 0 : x >= 9223372036854775807.0 ? 9223372036854775807LL
            : x <= -9223372036854775808.0 ? (-9223372036854775807LL - 1) : (long long) x;
}

// dev.kiln.ir.Rng: SplitMix64's finaliser over (seed, salt, index), top 24 bits as a float in [0, 1).
__device__ __forceinline__ unsigned long long kiln_mix(unsigned long long z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
__device__ __forceinline__ float kiln_uniform(long long seed, long long salt, long long index) {
    unsigned long long h = kiln_mix((unsigned long long) seed ^ kiln_mix((unsigned long long) salt ^ kiln_mix((unsigned long long) index)));
    return (float) (h >> 40) * 5.9604644775390625e-8f;
}

struct KilnSum { template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return a + b; } };
struct KilnMax { template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return kiln_max(a, b); } };

// A block-wide fold (blockDim.x a multiple of 32, every thread calling): warp shuffles, then one warp folds the
// warps' partial values. The result is valid in thread 0. Fixed order for a fixed block size: deterministic.
template <typename T, typename Op> __device__ __forceinline__ T kiln_warp_fold(T v, Op op) {
    for (int d = 16; d > 0; d >>= 1) v = op(v, __shfl_down_sync(0xffffffffu, v, d));
    return v;
}
template <typename T, typename Op> __device__ T kiln_block_fold(T v, T identity, Op op) {
    __shared__ T partial[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = kiln_warp_fold(v, op);
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < (int) (blockDim.x >> 5) ? partial[lane] : identity;
        v = kiln_warp_fold(v, op);
    }
    return v;
}
