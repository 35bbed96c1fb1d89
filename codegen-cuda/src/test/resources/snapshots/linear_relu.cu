// contraction batch=1 m=64 n=120 k=784
//   A(i0,i1,i3) = b0[784*i1 + i3]
//   B(i0,i3,i2) = b1[784*i2 + i3]
//   b3[120*i1 + i2] = relu(add(acc, b2[i2]))
extern "C" __global__ void __launch_bounds__(256) k0(float* __restrict__ b3, const float* __restrict__ b0, const float* __restrict__ b1, const float* __restrict__ b2) {
    __shared__ float As[16][64];
    __shared__ float Bs[16][64];
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    const int m0 = blockIdx.y * 64, n0 = blockIdx.x * 64;
    float acc[4][4];
    for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] = 0x0.0p0f;
    for (int k0 = 0; k0 < 784; k0 += 16) {
        for (int e = tid; e < 1024; e += 256) {
            const int i1 = m0 + e / 16, i3 = k0 + e % 16;
            float staged = 0x0.0p0f;
            if (i1 < 64 && i3 < 784) {
                const float v0 = b0[784 * i1 + i3];
                staged = v0;
            }
            As[e % 16][e / 16] = staged;
        }
        for (int e = tid; e < 1024; e += 256) {
            const int i3 = k0 + e / 64, i2 = n0 + e % 64;
            float staged = 0x0.0p0f;
            if (i3 < 784 && i2 < 120) {
                const float v1 = b1[784 * i2 + i3];
                staged = v1;
            }
            Bs[e / 64][e % 64] = staged;
        }
        __syncthreads();
        for (int kk = 0; kk < 16; kk++) {
            float a[4], b[4];
            for (int i = 0; i < 4; i++) a[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < 4; j++) b[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] += a[i] * b[j];
        }
        __syncthreads();
    }
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            const int i1 = m0 + ty + 16 * i, i2 = n0 + tx + 16 * j;
            if (i1 >= 64 || i2 >= 120) continue;
            const float sum = acc[i][j];
            const float v4 = b2[i2];
            const float v3 = sum + v4;
            const float v2 = kiln_max(v3, 0x0.0p0f);
            b3[120 * i1 + i2] = v2;
        }
    }
}

