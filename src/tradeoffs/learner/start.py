"""The workspace's start page (START.md): where JupyterLab opens, like a README."""

from __future__ import annotations

from typing import Any

from tradeoffs.catalog import Course


def start_page(course: Course, ws: Any) -> str:
    rows = []
    for unit in course.units:
        lesson = f"[lesson]({unit.lesson_notebook})"
        exercise = f"[exercise]({unit.exercise_notebook})" if unit.exercise_notebook else ""
        points = f"{unit.points:g}" if unit.exercise else ""
        rows.append(f"| {unit.id} | {unit.title} | {lesson} | {exercise} | {points} |")
    table = "\n".join(rows)
    return f"""# {course.title}

This folder is your workspace: your own copies of the lessons and exercises. Nothing here
is ever overwritten by the course (`git pull` in the checkout does not touch it).

**Start with [00_start]({course.units[0].lesson_notebook})**, then take the units in order.
Each unit is a lesson (run it top to bottom, move the sliders) and, from unit 01 on, a
graded exercise.

| unit | what you learn | | | points |
|---|---|---|---|---|
{table}

## The loop

Open a terminal (File > New > Terminal: it opens here, with the course's command on PATH):

```sh
tradeoffs list                      # every unit and where you stand
tradeoffs next                      # the first unit not done, and what to open
tradeoffs check exercises/01_metrics    # run the exercise's tests on your saved notebook
tradeoffs hint 01_metrics test_cost     # one hint at a time (ask again for the next)
tradeoffs watch 01_metrics          # re-check on every save, print what changed
tradeoffs reset 01_metrics          # start the exercise afresh (yours is backed up in backups/)
tradeoffs progress                  # a summary to paste
```

Inside a notebook: the **Validate** button in the toolbar, or `%tradeoffs check` in a
cell, shows the same per-part summary (save first: the check reads the saved file).

For interview practice: `tradeoffs interview --seed 7` makes a fresh variant of the
interview questions with its own numbers (unit 08).
"""
