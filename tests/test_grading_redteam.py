"""Red team: a class of hostile and broken submissions of real exercises, graded in one
batch by `tradeoffs grade`. Each case has its expected status and points, the batch
completes, and the honest submission graded beside them keeps its full marks.

Cases that rely on the sandbox (reading the master copy or other submissions, the network,
a fork bomb) skip where bubblewrap cannot run, and fail instead where CI installed it
(TRADEOFFS_REQUIRE_SANDBOX=1).
"""

from __future__ import annotations

import copy
import json
import os
import socket
import threading
import zipfile
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tradeoffs.authoring.build import dumps, reference_submission, student_notebook
from tradeoffs.catalog import Course
from tradeoffs.grading import batch
from tradeoffs.grading.sandbox import Limits, can_isolate
from tradeoffs.grading.submissions import find_submissions

ROOT = Path(__file__).resolve().parents[1]
LIMITS = Limits(cell_timeout_s=8, memory_mb=1536, submission_timeout_s=240)
SANDBOX = can_isolate()
if os.environ.get("TRADEOFFS_REQUIRE_SANDBOX") == "1" and not SANDBOX:
    raise RuntimeError("TRADEOFFS_REQUIRE_SANDBOX=1 but the bubblewrap sandbox cannot run here")
needs_sandbox = pytest.mark.skipif(
    not SANDBOX, reason="bubblewrap not installed or not root: no sandbox to test"
)

PARTS_01 = {
    "test_nearest_rank": 3,
    "test_fleet_p99": 3,
    "test_cost": 2,
    "test_precision_recall": 2,
    "test_cheapest": 3,
}


def edit(nb: Any, grade_id: str, prepend: str = "", replace: str | None = None) -> Any:
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = (prepend + "\n" if prepend else "") + (
                cell.source if replace is None else replace
            )
            return out
    raise KeyError(grade_id)


