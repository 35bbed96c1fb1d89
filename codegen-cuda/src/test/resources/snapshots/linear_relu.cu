// contraction batch=1 m=64 n=120 k=784
//   A(i0,i1,i3) = b0[784*i1 + i3]
//   B(i0,i3,i2) = b1[784*i2 + i3]
//   b3[120*i1 + i2] = relu(add(acc, b2[i2]))
extern "C" __global__ void __launch_bounds__(256) k0_part(float* __restrict__ w0, const float* __restrict__ b0, const float* __restrict__ b1, const float* __restrict__ b2) {
    const int split = blockIdx.z % 6;
    __shared__ __align__(16) float As[16][68];
    __shared__ __align__(16) float Bs[16][64];
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    const int m0 = blockIdx.y * 64, n0 = blockIdx.x * 64;
    float acc[4][4];
    for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] = 0x0.0p0f;
    const int kEnd = split == 5 ? 784 : split * 144 + 144;
    float ra[4], rb[4];
    #pragma unroll
    for (int r = 0; r < 4; r++) {
        const int e = tid + r * 256;
        const int i1 = m0 + e / 16, i3 = split * 144 + e % 16;
        float staged = 0x0.0p0f;
        if (i1 < 64 && i3 < kEnd) {
            const float v0 = b0[784 * i1 + i3];
            staged = v0;
        }
        ra[r] = staged;
    }
    #pragma unroll
    for (int r = 0; r < 4; r++) {
        const int e = tid + r * 256;
        const int i3 = split * 144 + e / 64, i2 = n0 + e % 64;
        float staged = 0x0.0p0f;
        if (i3 < kEnd && i2 < 120) {
            const float v1 = b1[784 * i2 + i3];
            staged = v1;
        }
        rb[r] = staged;
    }
    for (int k0 = split * 144; k0 < kEnd; k0 += 16) {
        #pragma unroll
        for (int r = 0; r < 4; r++) { const int e = tid + r * 256; As[e % 16][e / 16] = ra[r]; }
        #pragma unroll
        for (int r = 0; r < 4; r++) { const int e = tid + r * 256; Bs[e / 64][e % 64] = rb[r]; }
        __syncthreads();
        if (k0 + 16 < kEnd) {
            #pragma unroll
            for (int r = 0; r < 4; r++) {
                const int e = tid + r * 256;
                const int i1 = m0 + e / 16, i3 = k0 + 16 + e % 16;
                float staged = 0x0.0p0f;
                if (i1 < 64 && i3 < kEnd) {
                    const float v2 = b0[784 * i1 + i3];
                    staged = v2;
                }
                ra[r] = staged;
            }
            #pragma unroll
            for (int r = 0; r < 4; r++) {
                const int e = tid + r * 256;
                const int i3 = k0 + 16 + e / 64, i2 = n0 + e % 64;
                float staged = 0x0.0p0f;
                if (i3 < kEnd && i2 < 120) {
                    const float v3 = b1[784 * i2 + i3];
                    staged = v3;
                }
                rb[r] = staged;
            }
        }
        #pragma unroll
        for (int kk = 0; kk < 16; kk++) {
            float a[4], b[4];
            for (int i = 0; i < 4; i++) a[i] = As[kk][(i >> 2) * 64 + ty * 4 + (i & 3)];
            for (int j = 0; j < 4; j++) b[j] = Bs[kk][(j >> 2) * 64 + tx * 4 + (j & 3)];
            for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] += a[i] * b[j];
        }
        __syncthreads();
    }
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            const int i1 = m0 + (i >> 2) * 64 + ty * 4 + (i & 3), i2 = n0 + (j >> 2) * 64 + tx * 4 + (j & 3);
            if (i1 >= 64 || i2 >= 120) continue;
            w0[split * 7680LL + i1 * 120 + i2] = acc[i][j];
        }
    }
}
extern "C" __global__ void __launch_bounds__(256) k0_sum(float* __restrict__ b3, const float* __restrict__ w0, const float* __restrict__ b0, const float* __restrict__ b1, const float* __restrict__ b2) {
    const long long t = (long long) blockIdx.x * 256 + threadIdx.x;
    if (t >= 7680LL) return;
    const int i1 = (t / 120) % 64, i2 = t % 120;
    float sum = 0x0.0p0f;
    for (int s = 0; s < 6; s++) sum += w0[s * 7680LL + t];
    const float v6 = b2[i2];
    const float v5 = sum + v6;
    const float v4 = kiln_max(v5, 0x0.0p0f);
    b3[120 * i1 + i2] = v4;
}

