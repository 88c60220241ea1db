"""JupyterLab set up for a learner (`make lab`, `tradeoffs jupyter`, the browser test).

The server runs in the workspace, with the learner's settings (`learner/jupyter/`) ahead
of the course's nbgrader settings (`autograder/`):
- a terminal opens in the workspace (the server's own folder, so a terminal opened beside
  an exercise resolves its path there, not in the checkout) and runs an interactive, not a
  login, shell with the course's command first on PATH (a login shell reads /etc/profile,
  which resets PATH on Debian);
- the kernels load the `%tradeoffs` magic (a `python3` kernelspec of the workspace's own);
- nbgrader's instructor tools (Create Assignment, Formgrader, the course and assignment
  lists) and JupyterLab's news popup are off; the Validate button stays and shows the
  check's summary line;
- the course opens at the workspace's START.md, rendered.
The instructor's setup (`JUPYTER_CONFIG_PATH=autograder`, no learner settings) keeps
every nbgrader tool.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tradeoffs.learner.workspace import STATE_DIR, Workspace

SETTINGS = Path(__file__).with_name("jupyter")


def kernelspec(ws: Workspace) -> Path:
    """Write the workspace's `python3` kernelspec (this interpreter, with the magic);
    returns the folder to put on JUPYTER_PATH."""
    data = ws.root / STATE_DIR / "jupyter"
    folder = data / "kernels" / "python3"
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--ext=tradeoffs.learner.magic",
        ],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": True},
    }
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    return data


def environment(ws: Workspace) -> dict[str, str]:
    """The server's environment: learner settings first, the course's command on PATH."""
    env = dict(os.environ)
    scripts = str(Path(sys.executable).parent)
    config = [str(SETTINGS), str(ws.course.root / "autograder")]
    if env.get("JUPYTER_CONFIG_PATH"):
        config += [p for p in env["JUPYTER_CONFIG_PATH"].split(os.pathsep) if p not in config]
    data = [str(kernelspec(ws))] + [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    env.update(
        {
            "JUPYTER_CONFIG_PATH": os.pathsep.join(config),
            "JUPYTER_PATH": os.pathsep.join(data),
            "TRADEOFFS_ROOT": str(ws.course.root),
            "TRADEOFFS_WORKSPACE": str(ws.root),
            "TRADEOFFS_BIN": scripts,
            "PATH": os.pathsep.join(
                [scripts, *[p for p in env.get("PATH", "").split(os.pathsep) if p != scripts]]
            ),
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
    )
    return env


def command(
    ws: Workspace, *, port: int = 8888, browser: bool = True, token: str | None = None
) -> tuple[list[str], dict[str, str], Path]:
    """(argv, environment, working folder) of the learner's JupyterLab server."""
    argv = [
        str(Path(sys.executable).parent / "jupyter-lab"),
        f"--ServerApp.root_dir={ws.root}",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
    ]
    if not browser:
        argv.append("--no-browser")
    if token is not None:
        argv.append(f"--IdentityProvider.token={token}")
    if hasattr(os, "getuid") and os.getuid() == 0:
        argv.append("--allow-root")
    return argv, environment(ws), ws.root
