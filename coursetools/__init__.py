"""The instructor's toolkit: release, grade and report on the course's nbgrader assignments.

Run ``python -m coursetools --help`` for the commands. Instructor-only: not part of the student package.
"""

import sys

# jsonschema (imported by nbformat) imports rfc3987_syntax when it is installed, for IRI format checks that neither
# nbformat nor nbgrader use; building its grammar costs about 2 s of CPU in every process. Every process of the
# toolkit (the command, each Dask worker) imports this package first, and skips it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
