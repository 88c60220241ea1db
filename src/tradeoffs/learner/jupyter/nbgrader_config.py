# The learner's nbgrader settings, read by the Validate button in `tradeoffs jupyter` /
# `make lab` on top of the course's autograder/nbgrader_config.py: after the notebook has
# run, the result dialog gets a summary line (k of n parts pass, what to do next) and the
# failures read as the check's messages, without tracebacks into the course's package.
c = get_config()  # type: ignore[name-defined]  # noqa: F821  (traitlets provides it)

try:
    from tradeoffs.learner.validate import on_cell_start
except ImportError:  # the course's package is not installed where nbgrader runs
    pass
else:
    c.Execute.on_cell_start = on_cell_start
