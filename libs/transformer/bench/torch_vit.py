"""The ViT of @lowprec/transformer in PyTorch, for bench/step.ts: one training step timed.

Reads one JSON job per line on stdin: {"spec": VitSpec, "batch": B, "steps": S, "threads": T}; answers one JSON
line {"seconds": [per-step seconds], "threads": T, "torch": version}. Same network as the library (METHOD.md 9):
patch embedding, learned positions, pre-norm blocks with multi-head attention and a tanh-GELU MLP, mean pooling,
LayerNorm, linear head, cross-entropy averaged over the batch, SGD with momentum 0.9. Float32, CPU.
"""

import json
import sys
import time

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, d, heads, mlp):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(d, d)
        self.v = nn.Linear(d, d)
        self.out = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, mlp)
        self.fc2 = nn.Linear(mlp, d)
        self.heads = heads

    def forward(self, h):
        n, t, d = h.shape
        dh = d // self.heads
        a = self.ln1(h)

        def split(x):
            return x.view(n, t, self.heads, dh).transpose(1, 2)

        q, k, v = split(self.q(a)), split(self.k(a)), split(self.v(a))
        p = torch.softmax(q @ k.transpose(-1, -2) / dh**0.5, dim=-1)
        c = (p @ v).transpose(1, 2).reshape(n, t, d)
        h = h + self.out(c)
        return h + self.fc2(nn.functional.gelu(self.fc1(self.ln2(h)), approximate="tanh"))


class Vit(nn.Module):
    def __init__(self, s):
        super().__init__()
        img = s["image"]
        p = s["patch"]
        self.p = p
        self.tokens = (img["height"] // p) * (img["width"] // p)
        self.embed = nn.Linear(img["channels"] * p * p, s["dim"])
        self.pos = nn.Parameter(torch.zeros(self.tokens, s["dim"]).uniform_(-0.0346, 0.0346))
        self.blocks = nn.ModuleList(Block(s["dim"], s["heads"], s["mlp"]) for _ in range(s["blocks"]))
        self.norm = nn.LayerNorm(s["dim"])
        self.head = nn.Linear(s["dim"], s["classes"])
        self.shape = (img["channels"], img["height"], img["width"])

    def forward(self, x):
        n = x.shape[0]
        c, hh, ww = self.shape
        p = self.p
        x = x.view(n, c, hh // p, p, ww // p, p).permute(0, 2, 4, 1, 3, 5).reshape(n, self.tokens, c * p * p)
        h = self.embed(x) + self.pos
        for b in self.blocks:
            h = b(h)
        return self.head(self.norm(h.mean(dim=1)))


def step_times(job):
    torch.set_num_threads(job["threads"])
    torch.manual_seed(1234)
    s = job["spec"]
    net = Vit(s)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    img = s["image"]
    x = torch.randn(job["batch"], img["channels"] * img["height"] * img["width"])
    y = torch.randint(0, s["classes"], (job["batch"],))
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for i in range(job["steps"] + 3):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        if i >= 3:
            times.append(time.perf_counter() - t0)
    return times


for line in sys.stdin:
    job = json.loads(line)
    print(json.dumps({"seconds": step_times(job), "threads": job["threads"], "torch": torch.__version__}), flush=True)
