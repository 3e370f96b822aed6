#!/usr/bin/python3
"""The Python side of dense's benchmarks: the same workloads as `dense bench`,
in numpy (OpenBLAS sgemm) and PyTorch, each printing one result line.

    gemm MxNxK <GFLOP/s>          numpy float32 matmul, best single run
    train LAYERS BATCH <samples/s> PyTorch Adam training on generated data
    infer LAYERS BATCH <rows/s>    PyTorch in-memory batched inference (no_grad)

The networks match dense's `bench` models: relu hidden layers; several
outputs → softmax with cross-entropy on labels from a random linear teacher,
one output → linear with mean squared error. Run with Debian's interpreter
(/usr/bin/python3, packages python3-torch, python3-numpy, and for a fast
numpy libopenblas0-pthread): bench/compare.sh does, and prints the ratios.
Not part of CI.
"""
import argparse
import os
import sys
import time

import numpy as np


def parse_layers(s):
    widths = [int(v) for v in s.split(",")]
    if len(widths) < 2 or min(widths) < 1:
        raise SystemExit(f"torch_bench: bad --layers {s!r}: want input,hidden…,output widths")
    return widths


def blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    parts = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture', '')} threads={i.get('num_threads')}"
             for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(parts) or "no BLAS found by threadpoolctl"


def bench_gemm(shape, seconds):
    m, n, k = (int(v) for v in shape.lower().split("x"))
    rng = np.random.default_rng(1)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(a, b, out=c)  # warm up
    best, runs, deadline = float("inf"), 0, time.perf_counter() + seconds
    while runs < 3 or time.perf_counter() < deadline:
        t = time.perf_counter()
        np.matmul(a, b, out=c)
        best = min(best, time.perf_counter() - t)
        runs += 1
    print(f"gemm {m}x{n}x{k} {2 * m * n * k / best / 1e9:.1f} GFLOP/s", flush=True)


def make_model(torch, widths):
    layers = []
    for i in range(len(widths) - 2):
        layers += [torch.nn.Linear(widths[i], widths[i + 1]), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(widths[-2], widths[-1]))
    return torch.nn.Sequential(*layers)


def make_data(torch, widths, rows):
    """Same recipe as dense's benchData (different generator): normal inputs,
    argmax of a random linear teacher as the class, or its scaled value plus
    noise as the regression target."""
    g = torch.Generator().manual_seed(3)
    inputs, outputs = widths[0], widths[-1]
    x = torch.randn(rows, inputs, generator=g)
    teacher = torch.randn(inputs, outputs, generator=g)
    scores = x @ teacher
    if outputs == 1:
        y = scores / inputs ** 0.5 + 0.1 * torch.randn(rows, 1, generator=g)
    else:
        y = scores.argmax(dim=1)
    return x, y


def bench_train(torch, layers, batch, rows, epochs):
    widths = parse_layers(layers)
    x, y = make_data(torch, widths, rows)
    torch.manual_seed(1)
    model = make_model(torch, widths)
    loss_fn = torch.nn.CrossEntropyLoss() if widths[-1] > 1 else torch.nn.MSELoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    start = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(rows, generator=g)
        for i in range(0, rows, batch):
            idx = perm[i:i + batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
    elapsed = time.perf_counter() - start
    print(f"train {layers} {batch} {epochs * rows / elapsed:.0f} samples/s (final batch loss {loss.item():.4g})", flush=True)


def bench_infer(torch, layers, batch, rows, repeat):
    widths = parse_layers(layers)
    x, _ = make_data(torch, widths, rows)
    torch.manual_seed(1)
    model = make_model(torch, widths).eval()
    best = float("inf")
    with torch.no_grad():
        for _ in range(repeat):
            start = time.perf_counter()
            total = 0.0
            for i in range(0, rows, batch):
                out = model(x[i:i + batch])
                if widths[-1] > 1:
                    # dense_predict returns a classifier's top probability
                    out = torch.softmax(out, dim=1).max(dim=1).values
                total += out.sum().item()
            best = min(best, time.perf_counter() - start)
    print(f"infer {layers} {batch} {rows / best:.0f} rows/s (sum {total:.6g})", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gemm", default="2048x128x784,1024x1024x1024", help="comma-separated MxNxK shapes ('' to skip)")
    ap.add_argument("--gemm-seconds", type=float, default=2.0)
    ap.add_argument("--train", default="784,128,10:128:60000:2;20,64,32,1:256:200000:2",
                    help="LAYERS:BATCH:ROWS:EPOCHS;… ('' to skip)")
    ap.add_argument("--infer", default="784,128,10:2048:100000;20,64,32,1:2048:1000000",
                    help="LAYERS:BATCH:ROWS;… ('' to skip)")
    ap.add_argument("--repeat", type=int, default=3, help="inference passes (the best counts)")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    print(f"# python {sys.version.split()[0]}, numpy {np.__version__}, torch {torch.__version__} "
          f"threads={torch.get_num_threads()}, BLAS: {blas_info()}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}", flush=True)
    for shape in filter(None, args.gemm.split(",")):
        bench_gemm(shape, args.gemm_seconds)
    for spec in filter(None, args.train.split(";")):
        layers, batch, rows, epochs = spec.split(":")
        bench_train(torch, layers, int(batch), int(rows), int(epochs))
    for spec in filter(None, args.infer.split(";")):
        layers, batch, rows = spec.split(":")
        bench_infer(torch, layers, int(batch), int(rows), args.repeat)


if __name__ == "__main__":
    main()
