#!/usr/bin/python3
"""dense's default flags against scikit-learn's MLP (64, 32) on the held-out quality suite.

For each table written by gen.py (TABLE_train.csv, TABLE_test.csv) and each seed:

  dense  `dense train --data TABLE_train.csv --target target --exclude id` (no other flag but
         --seed, --name, --models, --quiet, --no-plot; DENSE_FLAGS adds more, for experiments),
         then `dense score` of TABLE_test.csv; accuracy (classification) or R² (regression) is
         computed here from the scored file.
  sklearn numbers: mean imputation + standardisation; strings and booleans: NULL as its own
         category + one-hot (unknown categories ignored); MLPClassifier((64, 32)) or
         MLPRegressor((64, 32)) behind a standardised target, scikit-learn's defaults otherwise
         (adam, lr 0.001, batch min(200, n), alpha 1e-4, up to 200 epochs with its tol-based
         stopping rule), random_state = the seed.

It prints one line per table (the mean over the seeds) and the average difference.

Usage: run.py [--dense BIN] [--data DIR] [--seeds 1,2,3] [--only iris,wine] [--flags '--epochs 50']
"""

import argparse
import csv
import json
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))


def read_csv(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        rows = list(r)
    cols = {h: [row[i] for row in rows] for i, h in enumerate(header)}
    return header, cols


def is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def numeric_column(values):
    vals = [v for v in values if v != ""]
    return bool(vals) and all(is_number(v) for v in vals)


class Preprocess:
    """Numbers: mean imputation + standardisation; other columns: one-hot with NULL as a category."""

    def fit(self, cols, names):
        self.num = [n for n in names if numeric_column(cols[n])]
        self.cat = [n for n in names if n not in self.num]
        self.num_tf = make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()) if self.num else None
        self.cat_tf = OneHotEncoder(handle_unknown="ignore", sparse_output=False) if self.cat else None
        if self.num_tf:
            self.num_tf.fit(self._num(cols))
        if self.cat_tf:
            self.cat_tf.fit(self._cat(cols))
        return self

    def _num(self, cols):
        return np.array([[float(v) if v != "" else np.nan for v in cols[n]] for n in self.num], dtype=float).T

    def _cat(self, cols):
        return np.array([[v if v != "" else "__NULL__" for v in cols[n]] for n in self.cat], dtype=object).T

    def transform(self, cols):
        parts = []
        if self.num_tf:
            parts.append(self.num_tf.transform(self._num(cols)))
        if self.cat_tf:
            parts.append(self.cat_tf.transform(self._cat(cols)))
        return np.hstack(parts)


def r2(y, p):
    y, p = np.asarray(y, float), np.asarray(p, float)
    return 1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum()


def sklearn_score(train, test, task, seed):
    _, tr = train
    _, te = test
    names = [n for n in tr if n not in ("id", "target")]
    pre = Preprocess().fit(tr, names)
    xtr, xte = pre.transform(tr), pre.transform(te)
    start = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if task == "regression":
            m = TransformedTargetRegressor(regressor=MLPRegressor((64, 32), random_state=seed),
                                           transformer=StandardScaler())
            m.fit(xtr, np.array(tr["target"], float))
            score = r2(np.array(te["target"], float), m.predict(xte))
            iters = m.regressor_.n_iter_
        else:
            m = MLPClassifier((64, 32), random_state=seed)
            m.fit(xtr, np.array(tr["target"], dtype=object))
            score = float(np.mean(m.predict(xte) == np.array(te["target"], dtype=object)))
            iters = m.n_iter_
    return score, time.time() - start, iters


