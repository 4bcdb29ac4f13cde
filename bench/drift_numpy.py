#!/usr/bin/python3
"""Peer of bench/drift.bench.ts: the same drift tests and quality counts with numpy and scipy, on every row.

Run with Debian's python3 (numpy and scipy): /usr/bin/python3 bench/drift_numpy.py MANIFEST [ROUNDS]

MANIFEST is the JSON file the benchmark writes next to the raw column files:
  {"reference_rows": N, "current_rows": M, "features": [
     {"name": ..., "kind": "numeric" | "categorical", "test": "wasserstein" | "jensenshannon" | "ks" | "chisquare",
      "threshold": ..., "reference": FILE, "current": FILE, "categories": [...]  (categorical only)}, ...]}
Numeric files are little-endian float64 with NaN for a missing value; categorical files are int32 codes into
`categories`, -1 for a missing value.

For each feature it computes what Evidently computes on the full data for that test:
  wasserstein    scipy.stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001) on the finite values;
  jensenshannon  counts per value over reference and current, scipy.spatial.distance.jensenshannon(base=2);
  ks             scipy.stats.ks_2samp(ref, cur) on the finite values (drift when p <= threshold);
  chisquare      scipy.stats.chisquare(cur counts, ref counts scaled to the current total) (drift when p < threshold);
plus the quality counts of the current rows: missing values, finite values outside the reference's [min, max]
(numeric), values of categories the reference does not have (categorical).

Only the computation is timed (time.perf_counter), not the loading; the median of ROUNDS runs (default 3) after one untimed warm-up run.
Prints one JSON line: {"seconds": ..., "runs": [...], "features": {name: {...}}, "quality": {name: {...}}}.
"""
import json
import os
import sys
import time

import numpy as np
from scipy import stats
from scipy.spatial import distance


def load(manifest_path):
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    base = os.path.dirname(os.path.abspath(manifest_path))
    columns = []
    for feat in manifest["features"]:
        dtype = np.float64 if feat["kind"] == "numeric" else np.int32
        ref = np.fromfile(os.path.join(base, feat["reference"]), dtype=dtype)
        cur = np.fromfile(os.path.join(base, feat["current"]), dtype=dtype)
        if len(ref) != manifest["reference_rows"] or len(cur) != manifest["current_rows"]:
            raise SystemExit(f"{feat['name']}: unexpected row counts {len(ref)} / {len(cur)}")
        columns.append((feat, ref, cur))
    return columns


def value_counts(ref, cur):
    """Counts per distinct finite value of two numeric arrays, aligned on the union of their values."""
    both = np.concatenate([ref, cur])
    _, inverse = np.unique(both, return_inverse=True)
    width = int(inverse.max()) + 1
    return np.bincount(inverse[: len(ref)], minlength=width), np.bincount(inverse[len(ref):], minlength=width)


def count_test(test, ref_counts, cur_counts, threshold):
    if test == "jensenshannon":
        d = float(distance.jensenshannon(ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum(), base=2))
        return {"statistic": d, "drifted": d >= threshold}
    if test == "chisquare":
        expected = ref_counts * (cur_counts.sum() / ref_counts.sum())
        r = stats.chisquare(cur_counts, expected)
        return {"statistic": float(r.statistic), "p_value": float(r.pvalue), "drifted": float(r.pvalue) < threshold}
    raise SystemExit(f"the {test} test needs a numeric column with many values")


def compute(columns):
    features = {}
    quality = {}
    for feat, ref, cur in columns:
        name, test, threshold = feat["name"], feat["test"], feat["threshold"]
        if feat["kind"] == "numeric":
            rf = ref[np.isfinite(ref)]
            cf = cur[np.isfinite(cur)]
            quality[name] = {
                "missing": int(np.count_nonzero(np.isnan(cur))),
                "out_of_range": int(np.count_nonzero((cf < rf.min()) | (cf > rf.max()))),
            }
            if test == "wasserstein":
                w = float(stats.wasserstein_distance(rf, cf) / max(np.std(rf), 0.001))
                features[name] = {"statistic": w, "drifted": w >= threshold}
            elif test == "ks":
                r = stats.ks_2samp(rf, cf)
                features[name] = {"statistic": float(r.statistic), "p_value": float(r.pvalue), "drifted": float(r.pvalue) <= threshold}
            else:
                rc, cc = value_counts(rf, cf)
                features[name] = count_test(test, rc, cc, threshold)
        else:
            k = len(feat["categories"])
            rc = np.bincount(ref[ref >= 0], minlength=k)
            cc = np.bincount(cur[cur >= 0], minlength=k)
            quality[name] = {
                "missing": int(np.count_nonzero(cur < 0)),
                "unseen": int(cc[rc == 0].sum()),
            }
            present = (rc + cc) > 0  # categories seen on either side, as value_counts would list them
            features[name] = count_test(test, rc[present], cc[present], threshold)
        features[name]["test"] = test
    return features, quality


def main():
    if len(sys.argv) < 2:
        raise SystemExit("usage: drift_numpy.py MANIFEST [ROUNDS]")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    columns = load(sys.argv[1])
    compute(columns)  # warm-up, as on the Steward side
    runs = []
    result = None
    for _ in range(rounds):
        started = time.perf_counter()
        result = compute(columns)
        runs.append(time.perf_counter() - started)
    features, quality = result
    print(json.dumps({"seconds": float(np.median(runs)), "runs": runs, "features": features, "quality": quality}))


if __name__ == "__main__":
    main()
