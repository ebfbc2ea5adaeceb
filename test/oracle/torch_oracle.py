"""PyTorch oracle for test/oracle/torch.test.ts.

Reads {"programs": [...]} as JSON on stdin and writes {"results": [...]} as JSON on stdout, one
process for the whole batch (importing torch costs about a second). Each program is run twice,
in float64 (the reference) and in float32 (whose distance from float64 tells the test how much
error float32 itself makes on that program). For each it returns the output and the gradients of
sum(output · D) with respect to every input, flattened in row-major order.

It also returns NOISY_RUNS float64 runs with every op's output and gradient perturbed at random
by float32-sized rounding (see rounding_noise): where float32 is ill-conditioned (an element that
hangs on an intermediate's last bit, e.g. tanh' of a saturated logit) one float32 run can be
accurate by luck, and these show how far float32 rounding can move each element.

The step vocabulary mirrors gibbsgrad's Tensor methods; the conventions where gibbsgrad differs
from PyTorch's defaults are matched here (see the test's header for the list):
- max/min over an axis: torch.amax/amin, whose gradient is split evenly among ties (torch.max(dim)
  would route it to one index);
- var: unbiased=False (gibbsgrad divides by n);
- maximum/minimum at a tie give half to each side in torch 1.13, as gibbsgrad does (no change).
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

NOISY_RUNS = 3
NOISE = 2.0**-23  # 2u: an op's output carries a rounding or two (of its value, or of its sum's terms)
ACCUMULATING = ("matmul", "conv2d", "sum", "mean", "cumsum", "einsum")  # ops whose rounding scales with Σ|terms|

torch.set_num_threads(1)  # tiny tensors: threads only add overhead and nondeterminism


def dims(x, axis):
    """gibbsgrad's axis argument (None = every axis, an int, or a list) as a torch dim tuple."""
    if axis is None:
        return tuple(range(x.dim()))
    if isinstance(axis, list):
        return tuple(axis)
    return (axis,)


def scalar_operand(step, dtype):
    return torch.tensor(step["scalar"], dtype=dtype)


BINARY = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
    "pow": torch.pow,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
}

UNARY = {
    "neg": torch.neg,
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "abs": torch.abs,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "softplus": F.softplus,
    "square": torch.square,
    "log1p": torch.log1p,
    "expm1": torch.expm1,
    "sin": torch.sin,
    "cos": torch.cos,
    "erf": torch.erf,
    "reciprocal": torch.reciprocal,
    "rsqrt": torch.rsqrt,
    "silu": F.silu,
}


def reduce(op, x, step):
    d, keep = dims(x, step.get("axis")), bool(step.get("keepDims"))
    if op == "sum":
        return torch.sum(x, dim=d, keepdim=keep)
    if op == "mean":
        return torch.mean(x, dim=d, keepdim=keep)
    if op == "max":
        return torch.amax(x, dim=d, keepdim=keep)
    if op == "min":
        return torch.amin(x, dim=d, keepdim=keep)
    if op == "logsumexp":
        return torch.logsumexp(x, dim=d, keepdim=keep)
    if op == "var":
        return torch.var(x, dim=d, unbiased=False, keepdim=keep)
    raise ValueError(f"unknown reduction {op}")


def apply(step, vals, dtype):
    op, args = step["op"], [vals[i] for i in step["args"]]
    if op in UNARY:
        return UNARY[op](args[0])
    if op in BINARY:
        if "scalar" in step:
            s = scalar_operand(step, dtype)
            a, b = (s, args[0]) if step.get("scalarLeft") else (args[0], s)
        else:
            a, b = args
        return BINARY[op](a, b)
    if op == "clamp":
        return torch.clamp(args[0], min=step.get("min"), max=step.get("max"))
    if op == "gelu":
        return F.gelu(args[0], approximate=step["approximate"])
    if op == "elu":
        return F.elu(args[0], alpha=step["alpha"])
    if op == "leakyRelu":
        return F.leaky_relu(args[0], negative_slope=step["negativeSlope"])
    if op in ("sum", "mean", "max", "min", "logsumexp", "var"):
        return reduce(op, args[0], step)
    if op == "softmax":
        return torch.softmax(args[0], dim=step["axis"])
    if op == "logSoftmax":
        return torch.log_softmax(args[0], dim=step["axis"])
    if op == "matmul":
        return torch.matmul(args[0], args[1])
    if op == "reshape":
        return args[0].reshape(step["shape"])
    if op == "permute":
        return args[0].permute(step["perm"])
    if op == "transpose":
        return args[0].transpose(step["dim0"], step["dim1"])
    if op == "conv2d":
        bias = args[2] if len(args) > 2 else None
        return F.conv2d(args[0], args[1], bias, stride=step["stride"], padding=step["padding"])
    if op == "maxPool2d":
        return F.max_pool2d(args[0], step["kernelSize"], stride=step["stride"], padding=step["padding"])
    if op in SHAPE_OPS:
        return shape_op(op, args, step, dtype)
    raise ValueError(f"unknown op {op}")


SHAPE_OPS = ("prod", "std", "norm", "cumsum", "sort", "topk", "flip", "repeat", "maskedFill", "scatter",
             "scatterAdd", "indexSelect", "sliceStep", "split", "chunk", "einsum")


