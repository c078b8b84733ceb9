"""The summary ``bench/triage.py`` prints at the end: the machine, and each measure against its target."""

import os
import platform
import sys
from importlib.metadata import version as installed_version
from pathlib import Path

from bench._triage_common import TARGET_MESSAGES_PER_SECOND, TARGET_RETRAIN_SECONDS


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def summary(figures: dict, seconds: float, load: tuple[float, float, float]) -> None:
    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    target = f"≥ {TARGET_MESSAGES_PER_SECOND:,} msg/s"
    latency, rounds = figures["latency"], figures["rounds"]
    none, retrained = latency["no model"], latency["retrained model"]
    change = retrained["median"] - none["median"]
    command = " ".join([".venv/bin/python bench/triage.py", *sys.argv[1:]])
    print("## Summary")
    print()
    print(
        f"{os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()},"
        f" scikit-learn {installed_version('scikit-learn')}, numpy {installed_version('numpy')},"
        f" SQLite; load average {load[0]:.1f} before the run, {os.getloadavg()[0]:.1f} after"
        f" (other processes share the cores); whole run {seconds / 60:.1f} min"
    )
    print()
    print("| measure | result | target |")
    print("|---|---|---|")
    print(
        f"| prediction, one core, `predict()` in batches of {figures['batch_size']}"
        f" | {figures['batch_best']:,.0f} msg/s (median {figures['batch_median']:,.0f})"
        f" | {target}: {verdict(figures['batch_best'] >= TARGET_MESSAGES_PER_SECOND)} |"
    )
    print(
        f"| prediction, one core, `predict_one()` per message as routing calls it"
        f" | {figures['one_best']:,.0f} msg/s (median {figures['one_median']:,.0f};"
        f" {figures['bare_best']:,.0f} without the explanation; {figures['cold_best']:,.0f} in a fresh"
        " process, every word new)"
        f" | {target}: {verdict(figures['one_best'] >= TARGET_MESSAGES_PER_SECOND)} |"
    )
    print(
        f"| retraining, `triage_train()` on {figures['case_examples']:,} cases, {figures['cores']} cores"
        f" | {figures['retrain_seconds']:.0f} s ({figures['read_seconds']:.0f} s reading the cases,"
        f" {figures['features_seconds']:.0f} s features, {figures['fitting_seconds']:.0f} s fitting);"
        " peak RSS"
        f" {figures['peak_rss_mb']:,.0f} MB; model {figures['blob_mb']:.1f} MB"
        f" | ≤ {TARGET_RETRAIN_SECONDS} s on 100,000 cases"
        + (
            f": {verdict(figures['retrain_seconds'] <= TARGET_RETRAIN_SECONDS)} |"
            if figures["case_examples"] >= 100_000
            else " (not measured by this run) |"
        )
    )
    print(
        f"| routing latency, `case_route()` median / p95 ({figures['latency_cases']} cases each)"
        f" | {none['median']:.1f} / {none['p95']:.1f} ms with no model;"
        f" {retrained['median']:.1f} / {retrained['p95']:.1f} ms with the retrained model"
        f" ({change:+.1f} ms median; slower in {retrained['slower_rounds']} of {rounds} interleaved rounds,"
        f" sign test p = {retrained['p']:.2g})"
        f" | unchanged within noise: {verdict(retrained['p'] >= 0.05)} |"
    )
    print()
    print(f"Rerun: `{command}`")
