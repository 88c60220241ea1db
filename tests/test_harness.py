"""The harness: test cells run in the grader's process, against proxies of the learner's
objects, with every verdict decided on the grader's side."""

from __future__ import annotations

from typing import Any

import nbformat
import pytest

from tradeoffs.grading.assemble import assemble
from tradeoffs.grading.harness import Harness, RunResult
from tradeoffs.grading.sandbox import Limits

LIMITS = Limits(cell_timeout_s=5, submission_timeout_s=120)


def _nb(*cells: tuple[str, str]) -> nbformat.NotebookNode:
    """Cells as (kind, source): kind is given, answer or test (1 point each)."""
    out = []
    for n, (kind, source) in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source)
        meta: dict[str, Any] = {
            "schema_version": 3,
            "grade_id": f"c{n}",
            "locked": kind != "answer",
        }
        meta.update(
            {"grade": kind == "test", "solution": kind == "answer"}
            | ({"points": 1} if kind == "test" else {})
        )
        cell.metadata["nbgrader"] = meta
        out.append(cell)
    return nbformat.v4.new_notebook(cells=out)


def run(*cells: tuple[str, str], **options: Any) -> RunResult:
    nb = _nb(*cells)
    return Harness(
        assemble(nb, nb, nb), options.pop("limits", LIMITS), sandbox=False, **options
    ).run()


def verdicts(result: RunResult) -> dict[str, tuple[str, float]]:
    return {g: (t.status, t.points) for g, t in result.tests.items()}


def test_learner_names_are_proxies_and_values_come_back_plain() -> None:
    result = run(
        ("answer", "def f(x):\n    return {'twice': [x, x], 'n': len(str(x))}\nK = 3"),
        (
            "test",
            "got = f(21)\nassert type(got) is dict and got == {'twice': [21, 21], 'n': 2}\n"
            "assert K == 3 and type(K) is int",
        ),
        ("test", "assert f(1) != f  # a proxy never equals a value\nassert 'learner' in repr(f)"),
    )
    assert verdicts(result) == {"c1": ("passed", 1.0), "c2": ("passed", 1.0)}


def test_given_names_stay_the_tests_own() -> None:
    result = run(
        ("given", "def expected(x):\n    return x + 1"),
        ("answer", "def expected(x):\n    return 0\ndef f(x):\n    return x + 1"),
        ("test", "assert f(1) == expected(1) == 2"),
    )
    assert verdicts(result) == {"c2": ("passed", 1.0)}


def test_deleting_and_rebinding_a_learner_name_reaches_the_learner() -> None:
    result = run(
        ("answer", "def g(x):\n    return x * 2\ndef h(x):\n    return g(x) + 1"),
        (
            "test",
            "saved = g\ndel g\ntry:\n    h(1)\nexcept NameError:\n    pass\nelse:\n"
            "    raise AssertionError('h does not use g')\nfinally:\n    g = saved",
        ),
        ("test", "assert h(2) == 5"),
    )
    assert verdicts(result) == {"c1": ("passed", 1.0), "c2": ("passed", 1.0)}


def test_builtin_exceptions_cross_as_themselves() -> None:
    result = run(
        (
            "answer",
            "class Oops(Exception):\n    pass\n"
            "def f(x):\n    if x < 0:\n        raise ValueError('negative', x)\n"
            "    raise Oops('mine')",
        ),
        ("test", "try:\n    f(-1)\nexcept ValueError as e:\n    assert e.args == ('negative', -1)"),
        ("test", "try:\n    f(1)\nexcept ValueError:\n    pass"),
    )
    assert verdicts(result)["c1"] == ("passed", 1.0)
    assert result.tests["c2"].status == "failed"
    assert "Oops: mine" in result.tests["c2"].message


def test_learner_code_calls_back_into_the_test_and_mutations_come_back() -> None:
    result = run(
        (
            "answer",
            "class Cache:\n    def __init__(self, load, clock):\n"
            "        self.load, self.clock, self.data, self.hits = load, clock, {}, 0\n"
            "    def get(self, k):\n        if k in self.data and self.clock() < 10:\n"
            "            self.hits += 1\n            return self.data[k]\n"
            "        self.data[k] = self.load(k)\n        return self.data[k]\n"
            "def sort_in_place(xs):\n    xs.sort()",
        ),
        (
            "test",
            "calls = []\ndef load(k):\n    calls.append(k)\n    return k.upper()\n"
            "t = [0]\nc = Cache(load, lambda: t[0])\n"
            "assert [c.get('a'), c.get('a'), c.get('b')] == ['A', 'A', 'B']\n"
            "t[0] = 11\nc.get('a')\nassert calls == ['a', 'b', 'a'] and c.hits == 1\n"
            "xs = [3, 1, 2]\nsort_in_place(xs)\nassert xs == [1, 2, 3]",
        ),
    )
    assert verdicts(result) == {"c1": ("passed", 1.0)}


def test_concurrent_calls_do_not_wait_for_each_other() -> None:
    result = run(
        (
            "answer",
            "import threading\nev = threading.Event()\n"
            "def wait():\n    return ev.wait(3)\ndef release():\n    ev.set()",
        ),
        (
            "test",
            "import threading\nout = []\nt = threading.Thread(target=lambda: out.append(wait()))\n"
            "t.start()\nimport time\ntime.sleep(0.2)\nrelease()\nt.join()\nassert out == [True]",
        ),
    )
    assert verdicts(result) == {"c1": ("passed", 1.0)}


