"""The paper's Maxout networks in PyTorch (CPU), the comparison point of bench/epoch.ts.

A worker: it reads one JSON job per line on stdin and answers one JSON line on stdout. The network comes in
the job as lowprec's NetworkSpec (libs/maxout/src/presets.ts, sent by bench/epoch.ts: one source of truth):

  maxout-conv  dropout (keep p, no rescaling) -> conv2d with maps*pieces filters, zero padding, stride 1,
               no bias -> cuda-convnet max pooling (start 0, no padding, overlapping, ceil mode: MaxPool2d
               with ceil_mode=True) -> + b (one per filter, after pooling) -> max over `pieces` consecutive
               channels
  maxout-dense dropout -> x @ W (in x units*pieces) + b -> max over `pieces` consecutive columns
  softmax      dropout -> x @ W + b -> softmax; top gradient (p - t) / classes summed over the batch

then SGD with momentum (v = M v - lr lrScale g; W += v) and the authors' max-norm over axis 0 of W (FC: per
output column; conv (F, C, kh, kw): over the filters, for each (c, i, j)), min(n, c) / (1e-7 + n) every step.
`precision: "dfxp"` adds the rounding a PyTorch user would write at the same groups as the lowprec trainer:
clamp(round(x * 2^f)) / 2^f on W, b (10 bits for the multipliers, 12 for the store), z (conv: the conv output
and the pooled sum), y, dE/dy, dE/dz (conv: after the bias and before pooling), dE/dW, dE/db and the
velocities, with per-group overflow counts and the overflow-rate rule every 10,000 examples.

Jobs:
  {"kind": "info"}                                   -> {"version", "threads"}
  {"kind": "pool", "cases": [[n, size, stride, out], ...]}
                                                     -> {"mismatches": [[n, size, stride, ours, torch], ...]}
  {"kind": "time", "network": NetworkSpec, "shapes": [[c, h, w] after each conv layer, ...], "batch": B,
   "precision": "fp32" | "dfxp", "threads": T, "warmup": W, "batches": N, "learningRate", "momentum"}
                                                     -> {"secondsPerBatch", "threads", "version"}
Synthetic data of the input's shape (timing does not depend on the values). OPENBLAS_NUM_THREADS is read by
OpenBLAS when torch loads, so the caller runs one worker per BLAS thread count. Installs nothing.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

P, U = 10, 12
NAMES = ["w", "b", "z", "y", "dEdy", "dEdz", "dEdw", "dEdb", "update_w", "update_b"]


class Group:
    """One dynamic fixed point group: integer bits and the overflow counters of the paper's rule."""

    def __init__(self):
        self.ib, self.rate, self.half, self.n = 5, 0.0, 0.0, 0

    def q(self, x, bits):
        s = 2.0 ** (bits - 1 - self.ib)
        m = 2.0 ** (bits - 1) - 1
        y = torch.clamp(torch.round(x * s), -m, m) / s
        mx = m / s
        ay = y.abs()
        self.rate += (ay >= mx).float().mean().item()
        self.half += (ay >= mx / 2).float().mean().item()
        self.n += 1
        return y

    def update(self):
        if self.n and self.rate / self.n > 1e-4:
            self.ib += 1
        elif self.n and self.half / self.n <= 1e-4:
            self.ib -= 1
        self.rate, self.half, self.n = 0.0, 0.0, 0


class GradQ(torch.autograd.Function):
    """Identity forward; rounds the incoming gradient with a group (dE/dy or dE/dz)."""

    @staticmethod
    def forward(ctx, x, g):
        ctx.g = g
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return ctx.g.q(grad, P), None


def rounded(v, g_fwd, g_bwd):
    """Forward value Q_p(v) with group g_fwd; backward: straight through, the incoming gradient rounded by g_bwd."""
    return GradQ.apply(v + (g_fwd.q(v.detach(), P) - v.detach()), g_bwd)


