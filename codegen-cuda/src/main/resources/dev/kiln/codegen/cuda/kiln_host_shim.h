// Kiln's host shim: the CUDA built-ins the renderer uses, defined for C++, so rendered kernels run on the CPU and can
// be compared with the JVM backend on machines without a GPU. A block's threads are fibers (ucontext) on one OS
// thread; __syncthreads and the warp shuffles are barriers between them. Blocks run one after another, so a
// __shared__ array can be a function-level static.
#include <ucontext.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <functional>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __restrict__ __restrict

using std::signbit;
using std::isinf;

struct uint3 { unsigned x, y, z; };
struct dim3 {
    unsigned x, y, z;
    dim3(unsigned x = 1, unsigned y = 1, unsigned z = 1) : x(x), y(y), z(z) {}
};

inline uint3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;

namespace kiln_shim {
enum State { RUNNABLE, WAIT_BLOCK, WAIT_WARP, DONE };

struct Fiber {
    ucontext_t context;
    State state;
    std::vector<char> stack;
};

inline ucontext_t scheduler;
inline std::vector<Fiber> fibers;
inline unsigned threads;
inline int current;
inline std::function<void()> body;
inline unsigned long long exchange[1024];

inline void fiber_main() {
    body();
    fibers[current].state = DONE;
}

inline void yield(State s) {
    fibers[current].state = s;
    swapcontext(&fibers[current].context, &scheduler);
}

inline void run_block() {
    const unsigned n = threads;
    if (fibers.size() < n) fibers.resize(n);
    for (unsigned t = 0; t < n; t++) {
        Fiber& f = fibers[t];
        if (f.stack.empty()) f.stack.resize(256 * 1024);
        getcontext(&f.context);
        f.context.uc_stack.ss_sp = f.stack.data();
        f.context.uc_stack.ss_size = f.stack.size();
        f.context.uc_link = &scheduler;
        makecontext(&f.context, fiber_main, 0);
        f.state = RUNNABLE;
    }
    for (;;) {
        for (unsigned t = 0; t < n; t++) {
            if (fibers[t].state != RUNNABLE) continue;
            current = (int) t;
            threadIdx = uint3{t % blockDim.x, t / blockDim.x % blockDim.y, t / (blockDim.x * blockDim.y)};
            swapcontext(&scheduler, &fibers[t].context);
        }
        unsigned live = 0, atBlock = 0;
        for (unsigned t = 0; t < n; t++) {
            if (fibers[t].state != DONE) live++;
            if (fibers[t].state == WAIT_BLOCK) atBlock++;
        }
        if (live == 0) return;
        bool released = false;
        if (atBlock == live) {
            for (unsigned t = 0; t < n; t++) if (fibers[t].state == WAIT_BLOCK) fibers[t].state = RUNNABLE;
            released = true;
        }
        for (unsigned w = 0; w < n; w += 32) {
            unsigned warpLive = 0, atWarp = 0;
            for (unsigned t = w; t < w + 32 && t < n; t++) {
                if (fibers[t].state != DONE) warpLive++;
                if (fibers[t].state == WAIT_WARP) atWarp++;
            }
            if (warpLive > 0 && atWarp == warpLive) {
                for (unsigned t = w; t < w + 32 && t < n; t++) if (fibers[t].state == WAIT_WARP) fibers[t].state = RUNNABLE;
                released = true;
            }
        }
        if (!released) {
            std::fprintf(stderr, "kiln host shim: deadlock in block (%u,%u,%u): threads wait at barriers that can never open\n",
                         blockIdx.x, blockIdx.y, blockIdx.z);
            std::abort();
        }
    }
}
}  // namespace kiln_shim

inline void __syncthreads() { kiln_shim::yield(kiln_shim::WAIT_BLOCK); }

template <typename T> T __shfl_down_sync(unsigned, T v, int delta) {
    const int t = kiln_shim::current;
    std::memcpy(&kiln_shim::exchange[t], &v, sizeof(T));
    kiln_shim::yield(kiln_shim::WAIT_WARP);
    T r = v;
    if ((t & 31) + delta < 32 && (unsigned) (t + delta) < kiln_shim::threads) std::memcpy(&r, &kiln_shim::exchange[t + delta], sizeof(T));
    kiln_shim::yield(kiln_shim::WAIT_WARP);
    return r;
}

/** Runs a kernel launch: every block in turn, each with its threads as fibers. */
inline void kiln_launch(dim3 grid, dim3 block, std::function<void()> kernel) {
    gridDim = grid;
    blockDim = block;
    kiln_shim::threads = block.x * block.y * block.z;
    kiln_shim::body = std::move(kernel);
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                blockIdx = uint3{x, y, z};
                kiln_shim::run_block();
            }
}

// A program's scratch memory (a split contraction's partial sums), passed to a kernel parameter of any pointer type.
struct kiln_scratch {
    void* p;
    template <class T> operator T*() const { return (T*) p; }
};

inline void kiln_read(std::FILE* in, void* p, size_t bytes) {
    if (std::fread(p, 1, bytes, in) != bytes) { std::fprintf(stderr, "kiln host shim: input file too short\n"); std::exit(2); }
}

inline void kiln_write(std::FILE* out, const void* p, size_t bytes) {
    if (std::fwrite(p, 1, bytes, out) != bytes) { std::fprintf(stderr, "kiln host shim: cannot write output\n"); std::exit(2); }
}
