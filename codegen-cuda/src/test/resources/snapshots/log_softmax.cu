// reduce_max over [64, 10] axes [1]
//   acc = b0[10*i0 + i1]
//   b1[i0] = acc
extern "C" __global__ void __launch_bounds__(256) k0(float* __restrict__ b1, const float* __restrict__ b0) {
    const int p = blockIdx.x * 256 + threadIdx.x;
    if (p >= 64) return;
    const int i0 = p;
    float acc = ((float) -INFINITY);
    for (int r = 0; r < 10; r++) {
        const int i1 = r;
        const float v0 = b0[10 * i0 + i1];
        acc = KilnMax()(acc, v0);
    }
    const float folded = acc;
    b1[i0] = folded;
}

// reduce_sum over [64, 10] axes [1]
//   acc = exp(sub(b0[10*i0 + i1], b1[i0]))
//   b2[i0] = log(acc)
extern "C" __global__ void __launch_bounds__(256) k1(float* __restrict__ b2, const float* __restrict__ b0, const float* __restrict__ b1) {
    const int p = blockIdx.x * 256 + threadIdx.x;
    if (p >= 64) return;
    const int i0 = p;
    double acc = 0x0.0p0;
    for (int r = 0; r < 10; r++) {
        const int i1 = r;
        const float v2 = b0[10 * i0 + i1];
        const float v3 = b1[i0];
        const float v1 = v2 - v3;
        const float v0 = ((float) exp((double) v1));
        acc = KilnSum()(acc, ((double) v0));
    }
    const float folded = ((float) acc);
    const float v4 = ((float) log((double) folded));
    b2[i0] = v4;
}

// pointwise [64, 10]
//   b3[10*i0 + i1] = sub(sub(b0[10*i0 + i1], b1[i0]), b2[i0])
extern "C" __global__ void __launch_bounds__(256) k2(float* __restrict__ b3, const float* __restrict__ b0, const float* __restrict__ b1, const float* __restrict__ b2) {
    const int t = blockIdx.x * 256 + threadIdx.x;
    if (t >= 640) return;
    const int i0 = t / 10;
    const int i1 = (t) % 10;
    const float v2 = b0[10 * i0 + i1];
    const float v3 = b1[i0];
    const float v1 = v2 - v3;
    const float v4 = b2[i0];
    const float v0 = v1 - v4;
    b3[t] = v0;
}

