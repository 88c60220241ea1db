"""The nightly sales report of unit 02: a slow job with a hidden quadratic step.

:mod:`.data` makes a seeded order feed (with replayed duplicates), :mod:`.slow` is the job
as first written (a list-membership dedupe that is quadratic, and an enrichment step that
holds a dict per order), :mod:`.fast` returns the same report with a set and one streaming
pass. The functions live in a module file so that memory_profiler's ``%mprun`` can profile
them line by line.
"""

from tradeoffs.labs.report.data import Order, make_orders
from tradeoffs.labs.report.fast import build_report_fast
from tradeoffs.labs.report.slow import build_report

__all__ = ["Order", "build_report", "build_report_fast", "make_orders"]
