#!/usr/bin/python3
"""PyTorch fixtures for nn's model file (run with Debian's python3-torch).

    /usr/bin/python3 nn/testdata/statedict/make_fixture.py
        Writes three PyTorch state dicts of nn.Sequential MLPs as safetensors
        files next to this script, and expected.json: for each, the dense spec
        that describes the same network, a fixed input batch and PyTorch's
        outputs on it (eval mode). TestLoadStateDictMatchesPyTorch loads them
        with nn.LoadStateDict and compares nn's Predict within 1e-5.

    /usr/bin/python3 nn/testdata/statedict/make_fixture.py predict MODEL X.json
        Reads a dense model file (written by nn's Model.Save) with the
        hand-written reader below, rebuilds the network in PyTorch from the
        spec in its metadata, loads the weights with load_state_dict, and
        prints the outputs for the rows in X.json as JSON. The Go test
        TestSavedFileReadsInPyTorch drives this.

The Python safetensors package is not installed on this machine, so the format
(8-byte little-endian header length, JSON header, raw little-endian tensors)
is written and read by hand here; it is that simple.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))

DTYPES = {
    torch.float32: "F32",
    torch.float64: "F64",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
}


def tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)  # numpy has no bfloat16; the bits are what matter
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, tensors, metadata=None):
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    blobs, off = [], 0
    for name, t in tensors.items():
        raw = tensor_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n :]
    np_types = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8"}
    tensors = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        arr = np.frombuffer(body[a:b], dtype=np_types[e["dtype"]]).reshape(e["shape"])
        tensors[name] = torch.from_numpy(arr.copy())
    return meta, tensors


def activation(name, alpha):
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(alpha or 0.01)
    if name == "elu":
        return nn.ELU(alpha or 1.0)
    if name == "gelu":
        return nn.GELU()
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "tanh":
        return nn.Tanh()
    if name == "softmax":
        return nn.Softmax(dim=1)
    if name == "linear":
        return nn.Identity()
    raise ValueError("unknown activation " + name)


class FromSpec(nn.Module):
    """layers[i] is spec layer i, so the state dict keys are layers.i.*"""

    def __init__(self, spec):
        super().__init__()
        width = 0
        for i in spec["inputs"]:  # the encoded width of each input, as Input.Width
            if i["kind"] == "vector":
                width += i["length"]
            elif i["kind"] == "numeric":
                width += 1
            else:
                width += len(i.get("vocabulary", [])) + int(i.get("unknown_bucket", False))
            if i["kind"] != "vector" and (i.get("impute") or {}).get("indicator"):
                width += 1
        layers, acts = [], []
        for l in spec["layers"]:
            if l["type"] == "dense":
                layers.append(nn.Linear(width, l["units"], bias=l.get("bias", False)))
                acts.append(activation(l["activation"], l.get("alpha", 0)))
                width = l["units"]
            elif l["type"] == "batchnorm":
                layers.append(nn.BatchNorm1d(width, eps=l["epsilon"]))
                acts.append(nn.Identity())
            else:
                layers.append(nn.Dropout(l.get("rate", 0)))
                acts.append(nn.Identity())
        self.layers = nn.ModuleList(layers)
        self.acts = nn.ModuleList(acts)

    def forward(self, x):
        for l, a in zip(self.layers, self.acts):
            x = a(l(x))
        return x


def predict(model_path, x_path):
    meta, tensors = read_safetensors(model_path)
    spec = json.loads(meta["dense_spec"])
    net = FromSpec(spec)
    missing, unexpected = net.load_state_dict(tensors, strict=False)
    # Our files hold no num_batches_tracked (a training counter PyTorch keeps).
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise SystemExit("state dict mismatch: missing %s, unexpected %s" % (missing, unexpected))
    net.eval()
    with open(x_path) as f:
        x = torch.tensor(json.load(f), dtype=torch.float32)
    with torch.no_grad():
        y = net(x)
    json.dump(y.tolist(), sys.stdout)


def make_fixtures():
    torch.manual_seed(20261127)
    cases = []

    def batchnorm_stats(bn):
        # Non-trivial running statistics, as after training.
        with torch.no_grad():
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.3, 0.3)
        bn.num_batches_tracked.fill_(17)

    def add(name, module, state, spec, x, dtype):
        module.eval()
        with torch.no_grad():
            y = module(x)
        write_safetensors(os.path.join(HERE, name), state)
        cases.append({"file": name, "dtype": dtype, "spec": spec, "x": x.double().tolist(), "y": y.double().tolist()})

    # 1. A submodule "net": Linear, ReLU, BatchNorm1d, Dropout, Linear, Tanh,
    #    Linear, Softmax. Keys net.0, net.2 (batch norm), net.4, net.6. F32.
    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(5, 8), nn.ReLU(), nn.BatchNorm1d(8, eps=1e-3), nn.Dropout(0.3),
                nn.Linear(8, 6), nn.Tanh(), nn.Linear(6, 3), nn.Softmax(dim=1))

        def forward(self, x):
            return self.net(x)

    c = Classifier()
    batchnorm_stats(c.net[2])
    add("classifier_f32.safetensors", c, c.state_dict(), {
        "task": "multiclass",
        "inputs": [{"name": "x", "kind": "vector", "length": 5}],
        "layers": [
            {"type": "dense", "units": 8, "activation": "relu", "bias": True},
            {"type": "batchnorm", "momentum": 0.9, "epsilon": 1e-3},
            {"type": "dropout", "rate": 0.3},
            {"type": "dense", "units": 6, "activation": "tanh", "bias": True},
            {"type": "dense", "units": 3, "activation": "softmax", "bias": True},
        ],
        "labels": ["a", "b", "c"],
    }, torch.randn(7, 5), "F32")

    # 2. A bare Sequential (keys 0.weight, 2.weight, …), one Linear without
    #    bias, ELU(0.7), LeakyReLU(0.2), GELU and a sigmoid output, saved in
    #    float64 (the loader converts to float32).
    s = nn.Sequential(
        nn.Linear(4, 7), nn.ELU(0.7), nn.Linear(7, 5, bias=False), nn.LeakyReLU(0.2),
        nn.Linear(5, 6), nn.GELU(), nn.Linear(6, 1), nn.Sigmoid()).double()
    add("binary_f64.safetensors", s, s.state_dict(), {
        "task": "binary",
        "inputs": [{"name": "a", "kind": "numeric"}, {"name": "v", "kind": "vector", "length": 3}],
        "layers": [
            {"type": "dense", "units": 7, "activation": "elu", "alpha": 0.7, "bias": True},
            {"type": "dense", "units": 5, "activation": "leaky_relu", "alpha": 0.2},
            {"type": "dense", "units": 6, "activation": "gelu", "bias": True},
            {"type": "dense", "units": 1, "activation": "sigmoid", "bias": True},
        ],
    }, torch.randn(6, 4, dtype=torch.float64) * 2, "F64")

    # 3. A submodule "layers" (our own naming scheme), two regression
    #    outputs, stored as bfloat16. The reference runs on the
    #    bfloat16-rounded weights in float32.
    class Regressor(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.BatchNorm1d(4), nn.Linear(4, 2))

        def forward(self, x):
            return self.layers(x)

    r = Regressor()
    batchnorm_stats(r.layers[2])
    with torch.no_grad():
        for p in list(r.parameters()) + [r.layers[2].running_mean, r.layers[2].running_var]:
            p.copy_(p.to(torch.bfloat16).to(torch.float32))
    state = {k: (v.to(torch.bfloat16) if v.is_floating_point() else v) for k, v in r.state_dict().items()}
    add("regressor_bf16.safetensors", r, state, {
        "task": "regression",
        "inputs": [{"name": "x", "kind": "vector", "length": 3}],
        "layers": [
            {"type": "dense", "units": 4, "activation": "sigmoid", "bias": True},
            {"type": "batchnorm", "momentum": 0.9, "epsilon": 1e-5},
            {"type": "dense", "units": 2, "activation": "linear", "bias": True},
        ],
    }, torch.randn(5, 3), "BF16")

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "predict":
        predict(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 1:
        make_fixtures()
    else:
        raise SystemExit(__doc__)
