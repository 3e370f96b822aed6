#!/usr/bin/python3
"""PyTorch reference fixture for the nn package.

Regenerate (from the repository root) with Debian's python3-torch:

    /usr/bin/python3 nn/tools/torch_fixture.py > nn/testdata/torch/mlp.json

It builds small MLPs with fixed weights (float32 values, computed in float64
so the fixture is the exact answer), runs the forward pass on a fixed batch
with batch norm in training mode and in eval mode (dropout off), computes
several losses, the gradient of every parameter, the updated batch-norm
running statistics, and the weights after two steps of Adam, AdamW, SGD
(plain with gradient clipping, momentum, Nesterov momentum with weight decay)
and RMSprop (with and without momentum). TestTorchFixture in nn/torch_test.go matches all of it.

Layers are written in the nn package's LayerSpec JSON; tensors in PyTorch's
state-dict naming (layers.{i}.weight [out, in], ...), i being the index in
the layer list. Batch-norm momentum follows nn's convention (0.9 = PyTorch's
momentum 0.1).
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
RNG = np.random.default_rng(20261127)


def f32(a):
    """Round to float32 values (kept in float64) so Go reads the same numbers."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def body():
    return [
        {"type": "dense", "units": 8, "activation": "relu", "bias": True},
        {"type": "batchnorm", "momentum": 0.9, "epsilon": 1e-5},
        {"type": "dropout", "rate": 0},
        {"type": "dense", "units": 7, "activation": "gelu", "bias": True, "l2": 0.01},
        {"type": "dense", "units": 6, "activation": "leaky_relu", "bias": True},
        {"type": "dense", "units": 6, "activation": "elu", "bias": True},
        {"type": "dense", "units": 5, "activation": "tanh", "bias": False},
        {"type": "batchnorm", "momentum": 0.9, "epsilon": 1e-5},
        {"type": "dense", "units": 5, "activation": "sigmoid", "bias": True},
        {"type": "dense", "units": 4, "activation": "linear", "bias": True},
    ]


def init(layers, inputs):
    """Fixed random weights in nn's tensor naming."""
    w = {}
    width = inputs
    for i, l in enumerate(layers):
        if l["type"] == "dense":
            w[f"layers.{i}.weight"] = f32(RNG.normal(0, 1 / np.sqrt(width), (l["units"], width)))
            if l.get("bias"):
                w[f"layers.{i}.bias"] = f32(RNG.normal(0, 0.1, l["units"]))
            width = l["units"]
        elif l["type"] == "batchnorm":
            w[f"layers.{i}.weight"] = f32(RNG.uniform(0.5, 1.5, width))
            w[f"layers.{i}.bias"] = f32(RNG.normal(0, 0.2, width))
            w[f"layers.{i}.running_mean"] = f32(RNG.normal(0, 0.3, width))
            w[f"layers.{i}.running_var"] = f32(RNG.uniform(0.5, 2, width))
    return w


def act(name, z):
    return {
        "linear": lambda v: v,
        "relu": F.relu,
        "leaky_relu": lambda v: F.leaky_relu(v, 0.01),
        "elu": lambda v: F.elu(v, 1.0),
        "gelu": F.gelu,  # exact erf form
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "softmax": lambda v: torch.softmax(v, dim=1),
    }[name](z)


def forward(layers, params, buffers, x, train):
    """Returns the output, the last dense layer's logits and the L2 penalty."""
    h, logits, l2 = x, None, 0.0
    for i, l in enumerate(layers):
        if l["type"] == "dense":
            z = F.linear(h, params[f"layers.{i}.weight"], params.get(f"layers.{i}.bias"))
            logits = z
            h = act(l["activation"], z)
            if l.get("l2"):
                l2 = l2 + l["l2"] * (params[f"layers.{i}.weight"] ** 2).sum()
        elif l["type"] == "batchnorm":
            h = F.batch_norm(h, buffers[f"layers.{i}.running_mean"], buffers[f"layers.{i}.running_var"],
                             params[f"layers.{i}.weight"], params[f"layers.{i}.bias"],
                             training=train, momentum=1 - l["momentum"], eps=l["epsilon"])
        elif l["type"] == "dropout":
            h = F.dropout(h, l["rate"], training=False)
    return h, logits, l2


def loss_fn(name, out, logits, y, cw):
    if name == "mse":
        return F.mse_loss(out, y)
    if name == "mae":
        return F.l1_loss(out, y)
    if name == "huber":
        return F.huber_loss(out, y, delta=1.0)
    if name == "binary_crossentropy":
        per = F.binary_cross_entropy_with_logits(logits, y, reduction="none")
        if cw is None:
            return per.mean()
        c = y * cw[1] + (1 - y) * cw[0]
        return (c * per).sum() / c.sum()
    if name == "categorical_crossentropy":
        return F.cross_entropy(logits, y)
    if name == "sparse_categorical_crossentropy":
        w = None if cw is None else torch.tensor(cw)
        return F.cross_entropy(logits, y.long(), weight=w)
    raise ValueError(name)


