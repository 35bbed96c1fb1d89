// pointwise [4, 8]
//   b3[8*i0 + i1] = sub(mul(relu(add(mul(b0[8*i0 + i1], b1[i1]), b2[i0])), 0.5), b0[8*i0 + i1])
extern "C" __global__ void __launch_bounds__(256) k0(float* __restrict__ b3, const float* __restrict__ b0, const float* __restrict__ b1, const float* __restrict__ b2) {
    const int t = blockIdx.x * 256 + threadIdx.x;
    if (t >= 32) return;
    const int i0 = t / 8;
    const int i1 = (t) % 8;
    const float v5 = b0[8 * i0 + i1];
    const float v6 = b1[i1];
    const float v4 = v5 * v6;
    const float v7 = b2[i0];
    const float v3 = v4 + v7;
    const float v2 = kiln_max(v3, 0x0.0p0f);
    const float v1 = v2 * 0x1.0p-1f;
    const float v0 = v1 - v5;
    b3[t] = v0;
}

