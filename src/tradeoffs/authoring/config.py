"""The course's nbgrader configuration, loaded as a traitlets Config."""

from __future__ import annotations

from traitlets.config import Config, PyFileConfigLoader

from tradeoffs.catalog import Course

CONFIG_FILE = "autograder/nbgrader_config.py"


def nbgrader_config(course: Course) -> Config:
    """A fresh copy of the settings in `autograder/nbgrader_config.py`."""
    path = course.root / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the course's nbgrader settings live there")
    loader = PyFileConfigLoader(path.name, path=str(path.parent))
    return Config(loader.load_config())


def cell_timeout_s(course: Course) -> int:
    """The per-cell execution timeout nbgrader uses for this course."""
    return int(nbgrader_config(course).Execute.timeout)