def drop(nb: Any, grade_id: str) -> Any:
    out = copy.deepcopy(nb)
    out.cells = [c for c in out.cells if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return out


def _with_extra_cell(nb: Any, source: str) -> Any:
    out = copy.deepcopy(nb)
    out.cells.append(nbformat.v4.new_code_cell(source))
    return out


class _Listener:
    """A loopback TCP server that counts connections (the network case must reach none)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.sendall(b"the answers\n")
            conn.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture(scope="module")
def listener() -> Any:
    server = _Listener()
    yield server
    server.close()


def _cases_01(course: Course, subs: Path, listener: _Listener) -> dict[str, Any]:
    unit = course.unit("01_metrics")
    solved = reference_submission(course, unit)
    blank = student_notebook(course, unit)
    wrong_nr = (
        "def nearest_rank(samples, q):\n"
        "    return float(__import__('numpy').percentile(samples, q))"
    )
    secret = ROOT / "solutions" / "01_metrics.py"
    cases = {
        "honest": solved,
        "untouched": blank,
        "infinite_loop": edit(
            solved,
            "nearest_rank",
            replace="def nearest_rank(samples, q):\n    while True:\n        pass",
        ),
        "memory_bomb": edit(
            solved, "fleet_p99", prepend="_hog = [bytearray(10**8) for _ in range(200)]"
        ),
        "os_exit": edit(solved, "cost", prepend="import os\nos._exit(1)"),
        "huge_output": edit(solved, "precision_recall", prepend="print('x' * 20_000_000)"),
        "stderr_spam": edit(
            solved,
            "cheapest",
            prepend="import sys\nfor _ in range(2000):\n    print('noise', file=sys.stderr)",
        ),
        "always_equal": edit(
            solved,
            "nearest_rank",
            replace=(
                "class Anything:\n    def __eq__(self, other):\n        return True\n\n"
                "def nearest_rank(samples, q):\n    return Anything()"
            ),
        ),
        "patch_checks": edit(
            solved,
            "nearest_rank",
            replace="checks.assert_close = lambda *a, **k: None\n" + wrong_nr,
        ),
        "shadow_checks": edit(
            solved,
            "nearest_rank",
            replace=(
                "class _Pass:\n"
                "    def __getattr__(self, name):\n"
                "        return lambda *a, **k: None\n\n"
                "checks = _Pass()\n" + wrong_nr
            ),
        ),
        "edited_test": edit(
            edit(solved, "nearest_rank", replace=wrong_nr), "test_nearest_rank", replace="pass"
        ),
        "deleted_test": drop(solved, "test_cost"),
        "leak_hidden": _with_extra_cell(solved, "print('\\n'.join(In))"),
    }
    if SANDBOX:
        cases["read_solutions"] = edit(
            solved, "nearest_rank", prepend=f"_stolen = open({str(secret)!r}).read()"
        )
        other = str(subs / "honest.ipynb")
        cases["read_others"] = edit(
            solved, "fleet_p99", prepend=f"_theirs = open({other!r}).read()"
        )
        cases["network"] = edit(
            solved,
            "precision_recall",
            prepend=(
                "import socket\n"
                f"_conn = socket.create_connection(('127.0.0.1', {listener.port}), timeout=2)\n"
                "_answer = _conn.recv(64)"
            ),
        )
        cases["fork_bomb"] = edit(
            solved,
            "cheapest",
            prepend=(
                "import os, time\n_kids = []\nwhile True:\n    _pid = os.fork()\n"
                "    if _pid == 0:\n        time.sleep(60)\n        os._exit(0)\n"
                "    _kids.append(_pid)"
            ),
        )
    return cases


# student -> {grade_id: (status, points)} for the parts the attack touches; every other
# autograded part must be "passed" with full points.
EXPECTED_01: dict[str, dict[str, tuple[str, float]]] = {
    "honest": {},
    "untouched": {g: ("failed", 0) for g in PARTS_01},
    "infinite_loop": {"test_nearest_rank": ("timeout", 0)},
    "memory_bomb": {"test_fleet_p99": ("oom", 0)},
    "os_exit": {"test_cost": ("crash", 0)},
    "huge_output": {},
    "stderr_spam": {},
    "always_equal": {"test_nearest_rank": ("failed", 0)},
    "patch_checks": {"test_nearest_rank": ("failed", 0)},
    "shadow_checks": {"test_nearest_rank": ("failed", 0)},
    "edited_test": {"test_nearest_rank": ("tampered", 0)},
    "deleted_test": {"test_cost": ("tampered", 2)},
    "leak_hidden": {},
    "read_solutions": {"test_nearest_rank": ("failed", 0)},
    "read_others": {"test_fleet_p99": ("failed", 0)},
    "network": {"test_precision_recall": ("failed", 0)},
    "fork_bomb": {"test_cheapest": ("failed", 0)},
}


@pytest.fixture(scope="module")
def graded_01(
    course: Course, tmp_path_factory: pytest.TempPathFactory, listener: _Listener
) -> tuple[dict[str, Any], Path]:
    subs = tmp_path_factory.mktemp("subs01")
    for student, nb in _cases_01(course, subs, listener).items():
        (subs / f"{student}.ipynb").write_bytes(dumps(nb))
    (subs / "corrupt.ipynb").write_text('{"cells": [')
    with zipfile.ZipFile(subs / "empty.zip", "w"):
        pass
    with zipfile.ZipFile(subs / "zipped.zip", "w") as archive:
        archive.writestr(
            "work/exercises/01_metrics/01_metrics.ipynb", (subs / "honest.ipynb").read_bytes()
        )
    out = tmp_path_factory.mktemp("out01")
    assignment = batch.assignment_from_unit(course, course.unit("01_metrics"))
    outcome = batch.grade(
        assignment, find_submissions(subs, "01_metrics"), out, limits=LIMITS, workers=4, hide=[subs]
    )
    report = json.loads((out / "report.json").read_text())["students"]
    assert not outcome.errors, {s: report[s]["message"] for s in outcome.errors}
    return report, out


def _cells(report: dict[str, Any], student: str) -> dict[str, tuple[str, float]]:
    return {
        c["grade_id"]: (c["status"], c["points"])
        for c in report[student]["cells"]
        if c["kind"] == "test"
    }


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(EXPECTED_01))
def test_case_gets_its_status_and_nothing_else_suffers(
    graded_01: tuple[dict[str, Any], Path], student: str
) -> None:
    report, _ = graded_01
    if student not in report:
        pytest.skip("this case needs the sandbox")
    got = _cells(report, student)
    want = {g: ("passed", float(p)) for g, p in PARTS_01.items()}
    want.update({g: (s, float(p)) for g, (s, p) in EXPECTED_01[student].items()})
    assert got == want, f"{student}: {json.dumps(report[student]['cells'], indent=1)}"


@pytest.mark.slow
def test_honest_work_beside_the_attacks_gets_full_marks(
    graded_01: tuple[dict[str, Any], Path],
) -> None:
    report, out = graded_01
    for student in ("honest", "zipped"):
        assert report[student]["score"] == sum(PARTS_01.values()), report[student]
        assert report[student]["tampered"] == []
    assert (out / "grades.csv").read_text().count("\n") == len(report) + 1


@pytest.mark.slow
@pytest.mark.parametrize("student", ["corrupt", "empty"])
def test_unreadable_submissions_are_reported_and_the_batch_goes_on(
    graded_01: tuple[dict[str, Any], Path], student: str
) -> None:
    report, _ = graded_01
    assert report[student]["status"] == "unreadable"
    assert report[student]["score"] == 0
    assert {c["status"] for c in report[student]["cells"]} == {"missing"}
    assert report[student]["message"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "student", ["patch_checks", "shadow_checks", "edited_test", "deleted_test"]
)
def test_tampering_is_reported_in_the_structured_report(
    graded_01: tuple[dict[str, Any], Path], student: str
) -> None:
    report, _ = graded_01
    assert report[student]["tampered"], f"{student}: no tampering recorded"


@pytest.mark.slow
@needs_sandbox
def test_the_network_case_reached_nothing(
    graded_01: tuple[dict[str, Any], Path], listener: _Listener
) -> None:
    assert listener.connections == 0


@pytest.mark.slow
def test_feedback_never_shows_hidden_tests(graded_01: tuple[dict[str, Any], Path]) -> None:
    _, out = graded_01
    hidden = "_rng = np.random.default_rng(2024)"  # a line of test_nearest_rank's hidden part
    pages = list((out / "feedback").rglob("*.html"))
    assert len(pages) >= len(EXPECTED_01) - 4
    for page in pages:
        text = page.read_text()
        assert hidden not in text and "BEGIN HIDDEN TESTS" not in text, page
    autograded = (out / "autograded" / "honest" / "01_metrics" / "01_metrics.ipynb").read_text()
    assert "default_rng(2024)" in autograded, "instructors' copy should keep the hidden tests"


@pytest.mark.slow
def test_clock_patching_does_not_earn_the_speed_points(course: Course, tmp_path: Path) -> None:
    unit = course.unit("02_profiling")
    solved = reference_submission(course, unit)
    cheat = edit(
        solved,
        "score_fast",
        replace=(
            "import time\n\n"
            "def score_accounts_fast(transactions, merchants, categories):\n"
            "    time.perf_counter = lambda: 0.0\n"
            "    time.perf_counter_ns = lambda: 0\n"
            "    return score_accounts(transactions, merchants, categories)\n\n"
            "time.perf_counter = lambda: 0.0"
        ),
    )
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "honest.ipynb").write_bytes(dumps(solved))
    (subs / "cheat.ipynb").write_bytes(dumps(cheat))
    assignment = batch.assignment_from_unit(course, unit)
    batch.grade(
        assignment, find_submissions(subs, unit.id), tmp_path / "out", limits=LIMITS, workers=2
    )
    report = json.loads((tmp_path / "out" / "report.json").read_text())["students"]
    honest, cheat_cells = _cells(report, "honest"), _cells(report, "cheat")
    assert honest["test_speed"] == ("passed", 3.0), report["honest"]
    assert cheat_cells["test_speed"] == ("failed", 0.0), report["cheat"]
    assert cheat_cells["test_equivalent"] == ("passed", 3.0)


def test_expected_table_covers_every_case(course: Course, tmp_path: Path) -> None:
    listener = _Listener()
    try:
        cases = set(_cases_01(course, tmp_path, listener))
    finally:
        listener.close()
    assert cases <= set(EXPECTED_01)
    if SANDBOX:
        assert cases == set(EXPECTED_01)


def test_reference_submission_is_the_student_version_with_answers(course: Course) -> None:
    unit = course.unit("01_metrics")
    solved, blank = reference_submission(course, unit), student_notebook(course, unit)
    assert [c.id for c in solved.cells] == [c.id for c in blank.cells]
    assert not any("BEGIN HIDDEN TESTS" in c.source for c in solved.cells)
    answers = [c for c in solved.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert answers and not any("YOUR CODE HERE" in c.source for c in answers)