def shape_op(op, args, step, dtype):
    """The ops of test/oracle/shape-programs.ts (extra arguments in step["params"])."""
    x, q = args[0], step.get("params", {})
    axis, keep = step.get("axis"), bool(step.get("keepDims"))
    if op == "prod":  # torch.prod takes one dim: every axis is the product of the flattened tensor
        if axis is None:
            return torch.prod(x).reshape([1] * x.dim() if keep else [])
        return torch.prod(x, dim=axis, keepdim=keep)
    if op == "std":
        return torch.std(x, dim=dims(x, axis), unbiased=bool(q["unbiased"]), keepdim=keep)
    if op == "norm":
        p = math.inf if q["p"] == "inf" else q["p"]
        return torch.linalg.vector_norm(x, ord=p, dim=dims(x, axis), keepdim=keep)
    if op == "cumsum":
        return torch.cumsum(x, dim=axis)
    if op == "sort":
        return torch.sort(x, dim=axis, descending=q["descending"], stable=True).values
    if op == "topk":
        return torch.topk(x, q["k"], dim=axis, largest=q["largest"], sorted=True).values
    if op == "flip":
        return torch.flip(x, q["dims"])
    if op == "repeat":
        return x.repeat(*q["sizes"])
    if op == "maskedFill":
        mask = torch.tensor(q["mask"]).reshape(q["maskShape"]).bool()
        return x.masked_fill(mask, q["value"])
    if op in ("scatter", "scatterAdd"):
        src = args[1]
        index = torch.tensor(q["index"], dtype=torch.int64).reshape(src.shape)
        return x.scatter(axis, index, src) if op == "scatter" else x.scatter_add(axis, index, src)
    if op == "indexSelect":
        return torch.index_select(x, axis, torch.tensor(q["index"], dtype=torch.int64))
    if op == "sliceStep":
        return x[tuple(slice(s, e, st) for s, e, st in q["ranges"])]
    if op == "split":
        return torch.split(x, q["sizes"], dim=axis)[q["piece"]]
    if op == "chunk":
        return torch.chunk(x, q["chunks"], dim=axis)[q["piece"]]
    if op == "einsum":
        return torch.einsum(q["spec"], *args)
    raise ValueError(f"unknown op {op}")


def encode(t):
    """Flattened values; NaN and ±∞ as strings, since JSON has no literal for them."""
    out = []
    for v in t.detach().reshape(-1).tolist():
        out.append(v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")))
    return out


def rounding_noise(v, scale, gen):
    """v + NOISE·r·scale, r uniform in [−1, 1] per element, and g·(1 + NOISE·r′) on its gradient:
    float64 with the size of float32's rounding at every op's output, forward and backward, drawn at
    random. `scale` is |v|, or for an op that accumulates, the same op on the absolute values (Σ|terms|:
    a float32 sum's error is relative to its terms, not to a result that cancelled)."""
    r_forward = torch.rand(v.shape, generator=gen, dtype=v.dtype) * 2 - 1
    r_backward = torch.rand(v.shape, generator=gen, dtype=v.dtype) * 2 - 1
    v = v + NOISE * r_forward * scale
    v.register_hook(lambda g: g * (1 + NOISE * r_backward))
    return v


class SaturatingWithNoise(torch.autograd.Function):
    """tanh or sigmoid whose output, saved for the backward pass, carries the rounding noise: their
    derivatives 1 − y² and y(1 − y) are computed from the output, and near saturation a float32 y
    (1 − 2⁻²⁴ or 1) is where most of float32's error on them comes from."""

    @staticmethod
    def forward(ctx, x, r, kind):
        y = torch.tanh(x) if kind == "tanh" else torch.sigmoid(x)
        y = y + NOISE * r * y.abs()
        ctx.save_for_backward(y)
        ctx.kind = kind
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * (1 - y * y) if ctx.kind == "tanh" else g * y * (1 - y)), None, None


def noisy_step(step, vals, dtype, gen):
    """One step with float32-sized rounding noise (see rounding_noise and SaturatingWithNoise)."""
    if step["op"] in ("tanh", "sigmoid"):
        x = vals[step["args"][0]]
        r = torch.rand(x.shape, generator=gen, dtype=x.dtype) * 2 - 1
        return rounding_noise(SaturatingWithNoise.apply(x, r, step["op"]), torch.zeros_like(x), gen)
    v = apply(step, vals, dtype)
    with torch.no_grad():
        absolute = {k: x.abs() for k, x in vals.items()} if step["op"] in ACCUMULATING else None
        scale = apply(step, absolute, dtype) if absolute else v.abs()
    return rounding_noise(v, scale, gen)


def run(program, dtype, noise=None):
    """Output and input gradients; with `noise` (a torch.Generator), every step's result and
    gradient get float32-sized random rounding (see noisy_step)."""
    inputs = [
        torch.tensor(i["values"], dtype=dtype).reshape(i["shape"]).requires_grad_(True)
        for i in program["inputs"]
    ]
    vals = {f"x{k}": x for k, x in enumerate(inputs)}  # step j's result is v{j}
    for j, step in enumerate(program["steps"]):
        vals[f"v{j}"] = noisy_step(step, vals, dtype, noise) if noise is not None else apply(step, vals, dtype)
    out = vals[f"v{len(program['steps']) - 1}"]
    direction = torch.tensor(program["direction"], dtype=dtype).reshape(out.shape)
    out.backward(direction)
    grads = [encode(x.grad if x.grad is not None else torch.zeros_like(x)) for x in inputs]
    return {"shape": list(out.shape), "output": encode(out), "grads": grads}


def main():
    programs = json.load(sys.stdin)["programs"]
    results = []
    for p in programs:
        try:
            gen = torch.Generator().manual_seed(len(results))
            noisy = [run(p, torch.float64, gen) for _ in range(NOISY_RUNS)]
            results.append({"f64": run(p, torch.float64), "f32": run(p, torch.float32), "noisy": noisy})
        except Exception as e:  # a generator mistake: reported by the test with the program
            results.append({"error": f"{type(e).__name__}: {e}"})
    json.dump({"torch": torch.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
