"""Benchmarks of Bukti: ``make bench`` runs them all and writes one report.

Each ``bench_*.py`` module exposes ``run(quick: bool) -> list[dict]``; every figure is a dict
with ``name``, ``value``, ``unit`` and, where it has one, a same-run ``baseline_name`` /
``baseline_value`` and the ``target`` from the issue that asked for it.
"""
