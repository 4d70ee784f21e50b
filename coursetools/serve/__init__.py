"""Feedback on submission: a web service students hand their notebooks to (``python -m coursetools serve``).

Students sign in with a token (``coursetools tokens``), hand in from the browser or from a notebook cell
(``helpers.submit()``), and get the feedback page of the course's own autograde within seconds: each attempt is
graded in the sandbox on Dask by the same path as ``coursetools autograde``, kept on disk before it is acknowledged,
and the gradebook holds the grade of record. Modules:

* :mod:`.config`: ``[serve]`` and ``[feedback]`` of course.toml (``ServeSettings``);
* :mod:`.tokens`: tokens and their keyed hashes; :mod:`.store`: the service's SQLite (queue, attempts, sessions);
* :mod:`.layout`: where attempts are kept under ``submitted/``; :mod:`.intake`: what an upload must be;
* :mod:`.policy`: the grade of record, and what feedback says of hidden cases;
* :mod:`.grader`: the grading thread (kits built and scattered once, one Recorder);
* :mod:`.service`: the parts together; :mod:`.app`: the HTTP API and the pages (FastAPI); :mod:`.pages`: HTML;
* :mod:`.server`: uvicorn around it.
"""
