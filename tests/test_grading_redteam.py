"""Red team: hostile and broken submissions of real exercises, graded in one batch by
`tradeoffs grade`, as a student who has read our source would write them.

Each case gets its expected status and points per test; the honest submissions beside
them keep full marks; the batch ends without a grader error; no file outside the output
folder changes (a sentinel folder every attack aims at stays as it was) and no process an
attack starts runs as anyone but a sandbox user (a watcher polls /proc for the attacks'
marker during the batch). Feedback pages and autograded copies never show hidden tests,
nor anything that can run script in a browser.

Cases that rely on the sandbox skip where bubblewrap cannot run, and fail instead where CI
installed it (TRADEOFFS_REQUIRE_SANDBOX=1).
"""

from __future__ import annotations

import copy
import json
import os
import re
import socket
import threading
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tradeoffs.authoring.build import dumps, reference_submission, student_notebook
from tradeoffs.catalog import Course
from tradeoffs.grading import batch, cgroups
from tradeoffs.grading.sandbox import UID_BASE, UID_COUNT, Limits, can_isolate
from tradeoffs.grading.submissions import find_submissions

ROOT = Path(__file__).resolve().parents[1]
LIMITS = Limits(cell_timeout_s=8, memory_mb=1536, submission_timeout_s=240, disk_mb=128)
SANDBOX = can_isolate()
if os.environ.get("TRADEOFFS_REQUIRE_SANDBOX") == "1" and not SANDBOX:
    raise RuntimeError("TRADEOFFS_REQUIRE_SANDBOX=1 but the bubblewrap sandbox cannot run here")
needs_sandbox = pytest.mark.skipif(
    not SANDBOX, reason="bubblewrap not installed or not root: no sandbox to test"
)
MARKER = "REDTEAM-7f3a91"  # every process an attack starts carries it in its argv

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


def extra_cell(nb: Any, source: str) -> Any:
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


