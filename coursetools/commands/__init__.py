"""The instructor's commands, one module each, named like the command (``python -m coursetools COMMAND``).

Each module has ``NAME``, ``SUMMARY``, ``DESCRIPTION``, ``add_arguments(parser)`` and ``run(args) -> exit code``,
and holds the command's own logic; what several commands share lives in the layers below.
"""

from __future__ import annotations

from . import autograde, bundle, collect, demo, feedback, grades, release, report, serve, similarity, tokens

#: In the order ``--help`` lists them: a term's order.
COMMANDS = {m.NAME: m for m in (release, bundle, collect, autograde, feedback, grades, similarity, report, tokens,
                                serve, demo)}
