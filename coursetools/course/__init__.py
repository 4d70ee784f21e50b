"""The course itself: its settings (``course.toml``), its folder in nbgrader's layout, its notebooks.

The lowest layer of the toolkit: everything else builds on it, and it imports nothing of the toolkit above it.

* :mod:`.settings`: the course settings, read once from ``course.toml``;
* :mod:`.nbgrader`: the grading policy of ``nbgrader_config.py``, pointed at a course folder;
* :mod:`.kernel`: the kernel every notebook of the course runs in, and its environment when graded;
* :mod:`.coursedir`: a course folder (source, release, submitted, autograded, feedback, reports) and its gradebook;
* :mod:`.notebooks`: reading, writing and normalising notebooks;
* :mod:`.generate`: nbgrader's generate_assignment plus the Colab badge and set-up cell;
* :mod:`.authoring`: source notebooks as plain text, and back;
* :mod:`.text`: student text made harmless for terminals and spreadsheets.
"""