OPTIMIZERS = [
    {"name": "adam", "lr": 0.01},
    {"name": "adamw", "lr": 0.01, "weight_decay": 0.05},
    {"name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.001},
    # No weight decay here: RMSprop divides each step by the gradient's own size,
    # so g + wd·p cancelling to a small value would amplify float32 rounding.
    {"name": "rmsprop", "lr": 0.01, "rho": 0.9, "momentum": 0.5},
    {"name": "sgd", "lr": 0.1, "clip_norm": 0.05},
    {"name": "sgd", "lr": 0.05, "momentum": 0.8},
    {"name": "rmsprop", "lr": 0.005, "rho": 0.95},
]


def make_opt(cfg, ps):
    n = cfg["name"]
    wd = cfg.get("weight_decay", 0.0)
    if n == "adam":
        return torch.optim.Adam(ps, lr=cfg["lr"], betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
    if n == "adamw":
        return torch.optim.AdamW(ps, lr=cfg["lr"], betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
    if n == "sgd":
        return torch.optim.SGD(ps, lr=cfg["lr"], momentum=cfg.get("momentum", 0), nesterov=cfg.get("nesterov", False), weight_decay=wd)
    if n == "rmsprop":
        return torch.optim.RMSprop(ps, lr=cfg["lr"], alpha=cfg["rho"], eps=1e-8, momentum=cfg.get("momentum", 0), weight_decay=wd)
    raise ValueError(n)


def case(name, head, loss, train, y, cw=None, inputs=5, rows=8, optimizers=False):
    layers = body() + head
    w = init(layers, inputs)
    x = f32(RNG.normal(0, 1, (rows, inputs)))
    params = {k: torch.tensor(v, requires_grad=True) for k, v in w.items() if "running" not in k}
    buffers = {k: torch.tensor(v) for k, v in w.items() if "running" in k}
    yt = torch.tensor(y)
    out, logits, l2 = forward(layers, params, buffers, torch.tensor(x), train)
    total = loss_fn(loss, out, logits, yt, cw) + l2
    total.backward()
    grads = {k: p.grad.detach().clone() for k, p in params.items()}
    steps = []
    for cfg in OPTIMIZERS if optimizers else []:
        ps = {k: torch.tensor(w[k], requires_grad=True) for k in params}
        opt = make_opt(cfg, list(ps.values()))
        for _ in range(2):  # the same gradients twice: exercises the optimiser state
            for k, p in ps.items():
                p.grad = grads[k].clone() if p.grad is None else p.grad
            if cfg.get("clip_norm"):
                torch.nn.utils.clip_grad_norm_(list(ps.values()), cfg["clip_norm"])
            opt.step()
        steps.append({"optimizer": cfg, "weights": {k: p.detach().numpy().ravel().tolist() for k, p in ps.items()}})
    return {
        "name": name,
        "inputs": inputs,
        "rows": rows,
        "layers": layers,
        "loss": loss,
        "class_weights": cw,
        "train": train,
        "x": x.ravel().tolist(),
        "y": np.asarray(y).ravel().tolist(),
        "tensors": {k: v.ravel().tolist() for k, v in w.items()},
        "output": out.detach().numpy().ravel().tolist(),
        "loss_value": total.item(),
        "grads": {k: g.numpy().ravel().tolist() for k, g in grads.items()},
        "running_after": {k: b.numpy().ravel().tolist() for k, b in buffers.items()},
        "steps": steps,
    }


def rounded(obj):
    """Ten significant digits: exact for the float32 inputs, far below the
    test's 1e-5 tolerance for the float64 results, and a small file."""
    if isinstance(obj, float):
        return float("%.10g" % obj)
    if isinstance(obj, list):
        return [rounded(v) for v in obj]
    if isinstance(obj, dict):
        return {k: rounded(v) for k, v in obj.items()}
    return obj


def onehot(labels, k):
    o = np.zeros((len(labels), k))
    o[np.arange(len(labels)), labels] = 1
    return o


def main():
    softmax = [{"type": "dense", "units": 3, "activation": "softmax", "bias": True}]
    sigmoid = [{"type": "dense", "units": 2, "activation": "sigmoid", "bias": True}]
    linear = [{"type": "dense", "units": 2, "activation": "linear", "bias": True}]
    labels = np.array([0, 1, 2, 1, 0, 2, 2, 1])
    multilabel = f32(RNG.integers(0, 2, (8, 2)))
    reg = f32(RNG.normal(0, 1.5, (8, 2)))
    cases = [
        case("sparse_ce_train", softmax, "sparse_categorical_crossentropy", True, labels.astype(float), optimizers=True),
        case("sparse_ce_eval", softmax, "sparse_categorical_crossentropy", False, labels.astype(float)),
        case("sparse_ce_weighted", softmax, "sparse_categorical_crossentropy", True, labels.astype(float), cw=[0.5, 2.0, 1.0]),
        case("categorical_ce", softmax, "categorical_crossentropy", True, onehot(labels, 3)),
        case("mse_on_softmax", softmax, "mse", True, onehot(labels, 3)),
        case("binary_ce", sigmoid, "binary_crossentropy", True, multilabel),
        case("binary_ce_weighted", sigmoid, "binary_crossentropy", False, multilabel, cw=[0.7, 1.6]),
        case("mse", linear, "mse", True, reg, optimizers=True),
        case("mae", linear, "mae", True, reg),
        case("huber", linear, "huber", True, reg),
    ]
    json.dump(rounded({"torch": torch.__version__, "cases": cases}), sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
