"""The benchmark workloads of torch_ref.py (the team's shared/bench), on a CUDA GPU: PyTorch eager with the model,
data and optimizer state resident on the GPU, float32 throughout (TF32 off for matrix products and convolutions, as
Kiln's CUDA kernels compute in float32). Each timed call ends with torch.cuda.synchronize(), so a call's time is
its launches plus its kernels. `kiln bench --device cuda` also waits for its kernels, and its times include copying
each program's inputs in and outputs out, since Kiln's CUDA tensors keep their values on the host. sgemm_4096 is the
issue's GPU size.
Run: python3 bench/torch_cuda_ref.py [WORKLOAD ...]; prints torch_ref.py's JSON lines ("impl": "pytorch-V-cuda")."""
import argparse, json, statistics, time, torch, torch.nn as nn, torch.nn.functional as F

DEV = 'cuda'

def measure(fn, min_time=1.0, warm=10):
    for _ in range(warm): fn()
    torch.cuda.synchronize()
    ts, start = [], time.perf_counter()
    while time.perf_counter() - start < min_time or len(ts) < 10:
        t = time.perf_counter(); fn(); torch.cuda.synchronize(); ts.append((time.perf_counter() - t) * 1e6)
    ts.sort()
    return statistics.median(ts), ts[len(ts) // 10], ts[(len(ts) * 9) // 10]

class LeNet(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(1, 6, 5); s.conv2 = nn.Conv2d(6, 16, 5)
        s.fc1 = nn.Linear(400, 120); s.fc2 = nn.Linear(120, 84); s.fc3 = nn.Linear(84, 10)
    def forward(s, x):
        x = F.max_pool2d(F.relu(s.conv1(x)), 2); x = F.max_pool2d(F.relu(s.conv2(x)), 2)
        x = torch.flatten(x, 1); x = F.relu(s.fc1(x)); x = F.relu(s.fc2(x)); return s.fc3(x)

def seed002_step():
    X = torch.randn(64, 1000, device=DEV); y = torch.randn(64, 10, device=DEV)
    W = [torch.randn(1000, 100, device=DEV, requires_grad=True), torch.randn(100, 10, device=DEV, requires_grad=True)]
    def f():
        loss = (X.mm(W[0]).clamp(min=0).mm(W[1]) - y).pow(2).sum(); loss.backward()
        with torch.no_grad():
            for w in W: w -= 1e-6 * w.grad; w.grad.zero_()
    return f, None

def train_step(net, opt, loss, x, t):
    def f(): opt.zero_grad(); loss(net(x), t).backward(); opt.step()
    return f, None

def lenet_step(B):
    def make():
        net = LeNet().to(DEV)
        return train_step(net, torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9), F.cross_entropy,
                          torch.randn(B, 1, 32, 32, device=DEV), torch.randint(0, 10, (B,), device=DEV))
    return make

def lenet_b64_infer():
    net = LeNet().to(DEV); x = torch.randn(64, 1, 32, 32, device=DEV)
    def f():
        with torch.no_grad(): net(x)
    return f, None

def mlp784_adam_b64_step():
    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to(DEV)
    return train_step(net, torch.optim.Adam(net.parameters(), lr=1e-3), F.cross_entropy,
                      torch.randn(64, 784, device=DEV), torch.randint(0, 10, (64,), device=DEV))

def tiny_rmsprop_b32_step():
    net = nn.Sequential(nn.Linear(1, 20), nn.ReLU(), nn.Linear(20, 1)).to(DEV)
    x = torch.randn(32, 1, device=DEV)
    return train_step(net, torch.optim.RMSprop(net.parameters(), lr=0.01, alpha=0.9), F.mse_loss, x, x.pow(2))

def sgemm(n):
    def make():
        a = torch.randn(n, n, device=DEV); b = torch.randn(n, n, device=DEV)
        return (lambda: torch.mm(a, b)), 2 * n ** 3
    return make

def eltwise_chain_4m():
    n = 1 << 22; x, w, b = (torch.randn(n, device=DEV) for _ in range(3))
    return (lambda: torch.relu(x * w + b) * 0.5 - x), None

WORKLOADS = {'seed002_step': seed002_step, 'lenet_b64_step': lenet_step(64), 'lenet_b1_step': lenet_step(1),
             'lenet_b64_infer': lenet_b64_infer, 'mlp784_adam_b64_step': mlp784_adam_b64_step,
             'tiny_rmsprop_b32_step': tiny_rmsprop_b32_step, 'sgemm_256': sgemm(256), 'sgemm_1024': sgemm(1024),
             'sgemm_4096': sgemm(4096), 'eltwise_chain_4m': eltwise_chain_4m}

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('workloads', nargs='*')
    a = ap.parse_args(); torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = False; torch.backends.cudnn.allow_tf32 = False
    for name in a.workloads or WORKLOADS:
        fn, flops = WORKLOADS[name]()
        med, p10, p90 = measure(fn)
        row = {'workload': name, 'impl': f'pytorch-{torch.__version__}-cuda', 'threads': 1,
               'median_us': round(med, 2), 'p10_us': round(p10, 2), 'p90_us': round(p90, 2)}
        if flops: row['gflops'] = round(flops / med / 1e3, 2)
        print(json.dumps(row), flush=True)
