"""PI-MNIST Maxout epoch in PyTorch (CPU), the comparison point of bench/epoch.ts.

Same network (784 -> maxout 240x5 -> maxout 240x5 -> softmax 10), batch 100, dropout keep 0.8 / 0.5 without
rescaling, SGD + momentum, max-norm 1.9365 every step, top gradient (p - t)/10 summed over the batch.
`--precision dfxp` adds the rounding a PyTorch user would write at the same groups as the lowprec trainer:
clamp(round(x * 2^f)) / 2^f on W, b (10 bits for the multipliers, 12 for the store), z, y, dE/dy, dE/dz,
dE/dW, dE/db and the velocities, with per-group overflow counts and the overflow-rate rule every 10,000
examples. Synthetic data of MNIST's shape (timing does not depend on the values). Prints one JSON line.
"""
import argparse, json, time
import torch

p = argparse.ArgumentParser()
p.add_argument("--precision", default="fp32", choices=["fp32", "dfxp"])
p.add_argument("--examples", type=int, default=50000)
p.add_argument("--batch", type=int, default=100)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1234)
N, B = a.examples, a.batch
X = torch.rand(N, 784)
T = torch.randint(0, 10, (N,))
dfxp = a.precision == "dfxp"

class Group:
    """One dynamic fixed point group: integer bits and the overflow counters of the paper's rule."""
    def __init__(self): self.ib, self.rate, self.half, self.n = 5, 0.0, 0.0, 0
    def q(self, x, bits):
        s = 2.0 ** (bits - 1 - self.ib); m = 2.0 ** (bits - 1) - 1
        y = torch.clamp(torch.round(x * s), -m, m) / s
        mx = m / s; ay = y.abs()
        self.rate += (ay >= mx).float().mean().item(); self.half += (ay >= mx / 2).float().mean().item(); self.n += 1
        return y
    def update(self):
        if self.n and self.rate / self.n > 1e-4: self.ib += 1
        elif self.n and self.half / self.n <= 1e-4: self.ib -= 1
        self.rate, self.half, self.n = 0.0, 0.0, 0

NAMES = ["w", "b", "z", "y", "dEdy", "dEdz", "dEdw", "dEdb", "update_w", "update_b"]
P, U = 10, 12

class GradQ(torch.autograd.Function):
    """Identity forward; rounds the incoming gradient with a group (dE/dy or dE/dz)."""
    @staticmethod
    def forward(ctx, x, g): ctx.g = g; return x.view_as(x)
    @staticmethod
    def backward(ctx, grad): return ctx.g.q(grad, P), None

def layer(n_in, n_out, zero=False):
    r = (6.0 / (n_in + n_out)) ** 0.5
    W = torch.zeros(n_in, n_out) if zero else (torch.rand(n_in, n_out) * 2 - 1) * r
    return {"W": W, "b": torch.zeros(n_out), "vW": torch.zeros(n_in, n_out), "vb": torch.zeros(n_out),
            "g": {k: Group() for k in NAMES}}

L = [layer(784, 1200), layer(240, 1200), layer(240, 10, zero=True)]
keep = [0.8, 0.5, 0.5]
lr, mom, c = 0.05, 0.5, 1.9365

def step(x, t):
    a = x
    for i, l in enumerate(L):
        g = l["g"]
        W = (g["w"].q(l["W"], P) if dfxp else l["W"].clone()).requires_grad_()
        b = (g["b"].q(l["b"], P) if dfxp else l["b"].clone()).requires_grad_()
        l["Wm"], l["bm"] = W, b
        a = a * (torch.rand(a.shape) < keep[i]).float()
        z = a @ W + b
        # forward value Q_p(z); backward: the incoming dE/dz is rounded (straight through the rounding)
        if dfxp: z = GradQ.apply(z + (g["z"].q(z.detach(), P) - z.detach()), g["dEdz"])
        if i < 2:
            y = z.view(-1, 240, 5).max(dim=2).values
            if dfxp: y = GradQ.apply(y + (g["y"].q(y.detach(), P) - y.detach()), g["dEdy"])
            a = y
        else:
            logits = z
    # softmax + NLL simplified: dE/dz = (p - t)/10, summed over the batch
    p_ = torch.softmax(logits, dim=1)
    if dfxp: p_ = L[2]["g"]["y"].q(p_.detach(), P)
    delta = (p_.detach() - torch.nn.functional.one_hot(t, 10).float()) / 10.0
    if dfxp: delta = L[2]["g"]["dEdy"].q(delta, P)
    logits.backward(delta)
    with torch.no_grad():
        for l in L:
            g = l["g"]
            gW, gb = l["Wm"].grad, l["bm"].grad
            if dfxp: gW, gb = g["dEdw"].q(gW, P), g["dEdb"].q(gb, P)
            l["vW"] = mom * l["vW"] - lr * gW; l["vb"] = mom * l["vb"] - lr * gb
            if dfxp: l["vW"], l["vb"] = g["update_w"].q(l["vW"], P), g["update_b"].q(l["vb"], P)
            W = l["W"] + l["vW"]; b = l["b"] + l["vb"]
            if dfxp: W, b = g["w"].q(W, U), g["b"].q(b, U)
            n = W.norm(dim=0); W = W * (torch.clamp(n, max=c) / (1e-7 + n))
            if dfxp: W = g["w"].q(W, U)
            l["W"], l["b"] = W, b

t0 = time.perf_counter()
seen = 0
for s in range(0, N - B + 1, B):
    step(X[s:s + B], T[s:s + B])
    seen += B
    if dfxp and seen % 10000 == 0:
        for l in L:
            for g in l["g"].values(): g.update()
sec = time.perf_counter() - t0
print(json.dumps({"framework": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(),
                  "precision": a.precision, "examples": seen, "batch": B, "secondsPerEpoch": sec * 50000 / seen}))
