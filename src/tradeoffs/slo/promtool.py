"""Test Prometheus alerting rules offline with ``promtool test rules``.

``promtool`` (shipped with Prometheus) evaluates a rule file against input series given
in a test file and compares the alerts firing at chosen times with the expected ones, the
way Prometheus itself would evaluate them. :func:`counter_values` turns per-minute
counts into a counter's cumulative values in promtool's compact ``start+stepxN``
notation; :func:`alert_test_yaml` writes a test file; :func:`run_promtool_test` runs it
on rule text and says whether it passed, with promtool's own output.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PromtoolResult",
    "alert_test_yaml",
    "check_rules",
    "counter_values",
    "promtool_available",
    "run_promtool_test",
]


def promtool_available() -> bool:
    return shutil.which("promtool") is not None


def counter_values(per_minute: Sequence[int]) -> str:
    """A counter's values, one a minute from 0, as promtool's expanding notation: the
    counter starts at 0 and grows by ``per_minute[i]`` in minute ``i``."""
    if any(int(c) != c or c < 0 for c in per_minute):
        raise ValueError("per-minute counts must be non-negative integers")
    parts: list[str] = []
    value, i, n = 0, 0, len(per_minute)
    while i < n:
        step, j = int(per_minute[i]), i
        while j < n and per_minute[j] == step:
            j += 1
        run = j - i  # `run` minutes each adding `step`: values value .. value + step*(run-1)
        parts.append(f"{value}+{step}x{run - 1}" if run > 1 else str(value))
        value += step * run
        i = j
    parts.append(str(value))  # the value after the last minute
    return " ".join(parts)


def alert_test_yaml(
    series: Mapping[str, Sequence[int]],
    alertname: str,
    expected: Mapping[int, Sequence[Mapping[str, str]]],
    *,
    rule_file: str = "rules.yml",
) -> str:
    """A promtool test file: counters ``series`` (selector -> per-minute counts) and, per
    evaluation minute, the labels of each alert ``alertname`` expected to fire there (an
    empty list: none)."""
    lines = [
        f"rule_files: [{json.dumps(rule_file)}]",
        "evaluation_interval: 1m",
        "tests:",
        "  - interval: 1m",
        "    input_series:",
    ]
    for selector, counts in series.items():
        lines.append(f"      - series: {json.dumps(selector)}")
        lines.append(f"        values: {json.dumps(counter_values(counts))}")
    lines.append("    alert_rule_test:")
    for minute, alerts in sorted(expected.items()):
        lines.append(f"      - eval_time: {int(minute)}m")
        lines.append(f"        alertname: {json.dumps(alertname)}")
        if not alerts:
            lines.append("        exp_alerts: []")
            continue
        lines.append("        exp_alerts:")
        for labels in alerts:
            lines.append(f"          - exp_labels: {json.dumps(dict(labels))}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class PromtoolResult:
    passed: bool
    output: str


def _promtool(args: list[str], files: Mapping[str, str], timeout_s: float) -> PromtoolResult:
    exe = shutil.which("promtool")
    if exe is None:
        raise RuntimeError(
            "promtool is not installed (it comes with Prometheus: apt-get install prometheus)"
        )
    with tempfile.TemporaryDirectory(prefix="tradeoffs-promtool-") as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        try:
            proc = subprocess.run(
                [exe, *args],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return PromtoolResult(False, f"promtool did not finish within {timeout_s:g} s")
    output = (proc.stdout + proc.stderr).strip()
    return PromtoolResult(proc.returncode == 0, output)


def check_rules(rules_text: str, timeout_s: float = 30.0) -> PromtoolResult:
    """``promtool check rules``: does the text parse as a rule file with valid PromQL?"""
    return _promtool(["check", "rules", "rules.yml"], {"rules.yml": rules_text}, timeout_s)


def run_promtool_test(rules_text: str, test_yaml: str, timeout_s: float = 60.0) -> PromtoolResult:
    """``promtool test rules`` with ``rules_text`` as ``rules.yml`` and ``test_yaml``."""
    return _promtool(
        ["test", "rules", "test.yml"], {"rules.yml": rules_text, "test.yml": test_yaml}, timeout_s
    )
