"""PyTorch side of `npm run bench -- --only torch` (issue #20): the same workloads as tools/bench/torch.ts.

float32, RealNVP of 4 (or 8) affine couplings with 64x64 tanh conditioners (glorot init), the SNF/FAB double well
(ManyWell for dim 32), RWM and MALA at 16384 chains. Usage: python3 torchBench.py <threads> <quick 0|1> <workloads,...>
Prints one line: RESULT {"workload": seconds per call, ...} (RWM/MALA: seconds per step of all chains).
"""
import json
import sys
import time

import torch

A, B, C, D = -0.5, -6.0, 1.0, 1.0


def u_dw(x):
    x1, x2 = x[:, 0::2], x[:, 1::2]
    s = x1 * x1
    return (C * s * s + B * s + A * x1 + 0.5 * D * x2 * x2).sum(1)


class Coupling(torch.nn.Module):
    def __init__(self, dim, parity, bound=3.0):
        super().__init__()
        mask = torch.tensor([1.0 if (j + parity) % 2 == 0 else 0.0 for j in range(dim)])
        self.ia = torch.nonzero(mask).flatten()
        self.ib = torch.nonzero(1 - mask).flatten()
        na, nb = len(self.ia), len(self.ib)
        self.net = torch.nn.Sequential(torch.nn.Linear(na, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64), torch.nn.Tanh(), torch.nn.Linear(64, 2 * nb))
        for m in self.net:
            if isinstance(m, torch.nn.Linear):
                torch.nn.init.xavier_uniform_(m.weight)
                torch.nn.init.zeros_(m.bias)
        with torch.no_grad():
            self.net[-1].weight.mul_(0.1)
        self.nb, self.bound = nb, bound

    def forward(self, x, inverse=False):
        xa, xb = x[:, self.ia], x[:, self.ib]
        p = self.net(xa)
        s = self.bound * torch.tanh(p[:, : self.nb] / self.bound)
        t = p[:, self.nb:]
        if not inverse:
            yb, ld = xb * torch.exp(s) + t, s.sum(1)
        else:
            yb, ld = (xb - t) * torch.exp(-s), -s.sum(1)
        y = torch.empty_like(x)
        y[:, self.ia] = xa
        y[:, self.ib] = yb
        return y, ld


class Flow(torch.nn.Module):
    def __init__(self, dim, layers):
        super().__init__()
        self.layers = torch.nn.ModuleList([Coupling(dim, i % 2) for i in range(layers)])

    def forward(self, z):
        ld = torch.zeros(z.shape[0])
        for l in self.layers:
            z, d = l(z)
            ld = ld + d
        return z, ld

    def inverse(self, x):
        ld = torch.zeros(x.shape[0])
        for l in reversed(self.layers):
            x, d = l(x, inverse=True)
            ld = ld + d
        return x, ld


def log_normal(z):
    return -0.5 * (z * z).sum(1) - 0.5 * z.shape[1] * 1.8378770664093453


def timed(f, min_s):
    f()
    reps, t0 = 0, time.perf_counter()
    while reps < 2 or (time.perf_counter() - t0 < min_s and reps < 200):
        f()
        reps += 1
    return (time.perf_counter() - t0) / reps


def kl_step(dim, layers, batch, min_s):
    torch.manual_seed(1)
    flow = Flow(dim, layers)
    opt = torch.optim.Adam(flow.parameters(), lr=1e-4)
    z = 0.5 * torch.randn(batch, dim)

    def step():
        opt.zero_grad()
        y, ld = flow(z)
        loss = (torch.clamp(u_dw(y), max=1e4) - ld).mean()
        loss.backward()
        opt.step()

    return timed(step, min_s)


def sample_logq(n, min_s):
    flow = Flow(2, 4)

    def f():
        with torch.no_grad():
            z = torch.randn(n, 2)
            y, ld = flow(z)
            (log_normal(z) - ld).sum().item()

    return timed(f, min_s)


def logq_given(n, min_s):
    flow = Flow(2, 4)
    x = torch.randn(n, 2)

    def f():
        with torch.no_grad():
            z, ld = flow.inverse(x)
            (log_normal(z) + ld).sum().item()

    return timed(f, min_s)


def rwm(n, min_s, step=0.5):
    x = torch.randn(n, 2)
    u = u_dw(x)

    def f():
        nonlocal x, u
        p = x + step * torch.randn(n, 2)
        up = u_dw(p)
        acc = torch.log(torch.rand(n)) < u - up
        x = torch.where(acc[:, None], p, x)
        u = torch.where(acc, up, u)

    return timed(f, min_s)


def grad_dw(x):
    x1, x2 = x[:, 0], x[:, 1]
    return torch.stack([4 * C * x1 ** 3 + 2 * B * x1 + A, D * x2], 1)


def mala(n, min_s, tau=0.05):
    x = torch.randn(n, 2)
    u, g = u_dw(x), grad_dw(x)
    sq = (2 * tau) ** 0.5

    def f():
        nonlocal x, u, g
        p = x - tau * g + sq * torch.randn(n, 2)
        up, gp = u_dw(p), grad_dw(p)
        fwd = ((p - x + tau * g) ** 2).sum(1)
        bwd = ((x - p + tau * gp) ** 2).sum(1)
        log_ratio = u - up - (bwd - fwd) / (4 * tau)
        acc = torch.log(torch.rand(n)) < log_ratio
        x = torch.where(acc[:, None], p, x)
        u = torch.where(acc, up, u)
        g = torch.where(acc[:, None], gp, g)

    return timed(f, min_s)


WORKLOADS = {
    "kl256": lambda m: kl_step(2, 4, 256, m),
    "kl1024": lambda m: kl_step(2, 4, 1024, m),
    "kl1024so": lambda m: kl_step(2, 4, 1024, m),
    "kl4096": lambda m: kl_step(2, 4, 4096, m),
    "kl32": lambda m: kl_step(32, 8, 1024, m),
    "kl32so": lambda m: kl_step(32, 8, 1024, m),
    "sample100k": lambda m: sample_logq(100_000, m),
    "logq100k": lambda m: logq_given(100_000, m),
    "rwm16384": lambda m: rwm(16384, m),
    "mala16384": lambda m: mala(16384, m),
}

def blas_library():
    """The BLAS shared library this process mapped (Debian's libblas.so.3 is an alternative: OpenBLAS or the slow reference)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return ", ".join(sorted(paths)) or "unknown"
    except OSError:
        return "unknown"


if __name__ == "__main__":
    threads, quick, names = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3].split(",")
    torch.set_num_threads(threads)
    min_s = 0.1 if quick else 0.4
    out = {name: WORKLOADS[name](min_s) for name in names}
    print("RESULT " + json.dumps({"threads": threads, "torch": torch.__version__, "blas": blas_library(), "seconds": out}))
