"""Run every benchmark and print one table (and write JSON and Markdown) of the figures.

Usage: ``python -m bench [--quick] [--only NAME] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import bench


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = 0.0
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        mem_gib = round(pages / 2**30, 1)
    except (ValueError, OSError):
        pass
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
    }


def fmt(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def ratio(figure: dict[str, Any]) -> str:
    base = figure.get("baseline_value")
    if not base:
        return ""
    return f"{figure['value'] / base:.2f}×"


def table(figures: list[dict[str, Any]]) -> str:
    head = "| benchmark | figure | unit | same-run baseline | baseline | ratio | target |"
    rows = [head, "|---|---|---|---|---|---|---|"]
    for f in figures:
        rows.append(
            f"| {f['name']} | {fmt(f['value'])} | {f['unit']} | {f.get('baseline_name') or ''} "
            f"| {fmt(f.get('baseline_value'))} | {ratio(f)} | {f.get('target') or ''} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller logs, fewer rounds")
    parser.add_argument("--only", action="append", default=[], help="run only bench_NAME")
    parser.add_argument("--out", default="bench-results", help="where to write JSON/Markdown")
    args = parser.parse_args(argv)

    modules = sorted(m.name for m in pkgutil.iter_modules(bench.__path__))
    modules = [m for m in modules if m.startswith("bench_")]
    if args.only:
        modules = [m for m in modules if m.removeprefix("bench_") in args.only]
    figures: list[dict[str, Any]] = []
    failures: list[str] = []
    started = time.time()
    for name in modules:
        print(f"== {name}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            got = module.run(args.quick)
        except Exception:
            failures.append(name)
            traceback.print_exc()
            continue
        for figure in got:
            figure.setdefault("group", name.removeprefix("bench_"))
        figures.extend(got)
        print(f"   {len(got)} figures in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine(),
        "seconds": round(time.time() - started, 1),
        "figures": figures,
        "failed": failures,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    md = table(figures)
    (out / "bench.md").write_text(md + "\n")
    m = report["machine"]
    print(f"\nMachine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}")
    print(md)
    if failures:
        print(f"\nFAILED benchmarks: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
