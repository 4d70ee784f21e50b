"""nbgrader configuration of the course. Course facts come from course.toml; this file holds grading policy."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coursetools.course import settings  # noqa: E402

course = settings.load()
c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.root = str(course.root)
c.CourseDirectory.course_id = course.id
# The embedded default gradebook; point db_url at PostgreSQL for a large course.
c.CourseDirectory.db_url = f"sqlite:///{course.root / 'gradebook.db'}"

# What students see in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Colab lets students delete locked cells: put deleted test cells back and grade them.
c.OverwriteCells.add_missing_cells = True

# A warning is not a failure. nbgrader scores a test cell 0 for any stderr output, so drop stderr blocks that
# are only Python warnings (real failures arrive as error outputs, which this never touches).
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"Warning: "

# A looping cell may not hold the whole class: a per-cell time limit, after which the cell counts as failed.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
