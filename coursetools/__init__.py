"""The instructor's toolkit: release, grade and report on the course's nbgrader assignments.

Run ``python -m coursetools --help`` for the commands. Instructor-only: not part of the student package.
"""