class _ProcessWatcher:
    """Polls /proc for processes whose command line carries MARKER; records their uids."""

    def __init__(self) -> None:
        self.uids: dict[int, int] = {}
        self.stop = False
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        me = os.getpid()
        while not self.stop:
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit() or int(entry.name) == me:
                    continue
                try:
                    cmdline = (entry / "cmdline").read_bytes()
                    if MARKER.encode() not in cmdline:
                        continue
                    uid = int((entry / "status").read_text().split("Uid:")[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                self.uids[int(entry.name)] = uid
            time.sleep(0.02)

    def close(self) -> None:
        self.stop = True
        self.thread.join(timeout=2)


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for path in folder.rglob("*"):
        try:
            info = path.lstat()
        except OSError:
            continue
        out[str(path)] = (info.st_mtime_ns, info.st_size)
    return out


def _escape_attempts(sentinel: Path) -> str:
    """Code that tries to reach outside the sandbox: write into the sentinel folder (which
    the grader's machine has and the sandbox must not), start marked processes in every way
    it can, and leave links and kernel files where a grader might read or run them."""
    target = sentinel / "secret.txt"
    return (
        "import os, subprocess, sys\n"
        "for _p in ('kernel.json', 'connection0.json', '/tmp/kernel.json', "
        "'.tradeoffs-guard.jsonl'):\n"
        "    try:\n"
        '        open(_p, \'w\').write(\'{"argv": ["/bin/sh", "-c", "touch /tmp/owned"]}\')\n'
        "    except OSError:\n"
        "        pass\n"
        f"for _t in ({str(target)!r}, '/etc/passwd', '/tmp/work/../../{sentinel.name}'):\n"
        "    try:\n"
        "        open(_t, 'a').write('owned')\n"
        "    except OSError:\n"
        "        pass\n"
        "for _link, _to in (('shadow', '/etc/shadow'), ('/tmp/out', '/'), ('up', '..')):\n"
        "    try:\n"
        "        os.symlink(_to, _link)\n"
        "    except OSError:\n"
        "        pass\n"
        f"subprocess.Popen(['/bin/sh', '-c', 'sleep 30', {MARKER!r}])\n"
        f"subprocess.Popen(['setsid', '/bin/sh', '-c', 'sleep 30', {MARKER!r}])\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        f"    os.execv('/bin/sh', ['/bin/sh', '-c', 'sleep 30', {MARKER!r}])\n"
    )


def _cases_01(course: Course, subs: Path, listener: _Listener, sentinel: Path) -> dict[str, Any]:
    unit = course.unit("01_metrics")
    solved = reference_submission(course, unit)
    blank = student_notebook(course, unit)
    wrong_nr = (
        "def nearest_rank(samples, q):\n"
        "    return float(__import__('numpy').percentile(samples, q))"
    )
    secret = ROOT / "solutions" / "01_metrics.py"
    loop_nr = "def nearest_rank(samples, q):\n    while True:\n        pass"
    cases = {
        "honest": solved,
        "untouched": blank,
        # ---- time, memory, output, crashes
        "infinite_loop": edit(solved, "nearest_rank", replace=loop_nr),
        "sigint_immune": edit(
            solved,
            "nearest_rank",
            replace="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n" + loop_nr,
        ),
        "loop_at_top_level": edit(solved, "cost", prepend="while True:\n    pass"),
        "memory_bomb": edit(
            solved, "fleet_p99", prepend="_hog = [bytearray(10**8) for _ in range(200)]"
        ),
        "memory_in_children": edit(
            solved,
            "fleet_p99",
            prepend=(
                "import os\n_kids = []\nfor _ in range(4):\n    _pid = os.fork()\n"
                "    if _pid == 0:\n        _b = b'x' * (500 * 2**20)\n"
                "        os._exit(0)\n"
                "    _kids.append(_pid)\nfor _pid in _kids:\n    os.waitpid(_pid, 0)"
            ),
        ),
        "disk_fill": edit(
            solved,
            "precision_recall",
            prepend=(
                "try:\n    with open('/tmp/fill', 'wb') as _f:\n"
                "        for _ in range(4096):\n            _f.write(b'x' * 2**20)\n"
                "except OSError:\n    pass"
            ),
        ),
        "os_exit": edit(solved, "cost", prepend="import os\nos._exit(1)"),
        "dies_mid_test": edit(
            solved,
            "cost",
            replace=(
                "import os\nHOURS_PER_MONTH = 730\n\n"
                "def cost_per_million_usd(cost_usd_per_hour, capacity_rps, utilisation):\n"
                "    os._exit(0)\n\n"
                "def monthly_cost_usd(peak_rps, capacity_rps, target_utilisation, c):\n"
                "    os._exit(0)"
            ),
        ),
        "huge_output": edit(solved, "precision_recall", prepend="print('x' * 20_000_000)"),
        "huge_result": edit(
            solved,
            "nearest_rank",
            replace="def nearest_rank(samples, q):\n    return 'x' * 60_000_000",
        ),
        "display_flood": edit(
            solved,
            "cheapest",
            prepend=(
                "from IPython.display import display\n"
                "for _i in range(400):\n"
                "    display({'text/plain': 'y' * 100_000}, raw=True, display_id='a',"
                " update=_i > 0, metadata={'m': 'z' * 100_000})"
            ),
        ),
        "stderr_spam": edit(
            solved,
            "cheapest",
            prepend="import sys\nfor _ in range(2000):\n    print('noise', file=sys.stderr)",
        ),
        "empty_repr": extra_cell(
            solved, "class _Blank:\n    def __repr__(self):\n        return ''\n_Blank()"
        ),
        "deep_folder": edit(
            solved, "cheapest", prepend="import os\nos.makedirs('/'.join(['d'] * 300))"
        ),
        # ---- fooling the checks
        "always_equal": edit(
            solved,
            "nearest_rank",
            replace=(
                "class Anything(float):\n    def __eq__(self, other):\n        return True\n"
                "    __hash__ = float.__hash__\n\n"
                "def nearest_rank(samples, q):\n    return Anything(0)"
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
                "class _Pass:\n    def __getattr__(self, name):\n"
                "        return lambda *a, **k: None\n\ncheckz = checks\nchecks = _Pass()\n"
                + wrong_nr
            ),
        ),
        "code_swap": edit(
            solved,
            "nearest_rank",
            replace=(
                "for _name in ('assert_close', 'assert_equal', 'plain'):\n"
                "    getattr(checks, _name).__code__ = (lambda *a, **k: None).__code__\n" + wrong_nr
            ),
        ),
        "thread_repatch": edit(
            solved,
            "nearest_rank",
            replace=(
                "import builtins, math, threading, time as _time\n"
                "def _again():\n    while True:\n"
                "        math.isclose = lambda *a, **k: True\n"
                "        builtins.isinstance = lambda *a: True\n"
                "        _time.sleep(0.001)\n"
                "threading.Thread(target=_again, daemon=True).start()\n" + wrong_nr
            ),
        ),
        "frame_peek": edit(
            solved,
            "nearest_rank",
            replace=(
                "import inspect\n\ndef nearest_rank(samples, q):\n"
                "    for frame in inspect.stack():\n"
                "        for name in ('want', '_sorted'):\n"
                "            if name in frame.frame.f_locals:\n"
                "                return frame.frame.f_locals[name]\n"
                "    return 0"
            ),
        ),
        "ipython_hooks": edit(
            solved,
            "nearest_rank",
            replace=(
                "import sys\nip = get_ipython()\n"
                "ip.set_custom_exc((Exception,), lambda *a, **k: None)\n"
                "ip.input_transformers_cleanup.append(\n"
                "    lambda lines: ['pass\\n'] if any('checks.' in l for l in lines) else lines)\n"
                "\ndef nearest_rank(samples, q):\n"
                "    sys.displayhook(3.0)\n"
                "    raise AssertionError('swallowed?')"
            ),
        ),
        "fake_plain_types": edit(
            solved,
            "precision_recall",
            replace=(
                "import numpy as np\nclass Tup(tuple):\n    def __eq__(self, other):\n"
                "        return True\n    __hash__ = tuple.__hash__\n\n"
                "def precision_recall_at(y_true, scores, threshold):\n"
                "    return Tup((0.0, 0.0))"
            ),
        ),
        # ---- tests and hidden tests
        "edited_test": edit(
            edit(solved, "nearest_rank", replace=wrong_nr), "test_nearest_rank", replace="pass"
        ),
        "deleted_test": drop(solved, "test_cost"),
        "leak_hidden": extra_cell(solved, "print('\\n'.join(In))"),
        "print_inputs": edit(
            solved,
            "nearest_rank",
            replace=(
                "import math\n\ndef nearest_rank(samples, q):\n"
                "    print('INPUTS', len(samples), list(samples)[:3], q)\n"
                "    if len(samples) > 100:\n"
                "        return -1\n"
                "    ordered = sorted(samples)\n"
                "    return ordered[max(1, math.ceil(q * len(ordered) / 100)) - 1]"
            ),
        ),
        "wrong_hidden_answer": edit(
            solved,
            "cheapest",
            replace=(
                "import math\n\ndef cheapest_threshold(y_true, scores, cost_fp_usd, "
                "cost_fn_usd):\n"
                "    if len(y_true) < 10:\n"
                "        return {5: (0.4, 1.0), 3: (math.inf, 1.0), 2: (math.inf, 1.0)}"
                "[len(y_true)]\n"
                "    return (0.5, 1.0)"
            ),
        ),
        # ---- what a browser would run
        "script_outputs": extra_cell(
            solved,
            "from IPython.display import display, HTML, Javascript, SVG, Image\n"
            "display(HTML('<script>alert(1)</script><img src=x onerror=alert(2)>'))\n"
            "display(Javascript('alert(3)'))\n"
            'display(SVG(\'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(4)"/>\'))\n'
            "display({'image/png': 'x\" onerror=\"alert(5)', 'text/plain': 'img'}, raw=True)\n"
            "display({'application/vnd.jupyter.widget-view+json': {'model_id': 'x'}}, raw=True)",
        ),
        "script_markdown": edit(
            solved,
            "answer_dashboard",
            replace=(
                "The fleet p99 is about 107 ms. <script>alert(6)</script>"
                "<img src=x onerror=alert(7)> [link](javascript:alert(8))"
            ),
        ),
        # ---- reaching outside
        "escape": edit(solved, "precision_recall", prepend=_escape_attempts(sentinel)),
    }
    cases["script_metadata"] = copy.deepcopy(solved)
    cases["script_metadata"].metadata["widgets"] = {"state": {"x": "<script>alert(9)</script>"}}
    for cell in cases["script_metadata"].cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "answer_dashboard":
            cell["attachments"] = {
                "a.svg": {"image/svg+xml": "PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEwKSIvPg=="}
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
# autograded part must be "passed" with full points. Points None: what the status earns
# (full marks when passed, none otherwise).
EXPECTED_01: dict[str, dict[str, tuple[str, float | None]]] = {
    "honest": {},
    "untouched": {g: ("failed", 0) for g in PARTS_01},
    "infinite_loop": {"test_nearest_rank": ("timeout", 0)},
    "sigint_immune": {"test_nearest_rank": ("timeout", 0)},
    "loop_at_top_level": {"test_cost": ("timeout", 0)},
    "memory_bomb": {"test_fleet_p99": ("oom", 0)},
    # 2 GB in children against a 1.5 GB total: the kernel reclaims the sandbox's own pages
    # before it kills one, which can outlast the 8 s cell limit on a busy machine.
    "memory_in_children": {"test_fleet_p99": ("passed|timeout", None)},
    "disk_fill": {},
    "os_exit": {"test_cost": ("crash", 0)},
    "dies_mid_test": {"test_cost": ("crash", 0)},
    "huge_output": {},
    "huge_result": {"test_nearest_rank": ("limit", 0)},
    "display_flood": {},
    "stderr_spam": {},
    "empty_repr": {},
    "deep_folder": {},
    "always_equal": {"test_nearest_rank": ("failed", 0)},
    "patch_checks": {"test_nearest_rank": ("failed", 0)},
    "shadow_checks": {"test_nearest_rank": ("failed", 0)},
    "code_swap": {"test_nearest_rank": ("failed", 0)},
    "thread_repatch": {"test_nearest_rank": ("failed|timeout|crash", 0)},
    "frame_peek": {"test_nearest_rank": ("failed", 0)},
    "ipython_hooks": {"test_nearest_rank": ("failed", 0)},
    "fake_plain_types": {"test_precision_recall": ("failed", 0)},
    "edited_test": {"test_nearest_rank": ("tampered", 0)},
    "deleted_test": {"test_cost": ("tampered", 2)},
    "leak_hidden": {},
    "print_inputs": {"test_nearest_rank": ("failed", 0)},
    "wrong_hidden_answer": {"test_cheapest": ("failed", 0)},
    "script_outputs": {},
    "script_markdown": {},
    "script_metadata": {},
    "escape": {},
    "read_solutions": {"test_nearest_rank": ("failed", 0)},
    "read_others": {"test_fleet_p99": ("failed", 0)},
    "network": {"test_precision_recall": ("failed", 0)},
    "fork_bomb": {"test_cheapest": ("failed", 0)},
}
SUBMISSION_STATUS = {
    "infinite_loop": "timeout",
    "sigint_immune": "timeout",
    "loop_at_top_level": "timeout",
    "memory_bomb": "oom",
    "memory_in_children": "oom",
    "os_exit": "crash",
    "dies_mid_test": "crash",
    "huge_result": "limit",
    "edited_test": "tampered",
    "deleted_test": "tampered",
}


def _zip_bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("01_metrics.ipynb", b"{" + b" " * (400 * 2**20) + b"}")


@pytest.fixture(scope="module")
def graded_01(course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    listener = _Listener()
    sentinel = tmp_path_factory.mktemp("sentinel")
    (sentinel / "secret.txt").write_text("untouched")
    subs = tmp_path_factory.mktemp("subs01")
    for student, nb in _cases_01(course, subs, listener, sentinel).items():
        (subs / f"{student}.ipynb").write_bytes(dumps(nb))
    (subs / "corrupt.ipynb").write_text('{"cells": [')
    with zipfile.ZipFile(subs / "empty.zip", "w"):
        pass
    with zipfile.ZipFile(subs / "zipped.zip", "w") as archive:
        archive.writestr(
            "work/exercises/01_metrics/01_metrics.ipynb", (subs / "honest.ipynb").read_bytes()
        )
    with zipfile.ZipFile(subs / "many.zip", "w") as archive:
        for i in range(2000):
            archive.writestr(f"f{i}.txt", b"")
    _zip_bomb(subs / "bomb.zip")
    os.symlink("/etc/shadow", subs / "linked.ipynb")
    watched = {p: _snapshot(p) for p in (ROOT / "src", ROOT / "solutions", sentinel, subs)}
    out = tmp_path_factory.mktemp("out01")
    watcher = _ProcessWatcher()
    started = time.perf_counter()
    try:
        outcome = batch.grade(
            batch.assignment_from_unit(course, course.unit("01_metrics")),
            find_submissions(subs, "01_metrics"),
            out,
            limits=LIMITS,
            workers=4,
        )
    finally:
        time.sleep(0.2)
        watcher.close()
        listener.close()
    report = json.loads((out / "report.json").read_text())["students"]
    assert not outcome.errors, {s: report[s]["message"] for s in outcome.errors}
    return {
        "report": report,
        "out": out,
        "sentinel": sentinel,
        "watched": watched,
        "watcher": watcher,
        "listener": listener,
        "seconds": time.perf_counter() - started,
    }


def _cells(report: dict[str, Any], student: str) -> dict[str, tuple[str, float]]:
    return {
        c["grade_id"]: (c["status"], c["points"])
        for c in report[student]["cells"]
        if c["kind"] == "test"
    }


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(EXPECTED_01))
def test_case_gets_its_status_and_nothing_else_suffers(
    graded_01: dict[str, Any], student: str
) -> None:
    report = graded_01["report"]
    if student not in report:
        pytest.skip("this case needs the sandbox")
    got = _cells(report, student)
    want = {g: ("passed", float(p)) for g, p in PARTS_01.items()}
    expected = EXPECTED_01[student]
    want.update({g: (s, float(p or 0)) for g, (s, p) in expected.items()})
    for grade_id, (status, points) in want.items():  # "a|b": either status is right
        if grade_id in got and re.fullmatch(status, got[grade_id][0]):
            earned = PARTS_01[grade_id] if got[grade_id][0] == "passed" else 0
            if expected.get(grade_id, ("", 0.0))[1] is None:
                points = float(earned)
            want[grade_id] = (got[grade_id][0], points)
    assert got == want, f"{student}: {json.dumps(report[student]['cells'], indent=1)}"
    expected_status = SUBMISSION_STATUS.get(student, "graded|timeout|crash")
    if student in ("memory_in_children",) and not cgroups.available():
        expected_status = report[student]["status"]  # needs a control group to be seen
    if student not in SUBMISSION_STATUS and student != "thread_repatch":
        expected_status = "graded"
    assert re.fullmatch(expected_status, report[student]["status"]), report[student]["status"]


@pytest.mark.slow
def test_honest_work_beside_the_attacks_gets_full_marks(graded_01: dict[str, Any]) -> None:
    report, out = graded_01["report"], graded_01["out"]
    for student in ("honest", "zipped"):
        assert report[student]["score"] == sum(PARTS_01.values()), report[student]
        assert report[student]["tampered"] == []
        assert report[student]["status"] == "graded"
    assert (out / "grades.csv").read_text().count("\n") == len(report) + 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("student", "why"),
    [
        ("corrupt", "not a readable notebook"),
        ("empty", "no notebook"),
        ("many", "at most"),
        ("bomb", "larger than|inflates"),
    ],
)
def test_unreadable_submissions_are_reported_and_the_batch_goes_on(
    graded_01: dict[str, Any], student: str, why: str
) -> None:
    report = graded_01["report"]
    assert report[student]["status"] == "unreadable"
    assert report[student]["score"] == 0
    assert {c["status"] for c in report[student]["cells"]} == {"missing"}
    assert re.search(why, report[student]["message"]), report[student]["message"]


def test_a_link_is_not_a_submission(graded_01: dict[str, Any]) -> None:
    assert "linked" not in graded_01["report"]


@pytest.mark.slow
def test_a_loop_that_ignores_interrupts_costs_one_cell_timeout(graded_01: dict[str, Any]) -> None:
    seconds = graded_01["report"]["sigint_immune"]["seconds"]
    assert seconds < 3 * LIMITS.cell_timeout_s + 20, seconds


@pytest.mark.slow
def test_nothing_outside_the_output_folder_changed(graded_01: dict[str, Any]) -> None:
    for folder, before in graded_01["watched"].items():
        assert _snapshot(folder) == before, f"{folder} changed during the batch"
    assert (graded_01["sentinel"] / "secret.txt").read_text() == "untouched"
    assert not Path("/tmp/owned").exists()
    for path in graded_01["out"].rglob("*"):
        assert not path.is_symlink(), f"{path} is a link"


@pytest.mark.slow
@needs_sandbox
def test_every_process_an_attack_started_was_a_sandbox_user(graded_01: dict[str, Any]) -> None:
    uids = graded_01["watcher"].uids
    assert uids, "the watcher saw none of the escape case's processes"
    outside = {pid: uid for pid, uid in uids.items() if not UID_BASE <= uid < UID_BASE + UID_COUNT}
    assert not outside, f"processes ran outside the sandbox users: {outside}"
    still = [p for p in uids if Path(f"/proc/{p}").exists()]
    assert not still, f"processes of an attack outlived its grading: {still}"


@pytest.mark.slow
@needs_sandbox
def test_the_network_case_reached_nothing(graded_01: dict[str, Any]) -> None:
    assert graded_01["listener"].connections == 0


def _hidden_lines(course: Course) -> list[str]:
    """The lines of 01's hidden tests that appear nowhere in the student version."""
    from tradeoffs.authoring.build import source_notebook
    from tradeoffs.grading.assemble import hidden_ranges

    unit = course.unit("01_metrics")
    shown = "\n".join(c.source for c in student_notebook(course, unit).cells)
    lines = []
    for cell in source_notebook(course, unit).cells:
        source_lines = cell.source.splitlines()
        for start, end in hidden_ranges(cell.source):
            for line in source_lines[start : end - 1]:
                if line.strip() and line.strip() not in shown:
                    lines.append(line.strip())
    return lines


@pytest.mark.slow
def test_feedback_never_shows_hidden_tests(graded_01: dict[str, Any], course: Course) -> None:
    out = graded_01["out"]
    pages = {p.parts[-3]: p.read_text() for p in (out / "feedback").rglob("*.html")}
    assert len(pages) >= len(graded_01["report"]) - 6
    hidden = _hidden_lines(course)
    assert any("1205.0" in line for line in hidden)  # an expected value in a hidden check
    for student, text in pages.items():
        for line in hidden:
            if len(line) > 3 and line not in ("else:", "pass", "try:", ")"):
                assert line not in text, f"{student}'s feedback shows hidden test code: {line}"
        assert "BEGIN HIDDEN TESTS" not in text
        assert "1205" not in text, student
    assert "INPUTS 1001" not in pages["print_inputs"]  # a hidden check's inputs
    copy_for_instructor = (
        out / "autograded" / "print_inputs" / "01_metrics" / "01_metrics_exercise.ipynb"
    )
    assert "INPUTS 1001" in copy_for_instructor.read_text()
    assert "a hidden check failed" in pages["wrong_hidden_answer"]
    autograded = (
        out / "autograded" / "honest" / "01_metrics" / "01_metrics_exercise.ipynb"
    ).read_text()
    assert "default_rng(2024)" in autograded, "instructors' copy should keep the hidden tests"


class _ActiveContent(HTMLParser):
    """Collects what a browser would run in a page: script and SVG elements, event-handler
    attributes, javascript: links, images that are not PNG/JPEG data."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "svg", "iframe", "object", "embed", "link", "base", "form"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") or value.startswith("javascript:"):
                self.found.append(f"{tag} {name}={value[:40]}")
            if (
                tag == "img"
                and name == "src"
                and not re.match(r"data:image/(png|jpeg);base64,[a-z0-9+/=]+$", value)
            ):
                self.found.append(f"img src={value[:40]}")


def _active_content(page: str) -> list[str]:
    parser = _ActiveContent()
    parser.feed(page)
    return parser.found


@pytest.mark.slow
def test_nothing_a_browser_could_run_reaches_an_instructor(graded_01: dict[str, Any]) -> None:
    out = graded_01["out"]
    for student in ("script_outputs", "script_markdown", "script_metadata"):
        page = (out / "feedback" / student / "01_metrics" / "01_metrics_exercise.html").read_text()
        assert _active_content(page) == [], (student, _active_content(page))
        assert "Content-Security-Policy" in page
        nb = nbformat.read(
            out / "autograded" / student / "01_metrics" / "01_metrics_exercise.ipynb", 4
        )
        assert "widgets" not in nb.metadata
        for cell in nb.cells:
            assert "attachments" not in cell
            answer = cell.get("metadata", {}).get("nbgrader", {}).get("solution")
            if cell.cell_type == "markdown" and answer:
                assert "<script" not in cell.source and "<img" not in cell.source
                assert "<" not in cell.source or "&lt;" in cell.source, cell.source
            for output in cell.get("outputs", []):
                mimes = set(output.get("data", {}))
                assert mimes <= {"text/plain", "image/png", "image/jpeg"}, mimes
                assert "onerror" not in json.dumps(output.get("data", {}))


@pytest.mark.slow
def test_tampering_is_reported_in_the_structured_report(graded_01: dict[str, Any]) -> None:
    report = graded_01["report"]
    for student in ("edited_test", "deleted_test"):
        assert report[student]["tampered"], f"{student}: no tampering recorded"


def _cheat_02(course: Course) -> dict[str, Any]:
    unit = course.unit("02_profiling")
    solved = reference_submission(course, unit)
    original = (
        "def score_accounts_fast(transactions, merchants, categories):\n"
        "    return score_accounts(transactions, merchants, categories)\n"
    )
    return {
        "honest": solved,
        "patched_clocks": edit(
            solved,
            "score_fast",
            replace=(
                "import time, tracemalloc, subprocess, sys, os\n"
                "time.perf_counter = lambda: 0.0\ntime.process_time = lambda: 0.0\n"
                "tracemalloc.get_traced_memory = lambda: (0, 0)\n"
                "sys.executable = '/bin/true'\nos.environ['PYTHONPATH'] = '/nonexistent'\n"
                "_run = subprocess.run\n"
                "subprocess.run = lambda *a, **k: _run(['/bin/true'])\n" + original
            ),
        ),
        "busy_background": edit(
            solved,
            "score_fast",
            replace=(
                "import threading\n"
                "def _burn():\n    while True:\n        sum(range(10_000))\n"
                "for _ in range(2):\n    threading.Thread(target=_burn, daemon=True).start()\n"
                + original
            ),
        ),
        "work_while_staged": edit(
            solved,
            "score_fast",
            replace=(
                "import gc\n"
                "_me = next(o for o in gc.get_objects() if type(o).__name__ == 'Worker')\n"
                "_serve, _done = _me.channel.handler, {}\n"
                "def _early(op, tree, buffer):\n"
                "    if op == 'stage':\n"
                "        req = _me.decode(tree, buffer)\n"
                "        _done['r'] = score_accounts(*req['args'])\n"
                "    return _serve(op, tree, buffer)\n"
                "_me.channel.handler = _early\n"
                "def score_accounts_fast(transactions, merchants, categories):\n"
                "    return _done.pop('r', None) or score_accounts(transactions, merchants,"
                " categories)\n"
            ),
        ),
    }


@pytest.mark.slow
def test_patched_clocks_and_early_work_do_not_earn_speed_or_memory(
    course: Course, tmp_path: Path
) -> None:
    unit = course.unit("02_profiling")
    subs = tmp_path / "subs"
    subs.mkdir()
    for student, nb in _cheat_02(course).items():
        (subs / f"{student}.ipynb").write_bytes(dumps(nb))
    assignment = batch.assignment_from_unit(course, unit)
    batch.grade(
        assignment, find_submissions(subs, unit.id), tmp_path / "out", limits=LIMITS, workers=2
    )
    report = json.loads((tmp_path / "out" / "report.json").read_text())["students"]
    assert _cells(report, "honest")["test_speed"] == ("passed", 3.0), report["honest"]
    assert _cells(report, "honest")["test_memory"] == ("passed", 2.0), report["honest"]
    for cheat in ("patched_clocks", "busy_background", "work_while_staged"):
        cells = _cells(report, cheat)
        assert cells["test_equivalent"] == ("passed", 3.0), (cheat, report[cheat])
        assert cells["test_speed"][1] == 0.0, (cheat, report[cheat])  # failed or timed out
        assert cells["test_memory"][1] == 0.0, (cheat, report[cheat])


def test_expected_table_covers_every_case(course: Course, tmp_path: Path) -> None:
    listener = _Listener()
    try:
        cases = set(_cases_01(course, tmp_path, listener, tmp_path))
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
