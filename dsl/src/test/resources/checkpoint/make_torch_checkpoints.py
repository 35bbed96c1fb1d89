"""PyTorch-made checkpoints for CheckpointTest, in Kiln's checkpoint layout (safetensors with PyTorch's names).
Regenerate: cd dsl/src/test/resources/checkpoint && /usr/bin/python3 make_torch_checkpoints.py   (torch 1.13, Debian)

Files (float32 unless noted):
- torch_lenet.safetensors: LeNet's state_dict (kind=state_dict); torch_lenet_io.safetensors: input x and net(x)
  (a plain safetensors file without kind: loads as a map).
- torch_seq.safetensors: a Sequential (conv, BatchNorm2d, pools, Linear, BatchNorm1d, Tanh, Dropout, Softmax) after 3 SGD
  steps in training mode, so the running statistics are real (num_batches_tracked is int64, 0-d);
  torch_seq_io.safetensors: x and the eval-mode output.
- torch_opt_<name>.safetensors: optimizer.state_dict() after 3 steps (kind=optimizer: state.{i}.{name} tensors,
  param_groups as JSON); torch_opt_<name>_model.safetensors: the model's state_dict then;
  torch_opt_<name>_final.safetensors: the parameters after 3 more steps, and those steps' losses;
  torch_opt_data.safetensors: the batch (x, y).
"""
import json, struct, numpy as np, torch, torch.nn as nn, torch.nn.functional as F

_DT = {np.float32: 'F32', np.float64: 'F64', np.int64: 'I64', np.int32: 'I32', np.bool_: 'BOOL'}

def save(path, tensors, metadata=None, order=None):
    """safetensors_io.save (golden fixtures), plus BOOL and 0-d tensors kept 0-d; tensors sorted by name as there."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = np.asarray(tensors[name].detach().cpu().numpy() if torch.is_tensor(tensors[name]) else tensors[name])
        a = a if a.flags.c_contiguous else a.copy(order='C')   # (np.ascontiguousarray would make 0-d tensors 1-d)
        dt = _DT[a.dtype.type]
        b = a.astype(a.dtype.newbyteorder('<'), copy=False).tobytes()
        header[name] = {'dtype': dt, 'shape': list(a.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b); off += len(b)
    if metadata: header['__metadata__'] = {k: str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h))); f.write(h)
        for b in blobs: f.write(b)

def save_state_dict(path, sd):
    save(path, dict(sd), {'format': 'pt', 'kind': 'state_dict', 'kiln_checkpoint': '1', 'keys': json.dumps(list(sd.keys()))})

def save_optimizer(path, opt):
    sd = opt.state_dict()
    tensors = {f'state.{i}.{k}': v for i, s in sd['state'].items() for k, v in s.items() if v is not None}
    for k, v in list(tensors.items()):
        if not torch.is_tensor(v): tensors[k] = torch.tensor(float(v))   # older PyTorch kept step as a number
    save(path, tensors, {'format': 'pt', 'kind': 'optimizer', 'kiln_checkpoint': '1', 'param_groups': json.dumps(sd['param_groups'])})

class LeNet(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(1, 6, 5); s.conv2 = nn.Conv2d(6, 16, 5)
        s.fc1 = nn.Linear(16 * 5 * 5, 120); s.fc2 = nn.Linear(120, 84); s.fc3 = nn.Linear(84, 10)
    def forward(s, x):
        x = F.max_pool2d(F.relu(s.conv1(x)), (2, 2)); x = F.max_pool2d(F.relu(s.conv2(x)), 2)
        x = torch.flatten(x, 1); x = F.relu(s.fc1(x)); x = F.relu(s.fc2(x)); return s.fc3(x)

torch.manual_seed(7)
net = LeNet(); x = torch.randn(2, 1, 32, 32)
with torch.no_grad(): y = net(x)
save_state_dict('torch_lenet.safetensors', net.state_dict())
save('torch_lenet_io.safetensors', {'x': x, 'y': y})

torch.manual_seed(8)
seq = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(4, 8, 3, stride=1), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(32, 16), nn.BatchNorm1d(16),
                    nn.Tanh(), nn.Dropout(0.25), nn.Linear(16, 3), nn.Sigmoid(), nn.Softmax(dim=1))
x = torch.randn(6, 1, 12, 12); target = torch.rand(6, 3)
opt = torch.optim.SGD(seq.parameters(), lr=0.1)
for _ in range(3):
    opt.zero_grad(); F.mse_loss(seq(x), target).backward(); opt.step()
seq.eval()
with torch.no_grad(): y = seq(x)
save_state_dict('torch_seq.safetensors', seq.state_dict())
save('torch_seq_io.safetensors', {'x': x, 'y': y})

torch.manual_seed(9)
base = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
init = {k: v.clone() for k, v in base.state_dict().items()}
x = torch.randn(16, 4); y = torch.randn(16, 3)
save('torch_opt_data.safetensors', {'x': x, 'y': y, **{f'init.{k}': v for k, v in init.items()}})
optimizers = {
    'sgd': lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    'adam': lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.99), weight_decay=0.01),
    'rmsprop': lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, centered=True),
}
for name, make in optimizers.items():
    base.load_state_dict(init)
    opt = make(base.parameters())
    for _ in range(3):
        opt.zero_grad(); F.mse_loss(base(x), y).backward(); opt.step()
    save_state_dict(f'torch_opt_{name}_model.safetensors', base.state_dict())
    save_optimizer(f'torch_opt_{name}.safetensors', opt)
    losses = {}
    for it in range(3):
        opt.zero_grad(); loss = F.mse_loss(base(x), y); loss.backward(); opt.step()
        losses[f'loss.{it}'] = loss.detach().reshape(())
    save(f'torch_opt_{name}_final.safetensors', {**{f'final.{k}': v for k, v in base.state_dict().items()}, **losses})
