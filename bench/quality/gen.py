#!/usr/bin/python3
"""Writes dense's held-out quality suite: varied tables as CSV train/test splits.

Every table has an integer `id` column (to be excluded), feature columns and a
`target` column. Classification targets are strings (dense's --task auto reads
a text column as labels; an integer column would be regression), regression
targets floats. The tables come from scikit-learn's bundled datasets (they ship
with the package: no network) and from seeded generators, so the suite is the
same on every machine:

  iris          150 rows,   4 numbers, 3 classes (tiny)
  wine          178 rows,  13 numbers, 3 classes (tiny)
  cancer        569 rows,  30 numbers, binary
  diabetes      442 rows,  10 numbers, regression (small)
  digits       1797 rows,  64 pixels, 10 classes
  wide         1000 rows, 300 numbers, binary (few informative)
  classes26   12000 rows,  24 numbers, 26 classes (many classes)
  nulls        4000 rows,  mixed, 30% NULLs in numbers and strings, binary
  mixed        6000 rows,  numbers, strings, booleans, 4 classes
  friedman     3000 rows,  10 numbers, regression (non-linear)
  sales       20000 rows,  numbers and strings with NULLs, regression (larger)

Usage: gen.py [--out DIR] [--only a,b]   (default DIR: bench/quality/data)
"""

import argparse
import os

import numpy as np
from sklearn import datasets
from sklearn.model_selection import train_test_split

SPLIT_SEED = 20261130
TEST_SIZE = 0.25


def write_csv(path, names, cols):
    n = len(cols[0])

    def cell(v):
        if v is None:
            return ""
        if isinstance(v, (float, np.floating)):
            if np.isnan(v):
                return ""
            return repr(float(v))
        if isinstance(v, (bool, np.bool_)):
            return "true" if v else "false"
        s = str(v)
        if "," in s or '"' in s:
            s = '"' + s.replace('"', '""') + '"'
        return s

    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for i in range(n):
            f.write(",".join(cell(c[i]) for c in cols) + "\n")


def save(out, name, task, features, target, stratify=True):
    """features: dict name -> 1-D array (object arrays may hold None/strings)."""
    n = len(target)
    idx = np.arange(n)
    strat = target if (task != "regression" and stratify) else None
    tr, te = train_test_split(idx, test_size=TEST_SIZE, random_state=SPLIT_SEED, stratify=strat)
    for part, rows in (("train", np.sort(tr)), ("test", np.sort(te))):
        names = ["id"] + list(features) + ["target"]
        cols = [rows + 1] + [np.asarray(features[k], dtype=object)[rows] for k in features]
        cols.append(np.asarray(target, dtype=object)[rows])
        write_csv(os.path.join(out, f"{name}_{part}.csv"), names, cols)
    with open(os.path.join(out, f"{name}.task"), "w") as f:
        f.write(task + "\n")


def labelled(y, names):
    return np.array([names[int(v)] for v in y], dtype=object)


def sk_table(out, name, loader, task):
    d = loader()
    feats = {}
    for j, fname in enumerate(d.feature_names):
        col = "".join(ch if ch.isalnum() else "_" for ch in str(fname)).strip("_").lower()
        if col in feats or col in ("id", "target"):
            col = f"f{j}"
        feats[col] = d.data[:, j].astype(float)
    if task == "regression":
        y = d.target.astype(float)
    else:
        names = [str(t).replace(" ", "_") for t in d.target_names] if hasattr(d, "target_names") else None
        if names is None or len(names) != len(np.unique(d.target)):
            names = [f"class_{k}" for k in range(int(d.target.max()) + 1)]
        if all(n.lstrip("-").isdigit() for n in names):  # digits' 0…9 would read as an integer (regression) target
            names = [f"class_{n}" for n in names]
        y = labelled(d.target, names)
    save(out, name, task, feats, y)


def numeric_feats(X, prefix="x"):
    return {f"{prefix}{j}": X[:, j] for j in range(X.shape[1])}


def gen_wide(out):
    X, y = datasets.make_classification(n_samples=1000, n_features=300, n_informative=20, n_redundant=20,
                                        n_classes=2, flip_y=0.03, class_sep=1.0, random_state=11)
    save(out, "wide", "binary", numeric_feats(X), labelled(y, ["no", "yes"]))


def gen_classes26(out):
    X, y = datasets.make_classification(n_samples=12000, n_features=24, n_informative=16, n_redundant=4,
                                        n_classes=26, n_clusters_per_class=1, class_sep=1.5, flip_y=0.02,
                                        random_state=12)
    letters = [chr(ord("A") + k) for k in range(26)]
    save(out, "classes26", "multiclass", numeric_feats(X), labelled(y, letters))


