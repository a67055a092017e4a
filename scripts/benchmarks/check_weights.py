#!/usr/bin/env python3
"""Checks that what the runtime charges covers what a call costs: for every benchmark of a
`verity-node benchmark pallet --json-file` run, the median measured execution time at each
measured set of component values must not exceed the compute part (`ref_time` before database
reads and writes) of the pallet's `weights.rs` at those values by more than the margin.

    check_weights.py --margin 0.25 RUN.json:pallets/inference/src/weights.rs ...

Prints one line per benchmark (worst ratio of measured to charged) and exits 1 if any is over.
The database part is not compared: the benchmark measures it apart (reads and writes, charged at
ParityDB's per-access weights), not as time. Differences under --floor-us (10 µs) pass: a hook
with nothing to do measures a few microseconds either way.
"""
import argparse
import json
import re
import statistics
import sys

FN = re.compile(r"\tfn (\w+)\(([^)]*)\) -> Weight \{(.*?)\n\t\}", re.S)
BASE = re.compile(r"Weight::from_parts\(([0-9_]+), [0-9_]+\)")
SLOPE = re.compile(r"Weight::from_parts\(([0-9_]+), 0\)\.saturating_mul\((\w+)\.into\(\)\)")


def charged_ref_time(weights_rs):
    """benchmark name -> function of the components giving the charged ref time in ns."""
    text = open(weights_rs).read()
    # The first implementation is `SubstrateWeight<T>`, the one the runtime uses.
    text = text[text.index("impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T>"):]
    text = text[: text.index("\n}\n")]
    charged = {}
    for name, _, body in FN.findall(text):
        code = "\n".join(line for line in body.splitlines() if not line.strip().startswith("//"))
        base = int(BASE.search(code).group(1).replace("_", ""))
        slopes = [(component, int(slope.replace("_", ""))) for slope, component in SLOPE.findall(code)]
        charged[name] = (
            lambda components, base=base, slopes=slopes: (
                base + sum(slope * components.get(component, 0) for component, slope in slopes)
            ) / 1000.0
        )
    return charged


def text(value):
    """A name in the benchmark JSON: a string, or its UTF-8 bytes as a list."""
    return value if isinstance(value, str) else bytes(value).decode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--margin", type=float, default=0.25)
    # A few microseconds of a near-empty hook (nothing to prune) are noise, not cost.
    parser.add_argument("--floor-us", type=float, default=10.0)
    parser.add_argument("runs", nargs="+", help="RUN.json:WEIGHTS.rs")
    args = parser.parse_args()
    over = 0
    for pair in args.runs:
        run, weights_rs = pair.split(":")
        charged = charged_ref_time(weights_rs)
        for entry in json.load(open(run)):
            name = text(entry["benchmark"])
            if name not in charged:
                continue
            by_components = {}
            for result in entry["time_results"]:
                key = tuple((text(c).lower(), v) for c, v in result["components"])
                by_components.setdefault(key, []).append(result["extrinsic_time"])
            worst = None
            for key, times in by_components.items():
                components = dict(key)
                measured = statistics.median(times)
                limit = charged[name](components)
                ratio = measured / limit if limit else float("inf")
                if worst is None or ratio > worst[0]:
                    worst = (ratio, measured, limit, components)
            ratio, measured, limit, components = worst
            within = measured <= limit * (1 + args.margin) or measured - limit <= args.floor_us * 1000
            verdict = "ok" if within else "OVER"
            over += verdict == "OVER"
            shown = ",".join(f"{c}={v}" for c, v in components.items()) or "-"
            print(
                f"{verdict:4} {text(entry['pallet'])}::{name} [{shown}] median {measured / 1000:.1f} us"
                f" vs charged {limit / 1000:.1f} us ({ratio:.2f}x, {len(times)} repeats)"
            )
    sys.exit(1 if over else 0)



if __name__ == "__main__":
    main()
