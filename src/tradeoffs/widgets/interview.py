"""Unit 08's notebook helpers: a question's numbers as a table, a countdown for timed
practice, and the lesson's ROI panel.

`show` and `countdown` also run where no browser is (the grader runs the given cells of a
notebook in its own process): they print plain text there, and `countdown` starts its
clock only in a Jupyter kernel.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from tradeoffs.widgets._panel import slider

LABELS = {
    "daily_transactions": "transactions per day",
    "fraud_rate": "share of transactions that are fraud",
    "avg_fraud_usd": "average fraud amount (USD)",
    "recall_now": "recall of today's model",
    "recall_gain": "recall gain of the new model (points)",
    "cpu_ms_now": "today's model: CPU ms per transaction",
    "utilisation": "serving fleet utilisation",
    "usd_per_vcpu_hour": "USD per vCPU-hour",
    "new_model": "the new model",
    "usd_per_1k_calls_new": "new model: USD per 1,000 calls",
    "segment_traffic_share": "high-value segment: share of transactions",
    "segment_fraud_share": "high-value segment: share of the fraud value",
    "distilled_cost_factor": "distilled model: cost as a share of the new model's",
    "distilled_gain_kept": "distilled model: share of the recall gain kept",
}


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


def table(numbers: dict[str, Any]) -> str:
    width = max(len(LABELS.get(k, k)) for k in numbers)
    return "\n".join(
        f"  {LABELS.get(k, k):<{width}}  {_fmt(v):>14}   ({k})" for k, v in numbers.items()
    )


def show(scenario: dict[str, dict[str, Any]], question: str) -> None:
    """Print one question's numbers (its dict in SCENARIO), with their keys."""
    print(f"{question}: the numbers of your variant (SCENARIO[{question!r}][key])")
    print(table(scenario[question]))


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def countdown(minutes: int | None, *, state: Path | None = None) -> Any:
    """Timed practice: a countdown the candidate sees, started when this cell first runs
    (kept across kernel restarts in a small file beside the notebook). None: untimed."""
    if not minutes:
        print("Untimed practice. For a timed run: tradeoffs interview --seed N --timed 45")
        return None
    path = state or Path(".interview-clock.json")
    now = time.time()
    try:
        deadline = float(json.loads(path.read_text())["deadline"])
    except (OSError, ValueError, KeyError, TypeError):
        deadline = now + 60 * int(minutes)
        with contextlib.suppress(OSError):
            path.write_text(json.dumps({"deadline": deadline, "minutes": int(minutes)}))
    if not _in_kernel():
        print(f"Timed practice: {int(minutes)} minutes ({max(0, deadline - now) / 60:.0f} left)")
        return None
    label = widgets.HTML()
    bar = widgets.FloatProgress(min=0, max=60 * int(minutes), layout=widgets.Layout(width="420px"))

    def paint() -> bool:
        left = deadline - time.time()
        bar.value = max(0.0, 60 * int(minutes) - left)
        if left <= 0:
            label.value = (
                "<b>Time is up.</b> Stop writing, save, and go through the self-review "
                "checklist at the end before you submit."
            )
            bar.bar_style = "danger"
            return False
        label.value = (
            f"<b>{int(left // 60):02d}:{int(left % 60):02d}</b> left of {int(minutes)} minutes"
        )
        bar.bar_style = "warning" if left < 300 else "info"
        return True

    def tick() -> None:
        while paint():
            time.sleep(1.0)

    paint()
    threading.Thread(target=tick, daemon=True).start()
    return widgets.HBox([label, bar])


def roi_example(
    gain: float,
    usd_per_1k: float,
    segment: float = 1.0,
    *,
    daily: int = 1_000_000,
    fraud_rate: float = 0.002,
    avg_fraud_usd: float = 60.0,
) -> dict[str, float]:
    """The lesson's worked example: a model catching `gain` more of the fraud, at
    `usd_per_1k` per 1,000 calls, served to the riskiest `segment` of traffic, which holds
    segment ** 0.4 of the fraud value (risk is concentrated: a fifth of the traffic holds
    about half of it). Yearly USD: value, cost, net, and ROI (net / cost)."""
    yearly = daily * 365
    value = yearly * fraud_rate * avg_fraud_usd * gain * segment**0.4
    cost = yearly * segment / 1000 * usd_per_1k
    return {
        "value_usd": value,
        "cost_usd": cost,
        "net_usd": value - cost,
        "roi": (value - cost) / cost,
    }


def roi_panel() -> widgets.VBox:
    """The lesson's panel: value of a recall gain against what the better model costs."""
    controls = {
        "gain": slider(
            widgets.FloatSlider, "recall gain", 0.05, 0.01, 0.10, step=0.01, readout_format=".0%"
        ),
        "usd_per_1k": slider(widgets.FloatSlider, "USD / 1k calls", 2.5, 0.1, 10.0, step=0.1),
        "segment": slider(
            widgets.FloatSlider, "segment share", 1.0, 0.05, 1.0, step=0.05, readout_format=".0%"
        ),
    }
    out = widgets.HTML()

    def redraw(_: object = None) -> None:
        row = roi_example(
            float(controls["gain"].value),
            float(controls["usd_per_1k"].value),
            float(controls["segment"].value),
        )
        out.value = (
            f"value of the gain <b>${row['value_usd']:,.0f}</b>/year, added cost "
            f"<b>${row['cost_usd']:,.0f}</b>/year, net <b>${row['net_usd']:,.0f}</b>, "
            f"ROI <b>{row['roi']:.2f}x</b>"
        )

    for c in controls.values():
        c.observe(redraw, names="value")
    redraw()
    return widgets.VBox([*controls.values(), out])
