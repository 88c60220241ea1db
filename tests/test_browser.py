"""The course in a real browser, as a new learner meets it.

One JupyterLab server (the learner's settings, exactly what `make lab` starts) on a
loopback port, from a fresh workspace, driven by headless Chromium through Playwright:

1. the course opens at the workspace's start page, without nbgrader's instructor tools
   (Create Assignment, Formgrader) or JupyterLab's news popup;
2. unit 00's lesson runs top to bottom (its kernel starts without a Select Kernel dialog,
   even on a slow machine), its trade-off widget renders, and moving the
   slider changes its numbers and its plot;
3. an exercise shows nbgrader's Validate button; pressing it shows the result dialog with
   the check's summary line and no traceback;
4. File > New > Terminal opens in the workspace with `tradeoffs` on PATH.

Screenshots of each step are saved under $TRADEOFFS_ARTIFACTS (default:
.pytest_artifacts/browser/ in the checkout). Playwright drives Debian's Chromium
(/usr/bin/chromium, or $TRADEOFFS_CHROMIUM): its own browser download cannot work
everywhere. Without Chromium the test skips with a message; with
TRADEOFFS_REQUIRE_BROWSER=1 (set by .ci/services.sh) it fails instead.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tradeoffs.catalog import Course
from tradeoffs.learner import lab, workspace
from tradeoffs.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("TRADEOFFS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
REQUIRED = os.environ.get("TRADEOFFS_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(os.environ.get("TRADEOFFS_ARTIFACTS") or ROOT / ".pytest_artifacts" / "browser")


def _why_not() -> str | None:
    if not Path(CHROMIUM).is_file():
        return (
            f"no Chromium at {CHROMIUM}: install Debian's `chromium` (apt-get install chromium) "
            "or set TRADEOFFS_CHROMIUM to a Chromium executable"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (it is a dependency: `make install`)"
    return None


_MISSING = _why_not()
if _MISSING and REQUIRED:
    raise RuntimeError(f"TRADEOFFS_REQUIRE_BROWSER=1 but the browser test cannot run: {_MISSING}")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(_MISSING is not None, reason=f"browser test skipped: {_MISSING}"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, course: Course) -> Iterator[dict[str, Any]]:
    """The learner's JupyterLab on a fresh workspace, on a free loopback port."""
    home = tmp_path_factory.mktemp("home")
    ws, _, _ = workspace.create(course, tmp_path_factory.mktemp("fresh") / "work")
    port, token = free_port(), secrets.token_hex(16)
    argv, env, cwd = lab.command(ws, port=port, browser=False, token=token)
    # A fresh user: no settings or workspaces of the machine's own JupyterLab.
    env.update(
        {
            "HOME": str(home),
            "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
            "JUPYTERLAB_SETTINGS_DIR": str(home / ".jupyter" / "lab" / "user-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / ".jupyter" / "lab" / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(home / ".runtime"),
            "IPYTHONDIR": str(home / ".ipython"),
        }
    )
    log = (tmp_path_factory.mktemp("log") / "jupyter.log").open("w")
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise RuntimeError(
                        "JupyterLab did not start:\n" + Path(log.name).read_text()[-3000:]
                    ) from None
                time.sleep(0.3)
        yield {"base": base, "token": token, "ws": ws, "log": Path(log.name)}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def page(server: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(f"{server['base']}/?token={server['token']}")  # the default URL
        pg.wait_for_selector("#jp-main-dock-panel", state="visible")
        yield pg
        context.close()
        browser.close()


def shot(pg: Any, name: str) -> None:
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def open_path(pg: Any, server: dict[str, Any], relpath: str) -> None:
    pg.goto(f"{server['base']}/lab/tree/{relpath}?token={server['token']}")
    pg.wait_for_selector("#jp-main-dock-panel", state="visible")


def menu(pg: Any, *path: str) -> None:
    """Click through the menu bar, as a learner does: menu(pg, "File", "New", "Terminal")."""
    dialog = pg.locator(".jp-Dialog:visible")
    for _ in range(25):  # a dialog the learner did not ask for is a finding, not a wait
        if not dialog.count():
            break
        time.sleep(0.2)
    else:
        shot(pg, "dialog_in_the_way")
        raise AssertionError(f"a dialog is in the learner's way: {dialog.first.inner_text()!r}")
    pg.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{path[0]}$")).first.click()
    for label in path[1:]:
        item = pg.locator(
            ".lm-Menu:visible .lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(label)}$")
        ).first
        item.wait_for(state="visible")
        if label == path[-1]:
            item.click()
        else:
            item.hover()


def test_start_page_and_no_instructor_tools(page: Any, server: dict[str, Any]) -> None:
    pg = page
    rendered = pg.locator(".jp-RenderedMarkdown", has_text="This folder is your workspace")
    try:
        rendered.first.wait_for(state="visible", timeout=30_000)
    finally:
        shot(pg, "1_start_page")
    time.sleep(1.0)  # let any popup that would appear do so
    shot(pg, "1_start_page")
    body = pg.locator("body").inner_text()
    assert "Create Assignment" not in body, "the instructor's sidebar is on show"
    assert pg.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").count() == 0
    assert "official Jupyter news" not in body, "JupyterLab's news popup greets the learner"


def test_lesson_runs_and_the_widget_responds(page: Any, server: dict[str, Any]) -> None:
    pg = page
    open_path(pg, server, "course/00_start.ipynb")
    pg.locator(".jp-Notebook").first.wait_for(state="visible")
    pg.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    readout = pg.locator(".widget-html-content", has_text=re.compile(r"rows\): p99 =")).first
    started = pg.locator(".jp-InputPrompt", has_text="[*]")
    for attempt in range(2):  # a click that lands while the kernel starts can be lost
        menu(pg, "Run", "Run All Cells")
        try:
            started.first.wait_for(state="attached", timeout=15_000)
            break
        except Exception:
            if attempt:
                shot(pg, "2_lesson_not_running")
                raise
    readout.wait_for(state="visible", timeout=120_000)
    image = pg.locator(".jupyter-widgets img").first
    image.wait_for(state="visible")
    readout.scroll_into_view_if_needed()
    before_text, before_img = readout.inner_text(), image.get_attribute("src")
    shot(pg, "2_lesson_widget")
    handle = pg.locator(".noUi-handle").first
    box = handle.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    pg.mouse.move(x, y)
    pg.mouse.down()
    pg.mouse.move(x + 25, y, steps=5)
    pg.mouse.move(x + 50, y, steps=5)
    pg.mouse.up()
    pg.wait_for_function(
        "([el, t]) => el.innerText !== t", arg=[readout.element_handle(), before_text]
    )
    assert readout.inner_text() != before_text
    for _ in range(50):
        if image.get_attribute("src") != before_img:
            break
        time.sleep(0.2)
    assert image.get_attribute("src") != before_img, "the plot did not redraw"
    shot(pg, "3_lesson_slider_moved")
    stderr = pg.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert stderr.count() == 0, "the lesson wrote to stderr"
    errors = pg.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
    assert errors.count() == 0, "a cell of the lesson failed"


def test_validate_shows_the_summary(page: Any, server: dict[str, Any]) -> None:
    pg = page
    open_path(pg, server, "exercises/01_metrics/01_metrics_exercise.ipynb")
    tab = pg.locator(".lm-TabBar-tabLabel", has_text="01_metrics_exercise.ipynb")
    tab.first.wait_for(state="visible")
    button = pg.locator("jp-button.validate-button:visible").first
    button.wait_for(state="visible")
    button.click()
    dialog = pg.locator(".jp-Dialog-content", has_text="Validation Results")
    dialog.wait_for(state="visible", timeout=120_000)
    text = dialog.inner_text()
    shot(pg, "4_validate_dialog")
    assert re.search(r"0 of 5 tested parts pass", text), text[:500]
    assert "Next: make test_nearest_rank pass" in text
    assert "still the unsolved stub" in text
    assert "Traceback" not in text and "site-packages" not in text
    pg.locator(".jp-Dialog-button", has_text="Ok").first.click()


def test_terminal_opens_in_the_workspace_with_the_command(
    page: Any, server: dict[str, Any]
) -> None:
    pg = page
    ws: workspace.Workspace = server["ws"]
    out = ws.root / ".tradeoffs" / "terminal-check.txt"
    menu(pg, "File", "New", "Terminal")
    term = pg.locator(".jp-Terminal").first
    term.wait_for(state="visible")
    pg.locator(".xterm-helper-textarea").first.wait_for(state="attached")
    time.sleep(1.5)  # the shell's prompt
    pg.locator(".jp-Terminal").first.click()
    pg.keyboard.type(f"tradeoffs list | head -3; (pwd; command -v tradeoffs) > {out}\n", delay=5)
    for _ in range(100):
        if out.is_file() and len(out.read_text().splitlines()) >= 2:
            break
        time.sleep(0.2)
    time.sleep(1.0)
    shot(pg, "5_terminal")
    lines = out.read_text().splitlines()
    assert Path(lines[0]).resolve() == ws.root.resolve(), f"the terminal opened in {lines[0]}"
    assert lines[1].endswith("/tradeoffs"), f"tradeoffs is not on the terminal's PATH: {lines}"
