"""What the instructor and the students read, made from the gradebook and the grading results.

* :mod:`.grades`: the table of points per student, assignment and exercise (CSV and terminal);
* :mod:`.feedback`: an HTML page per student and assignment;
* :mod:`.class_report`: one self-contained HTML page on the whole class.
"""
