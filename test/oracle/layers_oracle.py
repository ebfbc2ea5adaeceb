"""PyTorch oracle for test/oracle/layers.test.ts: layers and losses in float64.

Reads {"cases": [...]} as JSON on stdin; each case names a layer or loss ("kind"), its tensors
({name: {shape, values}}), the names of the tensors to differentiate ("diff"), its options and a
direction D. Writes {"results": [...]}: the output, the gradients of sum(output · D) with respect
to the "diff" tensors, and for batch norm the running statistics after the call.
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

torch.set_num_threads(1)


def encode(t):
    out = []
    for v in t.detach().reshape(-1).tolist():
        out.append(v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")))
    return out


def run(case):
    o = case["opts"]
    T = {k: torch.tensor(v["values"], dtype=torch.float64).reshape(v["shape"]) for k, v in case["tensors"].items()}
    for k in case["diff"]:
        T[k].requires_grad_(True)
    kind = case["kind"]
    extra = {}
    if kind == "conv2d":
        y = F.conv2d(T["x"], T["weight"], T.get("bias"), stride=o["stride"], padding=o["padding"], dilation=o["dilation"], groups=o["groups"])
    elif kind == "conv1d":
        y = F.conv1d(T["x"], T["weight"], T.get("bias"), stride=o["stride"], padding=o["padding"], dilation=o["dilation"], groups=o["groups"])
    elif kind == "maxPool2d":
        y = F.max_pool2d(T["x"], o["kernelSize"], stride=o["stride"], padding=o["padding"], ceil_mode=o["ceilMode"])
    elif kind == "avgPool2d":
        y = F.avg_pool2d(T["x"], o["kernelSize"], stride=o["stride"], padding=o["padding"], count_include_pad=o["countIncludePad"])
    elif kind == "adaptiveAvgPool2d":
        y = F.adaptive_avg_pool2d(T["x"], o["outputSize"])
    elif kind == "batchNorm":
        rm, rv = T["runningMean"].clone(), T["runningVar"].clone()
        y = F.batch_norm(T["x"], rm, rv, T.get("weight"), T.get("bias"), training=o["training"], momentum=o["momentum"], eps=o["eps"])
        extra = {"runningMean": encode(rm), "runningVar": encode(rv)}
    elif kind == "layerNorm":
        y = F.layer_norm(T["x"], o["normalizedShape"], T.get("weight"), T.get("bias"), eps=o["eps"])
    elif kind == "embedding":
        y = F.embedding(T["indices"].long(), T["weight"])
    elif kind == "crossEntropy":
        target = T["target"] if o["probabilities"] else T["target"].long()
        y = F.cross_entropy(T["x"], target, weight=T.get("weight"), ignore_index=o["ignoreIndex"], reduction=o["reduction"], label_smoothing=o["labelSmoothing"])
    elif kind == "nll":
        y = F.nll_loss(T["x"], T["target"].long(), weight=T.get("weight"), ignore_index=o["ignoreIndex"], reduction=o["reduction"])
    elif kind == "l1Loss":
        y = F.l1_loss(T["x"], T["target"], reduction=o["reduction"])
    elif kind == "smoothL1Loss":
        y = F.smooth_l1_loss(T["x"], T["target"], reduction=o["reduction"], beta=o["beta"])
    elif kind == "klDiv":
        y = F.kl_div(T["x"], T["target"], reduction=o["reduction"], log_target=o["logTarget"])
    else:
        raise ValueError(f"unknown kind {kind}")
    d = torch.tensor(case["direction"], dtype=torch.float64).reshape(y.shape)
    (y * d).sum().backward()
    grads = {k: encode(T[k].grad if T[k].grad is not None else torch.zeros_like(T[k])) for k in case["diff"]}
    return {"shape": list(y.shape), "output": encode(y), "grads": grads, "extra": extra}


def main():
    cases = json.load(sys.stdin)["cases"]
    results = []
    for c in cases:
        try:
            results.append(run(c))
        except Exception as e:  # reported by the test with the case
            results.append({"error": f"{type(e).__name__}: {e}"})
    json.dump({"torch": torch.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
