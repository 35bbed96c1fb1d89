// contraction batch=1 m=16 n=800 k=150
//   A(i0,i1,i3) = b1[150*i1 + i3]
//   B(i0,i3,i2) = b0[1176*(i2)/100 + 196*(i3)/25 + 14*((i2)/10)%10 + 14*((i3)/5)%5 + (i2)%10 + (i3)%5]
//   b2[100*i1 + 1600*(i2)/100 + 10*((i2)/10)%10 + (i2)%10] = acc
extern "C" __global__ void __launch_bounds__(256) k0(float* __restrict__ b2, const float* __restrict__ b1, const float* __restrict__ b0) {
    __shared__ __align__(16) float As[16][68];
    __shared__ __align__(16) float Bs[16][64];
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    const int m0 = blockIdx.y * 64, n0 = blockIdx.x * 64;
    float acc[4][4];
    for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] = 0x0.0p0f;
    const int kEnd = 150;
    float ra[4], rb[4];
    #pragma unroll
    for (int r = 0; r < 4; r++) {
        const int e = tid + r * 256;
        const int i1 = m0 + e / 16, i3 = 0 + e % 16;
        float staged = 0x0.0p0f;
        if (i1 < 16 && i3 < kEnd) {
            const float v0 = b1[150 * i1 + i3];
            staged = v0;
        }
        ra[r] = staged;
    }
    #pragma unroll
    for (int r = 0; r < 4; r++) {
        const int e = tid + r * 256;
        const int i3 = 0 + e / 64, i2 = n0 + e % 64;
        float staged = 0x0.0p0f;
        if (i3 < kEnd && i2 < 800) {
            const float v1 = b0[1176 * (i2 / 100) + 196 * (i3 / 25) + 14 * ((i2 / 10) % 10) + 14 * ((i3 / 5) % 5) + (i2 % 10) + (i3 % 5)];
            staged = v1;
        }
        rb[r] = staged;
    }
    for (int k0 = 0; k0 < kEnd; k0 += 16) {
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
                if (i1 < 16 && i3 < kEnd) {
                    const float v2 = b1[150 * i1 + i3];
                    staged = v2;
                }
                ra[r] = staged;
            }
            #pragma unroll
            for (int r = 0; r < 4; r++) {
                const int e = tid + r * 256;
                const int i3 = k0 + 16 + e / 64, i2 = n0 + e % 64;
                float staged = 0x0.0p0f;
                if (i3 < kEnd && i2 < 800) {
                    const float v3 = b0[1176 * (i2 / 100) + 196 * (i3 / 25) + 14 * ((i2 / 10) % 10) + 14 * ((i3 / 5) % 5) + (i2 % 10) + (i3 % 5)];
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
            if (i1 >= 16 || i2 >= 800) continue;
            const float sum = acc[i][j];
            b2[100 * i1 + 1600 * (i2 / 100) + 10 * ((i2 / 10) % 10) + (i2 % 10)] = sum;
        }
    }
}

