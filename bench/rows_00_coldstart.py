"""Cold start: the import time of app.py in a fresh interpreter (the part of a Lambda cold start the code controls),
next to `import boto3` measured the same way in the same run.  Goal: app <= 1.5 x boto3.

Each sample is a new `python -c` process with the local stage's environment; the child times its own import with
perf_counter and reports its peak RSS (getrusage RUSAGE_SELF, i.e. what RUSAGE_CHILDREN reports to the parent for
that one child).  The two imports alternate so that machine load affects both alike; one warm-up run of each
(bytecode caches) is not counted.  Run alone with `python -m bench coldstart`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

from bench.common import ROOT, Row, stage_env

RUNS = 7
GOAL_RATIO = 1.5
PROBE = ("import time, resource; t = time.perf_counter(); import {module}; d = time.perf_counter() - t; "
         "print(d, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(stage_env("local"))
    env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "PYTHONPATH": str(ROOT)})
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def probe(module: str, env: dict[str, str]) -> tuple[float, float]:
    """(import time in ms, peak RSS in MiB) of `import module` in a fresh interpreter."""
    result = subprocess.run([sys.executable, "-c", PROBE.format(module=module)], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True)
    seconds, max_rss_kib = result.stdout.split()[-2:]
    return float(seconds) * 1000, int(max_rss_kib) / 1024


def measure(modules: tuple[str, ...], runs: int = RUNS) -> dict[str, tuple[list[float], float]]:
    env = environment()
    for module in modules:
        probe(module, env)  # warm-up: bytecode caches
    samples: dict[str, list[float]] = {module: [] for module in modules}
    peaks: dict[str, float] = dict.fromkeys(modules, 0.0)
    for _ in range(runs):
        for module in modules:
            elapsed, peak = probe(module, env)
            samples[module].append(elapsed)
            peaks[module] = max(peaks[module], peak)
    return {module: (samples[module], peaks[module]) for module in modules}


def rows() -> list[Row]:
    results = measure(("app", "boto3"))
    app_samples, app_peak = results["app"]
    boto_samples, boto_peak = results["boto3"]
    app_median, boto_median = statistics.median(app_samples), statistics.median(boto_samples)
    ratio = app_median / boto_median
    verdict = "meets" if ratio <= GOAL_RATIO else "MISSES"
    return [
        Row("cold start: import app", len(app_samples), app_median, max(app_samples), app_peak,
            f"fresh interpreter, local stage env; {ratio:.2f}x import boto3 ({verdict} goal <= {GOAL_RATIO}x)"),
        Row("cold start: import boto3 (baseline)", len(boto_samples), boto_median, max(boto_samples), boto_peak,
            "same method, same run"),
    ]


if __name__ == "__main__":
    from bench.__main__ import table

    print(table(rows()))
