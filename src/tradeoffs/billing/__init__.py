"""Cloud billing exports and the analyses cost tools run on them (unit 04).

:mod:`.cur` writes the lab's measured usage as line items in the column layout of AWS's
Cost and Usage Report (CUR), priced from :mod:`tradeoffs.prices`; :mod:`.explorer`
reads such a CSV (yours, exported from your own account, works too) and answers what
Cost Explorer answers: cost by service, by tag and by usage type, a daily trend, cost
per request, and what a commitment discount would change.
"""

from tradeoffs.billing.cur import CUR_COLUMNS, ShopUsage, read_cur, usage_line_items, write_cur
from tradeoffs.billing.explorer import (
    commitment_savings,
    cost_by,
    cost_per_million_requests,
    daily_cost,
    total_cost,
)

__all__ = [
    "CUR_COLUMNS",
    "ShopUsage",
    "commitment_savings",
    "cost_by",
    "cost_per_million_requests",
    "daily_cost",
    "read_cur",
    "total_cost",
    "usage_line_items",
    "write_cur",
]
