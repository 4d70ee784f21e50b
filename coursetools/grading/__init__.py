"""Grading: submissions run by nbgrader's own preprocessors on Dask workers, written by one writer.

* :mod:`.batch`: ``autograde()``, a whole class of one assignment, in parallel;
* :mod:`.job`: what travels between the client and the workers (settings included);
* :mod:`.folder`: a submission folder read once by the client: regular files only, linear, bounded;
* :mod:`.probe`: before a batch, a sandboxed kernel proved on every worker;
* :mod:`.worker`: one submission sanitized, executed and reviewed, on a worker;
* :mod:`.preprocessors`: nbgrader's preprocessors, the few the toolkit changes;
* :mod:`.metadata`: the grader metadata of a submission put back as released, before nbgrader reads it;
* :mod:`.inert`: the executed notebook made safe to open (no student HTML or JavaScript runs), its text repaired;
* :mod:`.kernels`: kernels started (sandboxed) for submissions, and one spare per worker;
* :mod:`.snapshot`: the gradebook rows workers need, as data;
* :mod:`.recorder`: the single writer of the gradebook and ``autograded/``;
* :mod:`.results`: statuses and ``grading.json``;
* :mod:`.cluster`: the Dask cluster;
* :mod:`.scoring`: a notebook graded in-process without a gradebook (the corpus tests, the stub check).
"""
