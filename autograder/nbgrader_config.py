"""nbgrader settings for this course.

Read by `tradeoffs build` (student versions), by `tradeoffs check` (a
learner's verdict) and by instructors who run nbgrader from this folder
(`cd autograder && nbgrader ...`). Working folders nbgrader creates here
(source/, release/, submitted/, autograded/, feedback/, gradebook.db) are
git-ignored.
"""

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "tradeoffs"

# Seconds a single cell may run before it is interrupted and marked as failed.
# Lessons and exercises are written to finish each cell in a few seconds.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# What the student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# At autograde, every read-only cell (tests, given code, instructions) is
# restored from the master copy before the notebook runs, so an edited or
# deleted test cannot change a grade. Nothing is excluded from that.
c.Autograde.exclude_overwriting = {}
