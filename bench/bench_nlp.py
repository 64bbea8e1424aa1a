"""nlp benchmark: loading time, throughput on one core, and resident memory.

Each figure is measured in a fresh child process pinned to one CPU (numpy's thread pools held
to one thread), as a gunicorn worker would load nlp:

- load, cold: `import nlp` + `Analyzer.load(...)` with an empty jieba cache directory (the
  first start on a new machine: jieba builds and writes its prefix-dictionary cache);
- load, warm: the same with that cache present (every later start);
- throughput: `analyze()` over the corpus messages (train + dev, realistic lengths) in a loop
  after loading, messages per second; then the same with long messages (eight corpus lines
  run together, about 100 characters);
- RSS: resident memory of the process after loading and after the throughput run.

    .venv/bin/python bench/bench_nlp.py [--seconds 5] [--strict]

Targets: >= 2,000 messages/s, load < 2 s, RSS < 250 MB. With --strict, exit 1 if one is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"messages_per_s": 2000.0, "load_s": 2.0, "rss_mb": 250.0}

CHILD = r"""
import json, os, sys, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
started = time.perf_counter()
from nlp import Analyzer, Courtyard
from pathlib import Path
courtyards = [
    Courtyard("lvchang", "铝厂小区", ("铝厂院", "铝厂家属院")),
    Courtyard("tbl191", "桐柏路191号院", ("191号院", "桐柏路191院")),
    Courtyard("qjl50", "前进路50号院", ("前进路50院", "50号院")),
    Courtyard("hzl24", "互助路24号院", ("互助路24院", "24号院")),
]
analyzer = Analyzer.load(courtyards, cache_dir=Path(sys.argv[1]))
loaded = time.perf_counter() - started

def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")

rss_loaded = rss_mb()
seconds = float(sys.argv[2])
messages = []
if seconds > 0:
    for name in ("train.tsv", "dev.tsv"):
        for line in (Path("nlp/corpus") / name).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                messages.append(line.split("\t", 1)[1])

def throughput(texts):
    done, t0 = 0, time.perf_counter()
    while texts and time.perf_counter() - t0 < seconds / 2:
        for text in texts:
            analyzer.analyze(text)
        done += len(texts)
    return done, (done / (time.perf_counter() - t0) if done else None)

done, per_s = throughput(messages)
# Long messages too: eight corpus lines run together, as a resident telling a whole story.
long_messages = [" ".join(messages[i : i + 8]) for i in range(0, len(messages) - 8, 8)]
long_done, long_per_s = throughput(long_messages)
print(json.dumps({
    "load_s": loaded,
    "rss_loaded_mb": rss_loaded,
    "rss_after_mb": rss_mb(),
    "messages": done,
    "messages_per_s": per_s,
    "mean_chars": sum(map(len, messages)) / len(messages) if messages else None,
    "long_messages_per_s": long_per_s,
    "long_mean_chars": sum(map(len, long_messages)) / len(long_messages) if long_messages else None,
}))
"""


def run_child(cache_dir: Path, seconds: float) -> dict:
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONPATH": str(ROOT),
    }
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(cache_dir), str(seconds)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="throughput run length")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-nlp-") as tmp:
        cache = Path(tmp)
        cold = run_child(cache, 0)
        warm = min((run_child(cache, 0) for _ in range(3)), key=lambda r: r["load_s"])
        run = run_child(cache, args.seconds)

    rss = max(run["rss_loaded_mb"], run["rss_after_mb"])
    rows = [
        ("load, cold (no jieba cache)", f"{cold['load_s']:.2f} s", cold["load_s"], "load_s"),
        ("load, warm (best of 3)", f"{warm['load_s']:.2f} s", warm["load_s"], "load_s"),
        (
            "throughput, 1 core",
            f"{run['messages_per_s']:,.0f} msg/s "
            f"({run['messages']:,} messages, mean {run['mean_chars']:.1f} chars)",
            run["messages_per_s"],
            "messages_per_s",
        ),
        (
            "throughput, 1 core, long messages",
            f"{run['long_messages_per_s']:,.0f} msg/s (mean {run['long_mean_chars']:.0f} chars)",
            run["long_messages_per_s"],
            None,
        ),
        ("RSS after load", f"{run['rss_loaded_mb']:.0f} MB", run["rss_loaded_mb"], "rss_mb"),
        ("RSS after throughput run", f"{run['rss_after_mb']:.0f} MB", rss, "rss_mb"),
    ]
    missed = False
    print(
        f"nlp benchmark (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, child pinned "
        "to one)"
    )
    print()
    print("| measure | result | target | |")
    print("| --- | --- | --- | --- |")
    for name, shown, value, key in rows:
        if key is None:  # shown for information: the target is for typical messages
            print(f"| {name} | {shown} | (information) | |")
            continue
        target = TARGETS[key]
        ok = value >= target if key == "messages_per_s" else value < target
        missed |= not ok
        bound = (
            f">= {target:,.0f} msg/s"
            if key == "messages_per_s"
            else (f"< {target:g} s" if key == "load_s" else f"< {target:g} MB")
        )
        print(f"| {name} | {shown} | {bound} | {'ok' if ok else 'MISSED'} |")
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
