"""Benchmarks: `make bench` (= `python -m bench`) prints one table (time and peak memory).

Every module `bench/rows_*.py` contributes rows through its `rows()` function (list of `bench.common.Row`); modules
run in sorted order.  `python -m bench coldstart consent` runs only the modules whose names contain those words.
"""