def test_a_hung_call_times_out_and_later_tests_still_run() -> None:
    result = run(
        (
            "answer",
            "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            "def hang():\n    while True:\n        pass\ndef ok():\n    return 1",
        ),
        ("test", "hang()"),
        ("test", "assert ok() == 1"),
        limits=Limits(cell_timeout_s=2, submission_timeout_s=60),
    )
    assert verdicts(result) == {"c1": ("timeout", 0.0), "c2": ("passed", 1.0)}
    assert "within the time limit of 2 s per cell" in result.tests["c1"].message
    assert result.restarts == 1


def test_a_crash_costs_its_test_only() -> None:
    result = run(
        ("answer", "import os\ndef die():\n    os._exit(3)\ndef ok():\n    return 1"),
        ("test", "die()"),
        ("test", "assert ok() == 1"),
    )
    assert verdicts(result) == {"c1": ("crash", 0.0), "c2": ("passed", 1.0)}


def test_a_result_over_the_message_limit_is_a_limit() -> None:
    result = run(
        ("answer", "def big():\n    return 'x' * 5_000_000\ndef ok():\n    return 1"),
        ("test", "big()"),
        ("test", "assert ok() == 1"),
        limits=Limits(cell_timeout_s=5, message_bytes=1_000_000),
    )
    assert verdicts(result) == {"c1": ("limit", 0.0), "c2": ("passed", 1.0)}


def test_partial_credit_is_the_tests_own_number() -> None:
    nb = _nb(("answer", "def f():\n    return 0.25"), ("test", "score = 2 * f()\nscore"))
    nb.cells[1].metadata["nbgrader"]["points"] = 2
    result = Harness(assemble(nb, nb, nb), LIMITS, sandbox=False).run()
    assert verdicts(result) == {"c1": ("failed", 0.5)}


def test_a_hidden_failure_says_only_the_docstring() -> None:
    result = run(
        ("answer", "def f(x):\n    return 1 if x < 10 else 0"),
        (
            "test",
            '"""f is one everywhere"""\nassert f(1) == 1\n### BEGIN HIDDEN TESTS\n'
            "assert f(99) == 1, 'f(99) should be the secret 1'\n### END HIDDEN TESTS",
        ),
        ("test", '"""visible"""\nassert f(50) == 1, "f(50) is not 1"'),
    )
    assert result.tests["c1"].message == "a hidden check failed: f is one everywhere"
    assert "secret" in result.tests["c1"].detail  # the instructor still sees why
    assert result.tests["c2"].message == "AssertionError: f(50) is not 1"


def test_a_visible_helper_called_from_the_hidden_part_fails_hidden() -> None:
    result = run(
        ("answer", "def f(x):\n    return 1 if x < 10 else 0"),
        (
            "test",
            '"""f is one everywhere"""\n'
            "def check(x):\n    assert f(x) == 1, f'f({x}) should be 1'\n"
            "check(1)\n### BEGIN HIDDEN TESTS\ncheck(77)\n### END HIDDEN TESTS",
        ),
    )
    assert result.tests["c1"].message == "a hidden check failed: f is one everywhere"
    assert "77" not in result.tests["c1"].message


def test_what_cannot_cross_falls_back_to_the_kernel_only_when_allowed() -> None:
    cells = (
        ("answer", "def f(box):\n    return box.value"),
        ("test", "import types\nassert f(types.SimpleNamespace(value=3)) == 3"),
    )
    strict = run(*cells)
    assert strict.tests["c1"].status == "failed" and "cannot cross" in strict.tests["c1"].message
    relaxed = run(*cells, in_kernel_fallback=True)
    assert relaxed.tests["c1"].status == "passed"
    assert relaxed.tests["c1"].graded_by == "kernel"


def test_test_code_files_are_the_learners_files() -> None:
    result = run(
        (
            "answer",
            "def read(name):\n    return open(name).read()\n"
            "def write(name):\n    open(name, 'w').write('from the learner')",
        ),
        (
            "test",
            "with open('in.txt', 'w') as fh:\n    fh.write('from the test')\n"
            "assert read('in.txt') == 'from the test'\n"
            "write('out.txt')\n"
            "with open('out.txt') as fh:\n    assert fh.read() == 'from the learner'",
        ),
    )
    assert verdicts(result) == {"c1": ("passed", 1.0)}


def test_the_learners_prints_during_a_test_are_kept_apart() -> None:
    result = run(
        ("answer", "def f():\n    print('hello from f')\n    return 1"),
        ("test", "assert f() == 1\nprint('from the test')"),
    )
    assert any("hello from f" in o.get("text", "") for o in result.call_outputs[1])
    assert any("from the test" in o.get("text", "") for o in result.outputs[1])


@pytest.mark.parametrize("bad", ["raise SystemExit(1)", "1/0", "import sys; sys.exit()"])
def test_errors_in_learner_cells_are_outputs_not_grader_errors(bad: str) -> None:
    result = run(("answer", bad), ("test", "assert True"))
    assert result.cells[0] == "error" and verdicts(result) == {"c1": ("passed", 1.0)}


def test_every_byte_the_learner_sends_counts() -> None:
    result = run(
        ("answer", "def chunk():\n    return 'x' * 400_000"),
        ("test", "for _ in range(20):\n    chunk()"),
        limits=Limits(cell_timeout_s=5, output_bytes=2_000_000),
    )
    assert verdicts(result) == {"c1": ("limit", 0.0)}


def test_the_whole_submission_has_a_deadline() -> None:
    result = run(
        ("answer", "import time\ntime.sleep(1.5)"),
        ("answer", "import time\ntime.sleep(1.5)"),
        ("test", "assert True"),
        limits=Limits(cell_timeout_s=5, submission_timeout_s=2),
    )
    assert result.timed_out
    assert verdicts(result) == {"c2": ("timeout", 0.0)}
    messages = " ".join(result.cell_messages.values())
    assert "s left of the whole submission's time limit of 2 s" in messages
