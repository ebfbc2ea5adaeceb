"""The PyTorch peer of `npm run bench peers` (bench/torch.ts runs it, one case per process).

    /usr/bin/python3 bench/torch_peer.py SPEC.json

SPEC names the case, the raw float32 files holding its inputs (written by the benchmark from the
same arrays gibbsgrad and the other peers use) and what to do:
- "time": time the case the way bench/suite.ts times the others (an untimed warm-up call, then
  batches of calls for `maxTime` seconds when a call is faster than `slowCall`, a plain loop of
  whole calls for `slowBudget` seconds (at least `slowSamples`) when it is slower, the warm-up call
  alone when that outlasted `slowBudget`), and print the mean seconds per call;
- "check": run the case `calls` times and print what each call returned (a training step's loss,
  a forward pass's output), for the tests that compare PyTorch with gibbsgrad.
The timing runs inside Python, so neither the interpreter's start nor the file reads are timed.
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

# Student's t at 95 % for 1..10 degrees of freedom, then the normal (as bench/suite.ts).
T95 = [12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23]
# A fast case's sample is a batch of calls lasting at least this long (as benchmark.js's minimum).
MIN_SAMPLE = 0.05


def load(entry):
    with open(entry["file"], "rb") as f:
        data = bytearray(f.read())
    return torch.frombuffer(data, dtype=torch.float32).reshape(entry["shape"])


def pair(v):
    return tuple(v) if isinstance(v, list) else (v, v)


def build_net(layers):
    """torch.nn.Sequential from bench/torch.ts's description of a gibbsgrad nn.Sequential."""
    mods = []
    for layer in layers:
        kind = layer["kind"]
        if kind == "conv":
            mods.append(torch.nn.Conv2d(layer["in"], layer["out"], pair(layer["kernel"]), stride=pair(layer["stride"]),
                                        padding=pair(layer["padding"]), bias=layer["bias"]))
        elif kind == "linear":
            mods.append(torch.nn.Linear(layer["in"], layer["out"], bias=layer["bias"]))
        elif kind == "maxpool":
            mods.append(torch.nn.MaxPool2d(pair(layer["kernel"]), stride=pair(layer["stride"]), padding=pair(layer["padding"])))
        elif kind == "relu":
            mods.append(torch.nn.ReLU())
        elif kind == "flatten":
            mods.append(torch.nn.Flatten(layer["startDim"], layer["endDim"]))
        else:
            raise ValueError(f"torch_peer: unknown layer kind {kind!r}")
    return torch.nn.Sequential(*mods)


def make_case(spec):
    """The call to time: a function of no arguments returning the case's result."""
    kind = spec["kind"]
    t = {name: load(entry) for name, entry in spec["inputs"].items()}
    if kind == "matmul":
        a, b = t["a"], t["b"]
        return lambda: a @ b
    if kind == "conv":
        x, w = t["x"], t["w"]
        return lambda: F.conv2d(x, w)
    if kind == "conv-grad":
        x, w, dy = t["x"].requires_grad_(), t["w"].requires_grad_(), t["dy"]

        def conv_grad():
            x.grad = w.grad = None
            F.conv2d(x, w).backward(dy)
            return x.grad
        return conv_grad
    if kind == "maxpool":
        x = t["x"]
        return lambda: F.max_pool2d(x, 2)
    if kind == "maxpool-grad":
        x, dy = t["x"].requires_grad_(), t["dy"]

        def pool_grad():
            x.grad = None
            F.max_pool2d(x, 2).backward(dy)
            return x.grad
        return pool_grad
    if kind == "train-step":
        net = build_net(spec["layers"])
        params = list(net.parameters())
        values = [load(entry) for entry in spec["params"]]
        if [tuple(p.shape) for p in params] != [tuple(v.shape) for v in values]:
            raise ValueError("torch_peer: the parameters sent do not fit the network described")
        with torch.no_grad():
            for p, v in zip(params, values):
                p.copy_(v)
        opt_spec = spec["optimizer"]
        if opt_spec["name"] == "sgd":
            opt = torch.optim.SGD(params, lr=opt_spec["lr"])
        elif opt_spec["name"] == "adam":
            opt = torch.optim.Adam(params, lr=opt_spec["lr"])
        else:
            raise ValueError(f"torch_peer: unknown optimizer {opt_spec['name']!r}")
        x, y = t["x"], t["y"].long()

        def step():
            opt.zero_grad(set_to_none=True)  # as gibbsgrad's zeroGrad
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            return loss
        return step
    raise ValueError(f"torch_peer: unknown case kind {kind!r}")


def margin(xs):
    """95 % margin of the mean of xs, in percent (None for a single sample)."""
    n = len(xs)
    if n < 2:
        return None
    mean = sum(xs) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    t = T95[n - 2] if n - 2 < len(T95) else 1.96
    return t * sd / math.sqrt(n) / mean * 100


def measure(fn, max_time, slow_call, slow_budget, slow_samples):
    start = time.perf_counter()
    fn()
    warmup = time.perf_counter() - start
    if warmup >= slow_budget and warmup >= slow_call:
        return {"seconds": warmup, "margin": None, "samples": 1, "method": "once"}
    if warmup >= slow_call:
        times = []
        start = time.perf_counter()
        while len(times) < slow_samples or time.perf_counter() - start < slow_budget:
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return {"seconds": sum(times) / len(times), "margin": margin(times), "samples": len(times), "method": "loop"}
    t = time.perf_counter()
    fn()
    per_batch = max(1, math.ceil(MIN_SAMPLE / max(time.perf_counter() - t, 1e-7)))
    means = []
    start = time.perf_counter()
    while len(means) < 5 or time.perf_counter() - start < max_time:
        t = time.perf_counter()
        for _ in range(per_batch):
            fn()
        means.append((time.perf_counter() - t) / per_batch)
    return {"seconds": sum(means) / len(means), "margin": margin(means), "samples": len(means) * per_batch, "method": "batches"}


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    torch.set_num_threads(spec["threads"])
    fn = make_case(spec)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    if spec["mode"] == "time":
        o = spec["timing"]
        out["timing"] = measure(fn, o["maxTime"], o["slowCall"], o["slowBudget"], o["slowSamples"])
    else:
        out["values"] = [fn().detach().reshape(-1).tolist() for _ in range(spec["calls"])]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