def gen_nulls(out):
    rng = np.random.default_rng(13)
    n = 4000
    X = rng.normal(size=(n, 6))
    city = rng.choice(["north", "south", "east", "west", "centre"], size=n, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    plan = rng.choice(["basic", "plus", "pro"], size=n)
    city_eff = {"north": 0.8, "south": -0.5, "east": 0.0, "west": 0.4, "centre": -0.9}
    plan_eff = {"basic": -0.6, "plus": 0.1, "pro": 0.7}
    z = (1.2 * X[:, 0] - 0.9 * X[:, 1] + 0.7 * X[:, 2] * X[:, 3] + 0.5 * np.abs(X[:, 4])
         + np.array([city_eff[c] for c in city]) + np.array([plan_eff[p] for p in plan]))
    y = (z + rng.normal(scale=0.8, size=n)) > 0.3
    feats = {}
    for j in range(6):
        col = X[:, j].copy()
        col[rng.random(n) < 0.3] = np.nan
        feats[f"m{j}"] = col
    city = city.astype(object)
    city[rng.random(n) < 0.3] = None
    plan = plan.astype(object)
    plan[rng.random(n) < 0.2] = None
    feats["city"], feats["plan"] = city, plan
    save(out, "nulls", "binary", feats, labelled(y.astype(int), ["stay", "leave"]))


def gen_mixed(out):
    rng = np.random.default_rng(14)
    n = 6000
    age = rng.integers(18, 80, size=n).astype(float)
    income = np.exp(rng.normal(10.5, 0.6, size=n))
    visits = rng.poisson(4, size=n).astype(float)
    channel = rng.choice(["web", "store", "phone", "partner"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    country = rng.choice([f"c{k:02d}" for k in range(15)], size=n)
    member = rng.random(n) < 0.35
    ch = {"web": 0, "store": 1, "phone": 2, "partner": 3}
    score = np.stack([
        0.04 * (age - 45) + 0.6 * member,
        0.8 * np.log(income / 36000) - 0.2 * visits,
        0.3 * visits - 0.03 * (age - 45),
        np.array([0.5 if ch[c] == 3 else -0.2 for c in channel]) + 0.1 * np.array([int(c[1:]) % 4 for c in country]),
    ], axis=1)
    score += np.eye(4)[[ch[c] for c in channel]] * 0.7
    score += rng.gumbel(size=score.shape) * 0.6
    y = score.argmax(axis=1)
    feats = {"age": age, "income": np.round(income, 2), "visits": visits, "channel": channel.astype(object),
             "country": country.astype(object), "member": member}
    save(out, "mixed", "multiclass", feats, labelled(y, ["bronze", "silver", "gold", "platinum"]))


def gen_friedman(out):
    X, y = datasets.make_friedman1(n_samples=3000, n_features=10, noise=1.0, random_state=15)
    save(out, "friedman", "regression", numeric_feats(X), y)


def gen_sales(out):
    rng = np.random.default_rng(16)
    n = 20000
    store = rng.choice([f"s{k:02d}" for k in range(40)], size=n)
    category = rng.choice(["food", "toys", "garden", "tools", "books", "sport"], size=n)
    price = np.exp(rng.normal(3, 0.7, size=n))
    discount = rng.choice([0.0, 0.1, 0.2, 0.3], size=n, p=[0.55, 0.2, 0.15, 0.1])
    temp = rng.normal(15, 8, size=n)
    promo = rng.random(n) < 0.2
    store_eff = {f"s{k:02d}": rng.normal(0, 0.4) for k in range(40)}
    cat_eff = {"food": 0.9, "toys": 0.2, "garden": -0.1, "tools": -0.3, "books": 0.0, "sport": 0.3}
    logq = (2.0 + np.array([store_eff[s] for s in store]) + np.array([cat_eff[c] for c in category])
            - 0.5 * np.log(price) + 1.5 * discount + 0.4 * promo
            + np.where(category == "garden", 0.04 * temp, 0.0) + rng.normal(0, 0.25, size=n))
    y = np.round(np.exp(logq) * price * (1 - discount), 2)
    temp_col = temp.copy()
    temp_col[rng.random(n) < 0.1] = np.nan
    cat_col = category.astype(object)
    cat_col[rng.random(n) < 0.05] = None
    feats = {"store": store.astype(object), "category": cat_col, "price": np.round(price, 2),
             "discount": discount, "temperature": np.round(temp_col, 1), "promo": promo}
    save(out, "sales", "regression", feats, np.log1p(y))


TABLES = {
    "iris": lambda o: sk_table(o, "iris", datasets.load_iris, "multiclass"),
    "wine": lambda o: sk_table(o, "wine", datasets.load_wine, "multiclass"),
    "cancer": lambda o: sk_table(o, "cancer", datasets.load_breast_cancer, "binary"),
    "diabetes": lambda o: sk_table(o, "diabetes", datasets.load_diabetes, "regression"),
    "digits": lambda o: sk_table(o, "digits", datasets.load_digits, "multiclass"),
    "wide": gen_wide,
    "classes26": gen_classes26,
    "nulls": gen_nulls,
    "mixed": gen_mixed,
    "friedman": gen_friedman,
    "sales": gen_sales,
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(here, "data"))
    ap.add_argument("--only", default="", help="comma-separated table names (default: all)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    names = [s for s in a.only.split(",") if s] or list(TABLES)
    for name in names:
        if name not in TABLES:
            raise SystemExit(f"unknown table {name!r}; tables: {', '.join(TABLES)}")
        TABLES[name](a.out)
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