class Net:
    def __init__(self, spec, shapes, dfxp):
        self.dfxp, self.layers = dfxp, []
        c, h, w = spec["input"]
        conv_i = 0
        for s in spec["layers"]:
            l = {"s": s, "g": {k: Group() for k in NAMES}}
            if s["kind"] == "maxout-conv":
                f, k = s["maps"] * s["pieces"], s["kernel"]
                fan_in, fan_out = c * k * k, s["maps"] * k * k / (s["poolSize"] ** 2)
                shape, nb = (f, c, k, k), f
                ch = h + 2 * s["padding"] - k + 1
                # the pooled size as PyTorch computes it, checked against lowprec's poolOutputSize
                probe = F.max_pool2d(torch.zeros(1, 1, ch, w + 2 * s["padding"] - k + 1), s["poolSize"],
                                     s["poolStride"], ceil_mode=True)
                ph, pw = probe.shape[2], probe.shape[3]
                if [s["maps"], ph, pw] != list(shapes[conv_i]):
                    raise ValueError(f"conv {conv_i}: torch {[s['maps'], ph, pw]}, lowprec {shapes[conv_i]}")
                conv_i += 1
                c, h, w = s["maps"], ph, pw
            elif s["kind"] == "maxout-dense":
                n_in, n_out = c * h * w, s["units"] * s["pieces"]
                fan_in, fan_out, shape, nb = n_in, n_out, (n_in, n_out), n_out
                c, h, w = s["units"], 1, 1
            else:
                n_in = c * h * w
                fan_in, fan_out, shape, nb = n_in, s["classes"], (n_in, s["classes"]), s["classes"]
                c, h, w = s["classes"], 1, 1
            r = (6.0 / (fan_in + fan_out)) ** 0.5
            l["W"] = torch.zeros(shape) if s["kind"] == "softmax" else (torch.rand(shape) * 2 - 1) * r
            l["b"], l["vW"], l["vb"] = torch.zeros(nb), torch.zeros(shape), torch.zeros(nb)
            self.layers.append(l)

    def step(self, x, t, lr, mom):
        dfxp, a = self.dfxp, x
        for l in self.layers:
            s, g = l["s"], l["g"]
            W = (g["w"].q(l["W"], P) if dfxp else l["W"].clone()).requires_grad_()
            b = (g["b"].q(l["b"], P) if dfxp else l["b"].clone()).requires_grad_()
            l["Wm"], l["bm"] = W, b
            a = a * (torch.rand(a.shape) < s["keepProb"]).float()
            if s["kind"] == "maxout-conv":
                cv = F.conv2d(a, W, padding=s["padding"])
                if dfxp:
                    cv = rounded(cv, g["z"], g["dEdz"])
                u = F.max_pool2d(cv, s["poolSize"], s["poolStride"], ceil_mode=True) + b.view(1, -1, 1, 1)
                if dfxp:
                    u = rounded(u, g["z"], g["dEdz"])
                n, f, ph, pw = u.shape
                a = u.view(n, s["maps"], s["pieces"], ph, pw).max(dim=2).values
                if dfxp:
                    a = rounded(a, g["y"], g["dEdy"])
            else:
                if a.dim() > 2:
                    a = a.reshape(a.shape[0], -1)
                z = a @ W + b
                if dfxp:
                    z = rounded(z, g["z"], g["dEdz"])
                if s["kind"] == "maxout-dense":
                    a = z.view(z.shape[0], s["units"], s["pieces"]).max(dim=2).values
                    if dfxp:
                        a = rounded(a, g["y"], g["dEdy"])
                else:
                    logits = z
        top = self.layers[-1]
        p = torch.softmax(logits.detach(), dim=1)
        if dfxp:
            p = top["g"]["y"].q(p, P)
        delta = (p - F.one_hot(t, top["s"]["classes"]).float()) / top["s"]["classes"]
        if dfxp:
            delta = top["g"]["dEdy"].q(delta, P)
        logits.backward(delta)
        with torch.no_grad():
            for l in self.layers:
                s, g = l["s"], l["g"]
                gW, gb = l["Wm"].grad, l["bm"].grad
                if dfxp:
                    gW, gb = g["dEdw"].q(gW, P), g["dEdb"].q(gb, P)
                rate = lr * s["lrScale"]
                l["vW"] = mom * l["vW"] - rate * gW
                l["vb"] = mom * l["vb"] - rate * gb
                if dfxp:
                    l["vW"], l["vb"] = g["update_w"].q(l["vW"], P), g["update_b"].q(l["vb"], P)
                W, b = l["W"] + l["vW"], l["b"] + l["vb"]
                if dfxp:
                    W, b = g["w"].q(W, U), g["b"].q(b, U)
                n = W.reshape(W.shape[0], -1).norm(dim=0).view(W.shape[1:])
                W = W * (torch.clamp(n, max=s["maxNorm"]) / (1e-7 + n))
                if dfxp:
                    W = g["w"].q(W, U)
                l["W"], l["b"] = W, b

    def end_window(self):
        for l in self.layers:
            for g in l["g"].values():
                g.update()


def time_job(j):
    torch.set_num_threads(j["threads"])
    torch.manual_seed(1234)
    B, spec = j["batch"], j["network"]
    net = Net(spec, j["shapes"], j["precision"] == "dfxp")
    c, h, w = spec["input"]
    dense_first = spec["layers"][0]["kind"] != "maxout-conv"
    x = torch.rand(B, c * h * w) if dense_first else torch.rand(B, c, h, w)
    t = torch.randint(0, 10, (B,))
    seen = 0

    def run(n):
        nonlocal seen
        for _ in range(n):
            net.step(x, t, j["learningRate"], j["momentum"])
            seen += B
            if net.dfxp and seen % 10000 < B:
                net.end_window()

    run(j["warmup"])
    t0 = time.perf_counter()
    run(j["batches"])
    sec = time.perf_counter() - t0
    return {"secondsPerBatch": sec / j["batches"], "threads": torch.get_num_threads(), "version": torch.__version__}


def pool_job(j):
    bad = []
    for n, size, stride, out in j["cases"]:
        got = F.max_pool2d(torch.zeros(1, 1, n, n), size, stride, ceil_mode=True).shape[2]
        if got != out:
            bad.append([n, size, stride, out, got])
    return {"mismatches": bad}


for line in sys.stdin:
    job = json.loads(line)
    try:
        if job["kind"] == "info":
            r = {"version": torch.__version__, "threads": torch.get_num_threads()}
        elif job["kind"] == "pool":
            r = pool_job(job)
        else:
            r = time_job(job)
    except Exception as e:  # answered, so the caller reports it instead of hanging
        r = {"error": f"{type(e).__name__}: {e}"}
    print(json.dumps(r), flush=True)