def dense_score(dense, data, table, task, seed, flags, work):
    models = os.path.join(work, "models")
    name = f"q_{table}"
    cmd = [dense, "train", "--data", os.path.join(data, f"{table}_train.csv"), "--target", "target",
           "--exclude", "id", "--seed", str(seed), "--name", name, "--models", models, "--quiet",
           "--no-plot"] + flags
    start = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    took = time.time() - start
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(shlex.quote, cmd))}\n{p.stderr.strip()}")
    m = re.search(r"Trained (\d+) epochs", p.stdout)
    epochs = int(m.group(1)) if m else -1
    chosen = next((l for l in p.stdout.splitlines() if l.startswith("Settings")), "")
    out = os.path.join(work, f"{table}_scored.csv")
    cmd = [dense, "score", "--model", name, "--models", models, "--data", os.path.join(data, f"{table}_test.csv"),
           "--out", out, "--proba", ""]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(shlex.quote, cmd))}\n{p.stderr.strip()}")
    _, scored = read_csv(out)
    if task == "regression":
        score = r2([float(v) for v in scored["target"]], [float(v) for v in scored["prediction"]])
    else:
        score = float(np.mean([a == b for a, b in zip(scored["predicted_label"], scored["target"])]))
    return score, took, epochs, chosen


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dense", default=os.environ.get("DENSE", ""), help="the dense binary (default: go build ./cmd/dense)")
    ap.add_argument("--data", default=os.path.join(HERE, "data"), help="gen.py's output folder (generated when missing)")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--only", default="")
    ap.add_argument("--flags", default=os.environ.get("DENSE_FLAGS", ""), help="extra dense train flags (experiments only)")
    ap.add_argument("--no-sklearn", action="store_true", help="dense alone")
    ap.add_argument("--cache", action="store_true",
                    help="reuse scikit-learn's scores from DATA/sklearn_cache.json (written by every run), for tuning dense")
    ap.add_argument("-v", "--verbose", action="store_true", help="print dense's settings line per run")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",") if s]
    flags = shlex.split(a.flags)

    if not os.path.isdir(a.data) or not any(f.endswith(".task") for f in os.listdir(a.data)):
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "--out", a.data], check=True)
    tables = sorted(f[:-5] for f in os.listdir(a.data) if f.endswith(".task"))
    order = ["iris", "wine", "cancer", "diabetes", "digits", "wide", "classes26", "nulls", "mixed", "friedman", "sales"]
    tables.sort(key=lambda t: order.index(t) if t in order else len(order))
    if a.only:
        want = a.only.split(",")
        tables = [t for t in tables if t in want]

    cache_path = os.path.join(a.data, "sklearn_cache.json")
    cache = {}
    if os.path.exists(cache_path):
        cache = json.load(open(cache_path))

    with tempfile.TemporaryDirectory(prefix="dense-quality-") as work:
        dense = a.dense
        if not dense:
            dense = os.path.join(work, "dense")
            subprocess.run(["go", "build", "-o", dense, "./cmd/dense"], cwd=os.path.join(HERE, "..", ".."), check=True)
        print(f"seeds {','.join(map(str, seeds))}; dense flags: --target target --exclude id {' '.join(flags)}".rstrip())
        head = f"{'table':<10} {'rows':>6} {'task':<10} {'metric':<8} {'dense':>7} {'sklearn':>7} {'diff':>7}   {'dense s':>7} {'epochs':>6}   {'sk s':>6} {'iters':>5}"
        print(head)
        print("-" * len(head))
        diffs, dsum, ssum = [], 0.0, 0.0
        for t in tables:
            task = open(os.path.join(a.data, f"{t}.task")).read().strip()
            train = read_csv(os.path.join(a.data, f"{t}_train.csv"))
            test = read_csv(os.path.join(a.data, f"{t}_test.csv"))
            rows = len(train[1]["id"])
            ds, dt, de, ss, st, si = [], [], [], [], [], []
            for seed in seeds:
                s, took, ep, chosen = dense_score(dense, a.data, t, task, seed, flags, work)
                ds.append(s)
                dt.append(took)
                de.append(ep)
                if a.verbose and chosen:
                    print(f"  {t} seed {seed}: {chosen}")
                if not a.no_sklearn:
                    key = f"{t}/{seed}"
                    if a.cache and key in cache:
                        s, took, it = cache[key]
                    else:
                        s, took, it = sklearn_score(train, test, task, seed)
                        cache[key] = [s, took, int(it)]
                        with open(cache_path, "w") as f:
                            json.dump(cache, f)
                    ss.append(s)
                    st.append(took)
                    si.append(it)
            metric = "r2" if task == "regression" else "accuracy"
            d = float(np.mean(ds))
            line = f"{t:<10} {rows:>6} {task:<10} {metric:<8} {d:>7.4f}"
            if ss:
                s = float(np.mean(ss))
                diffs.append(d - s)
                dsum += d
                ssum += s
                line += f" {s:>7.4f} {d - s:>+7.4f}"
            else:
                line += f" {'':>7} {'':>7}"
            line += f"   {np.mean(dt):>7.1f} {np.mean(de):>6.0f}"
            if ss:
                line += f"   {np.mean(st):>6.1f} {np.mean(si):>5.0f}"
            print(line, flush=True)
        if diffs:
            n = len(diffs)
            print("-" * len(head))
            print(f"{'mean':<10} {'':>6} {'':<10} {'':<8} {dsum / n:>7.4f} {ssum / n:>7.4f} {np.mean(diffs):>+7.4f}")
            worse = [t for t, d in zip(tables, diffs) if d < -0.01]
            print(f"within 0.01 of sklearn or better on {n - len(worse)} of {n} tables"
                  + (f"; worse by more on: {', '.join(worse)}" if worse else ""))


if __name__ == "__main__":
    main()
