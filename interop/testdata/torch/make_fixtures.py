#!/usr/bin/python3
"""PyTorch fixtures for interop's import tests (Debian's python3-torch 1.13).

Regenerate from the repository root with

    /usr/bin/python3 interop/testdata/torch/make_fixtures.py [OUTDIR]

OUTDIR defaults to this script's folder; interop's TestTorchFixturesReproduce
writes to a temporary one and checks that the committed files come out byte
for byte. It builds small MLPs with seeded weights and non-trivial batch-norm
running statistics, puts them in eval mode and writes, into OUTDIR:

  NAME.onnx         torch.onnx.export of the model (opset 13, batch axis dynamic)
  NAME.safetensors  its state_dict, for the nn.Sequential ones
  expected.json     per model: the --layers words for the state dict, the
                    input batch x and PyTorch's outputs on it

interop/onnx's TestImportTorchONNX and interop's TestImportStateDict import
them and match PyTorch's outputs within 1e-5. The Python safetensors package
is not installed here, so the format (8-byte little-endian header length,
JSON header, raw little-endian tensors) is written by hand.
"""
import json
import os
import struct
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {torch.float32: "F32", torch.int64: "I64"}


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        raw = t.detach().contiguous().cpu().numpy().tobytes()  # little-endian on amd64
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


def randomise_batchnorm(model, g):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            with torch.no_grad():
                m.weight.copy_(0.5 + torch.rand(m.num_features, generator=g))
                m.bias.copy_(0.3 * torch.randn(m.num_features, generator=g))
                m.running_mean.copy_(0.3 * torch.randn(m.num_features, generator=g))
                m.running_var.copy_(0.2 + torch.rand(m.num_features, generator=g))


class MatMulNet(nn.Module):
    """Not a Sequential: x @ W + b written out, which exports as MatMul + Add."""

    def __init__(self, g):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(4, 6, generator=g) * 0.5)
        self.b1 = nn.Parameter(torch.randn(6, generator=g) * 0.1)
        self.w2 = nn.Parameter(torch.randn(6, 3, generator=g) * 0.5)

    def forward(self, x):
        return torch.tanh(x @ self.w1 + self.b1) @ self.w2


def models(g):
    # name, model, input features, --layers words (None: no state dict)
    yield "multiclass", nn.Sequential(
        nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 6), nn.Tanh(), nn.Linear(6, 3), nn.Softmax(dim=1)
    ), 5, "relu,tanh,softmax"
    # Linear → BatchNorm1d → ReLU: the ONNX import folds the batch norm into
    # the Linear; a state dict cannot say this (an activation after a batch
    # norm), so it has none.
    yield "binary_bn", nn.Sequential(
        nn.Linear(4, 7), nn.BatchNorm1d(7), nn.ReLU(), nn.Dropout(0.2), nn.Linear(7, 1), nn.Sigmoid()
    ), 4, None
    yield "regression", nn.Sequential(
        nn.Flatten(), nn.Linear(6, 5, bias=False), nn.LeakyReLU(0.1), nn.Linear(5, 4), nn.ELU(0.5),
        nn.BatchNorm1d(4), nn.Linear(4, 2)
    ), 6, "leaky_relu:0.1,elu:0.5,batchnorm,linear"
    yield "gelu_sigmoid", nn.Sequential(
        nn.Linear(3, 6), nn.GELU(), nn.Linear(6, 4), nn.Sigmoid(), nn.Linear(4, 2)
    ), 3, "gelu,sigmoid,linear"
    yield "matmul", MatMulNet(g), 4, None


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    torch.manual_seed(20261130)
    g = torch.Generator().manual_seed(20261130)
    expected = {"torch": torch.__version__, "models": []}
    for name, model, inputs, layers in models(g):
        randomise_batchnorm(model, g)
        model.eval()
        x = torch.randn(9, inputs, generator=g)
        with torch.no_grad():
            y = model(x)
        onnx_path = os.path.join(out, name + ".onnx")
        # GELU has no ONNX operator before opset 20: torch writes it as Erf
        # arithmetic, which the import recognises.
        torch.onnx.export(model, x, onnx_path, opset_version=13, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
        if layers is not None:
            write_safetensors(os.path.join(out, name + ".safetensors"), model.state_dict())
        expected["models"].append({
            "name": name,
            "onnx": True,
            "layers": layers,
            "inputs": inputs,
            "x": x.flatten().tolist(),
            "y": y.flatten().tolist(),
            "outputs": y.shape[1],
        })
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
