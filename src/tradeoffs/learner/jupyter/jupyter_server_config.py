# The learner's JupyterLab server settings (`tradeoffs jupyter`, `make lab`); see
# tradeoffs/learner/lab.py. Loaded before the course's autograder/ settings.
import os
from pathlib import Path

c = get_config()  # type: ignore[name-defined]  # noqa: F821  (traitlets provides it)

_here = Path(__file__).resolve().parent

# A terminal: bash, interactive but not a login shell (Debian's /etc/profile resets PATH),
# with an rc file that puts the course's command first on PATH and starts in the workspace.
c.ServerApp.terminado_settings = {
    "shell_command": ["bash", "--rcfile", str(_here / "terminal.bashrc"), "-i"]
}

# Instructor tools a learner cannot use: off (the Validate button stays).
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.assignment_list": False,
}

# Open at the workspace's start page.
if os.environ.get("TRADEOFFS_WORKSPACE"):
    c.ServerApp.default_url = "/lab/tree/START.md"
    c.LabApp.default_url = "/lab/tree/START.md"
