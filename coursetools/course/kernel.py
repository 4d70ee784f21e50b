"""The kernel the course's notebooks run in, and the environment it gets when a notebook is graded.

One place for these facts: the grader's own runs (recording the hidden cases, checking stubs, the corpus harness)
and the sandboxed kernels of submissions all start the same kernel with the same environment.
"""

from __future__ import annotations

#: The kernelspec of every course notebook: the course's Python, where the helpers are installed.
KERNEL_NAME = "python3"

#: The environment of a grading kernel. Course matrices are small: one BLAS thread per kernel is faster than
#: several fighting over the cores that parallel grading already fills.
GRADING_ENVIRONMENT = {"NBGRADER_EXECUTION": "autograde", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                       "MKL_NUM_THREADS": "1"}

#: Kernel arguments for the grader's own kernels: ipykernel's start-up notice about unencrypted local TCP (the
#: connection never leaves this machine) would otherwise print in every instructor command.
QUIET_KERNEL = ["--IPKernelApp.log_level=ERROR"]

#: Kernel arguments for every kernel that executes a submission: its messages are packed so that text that is
#: not Unicode (a lone surrogate a student printed) arrives as U+FFFD instead of breaking the kernel's output
#: (see helpers/packing.py).
GRADED_KERNEL = ["--Session.packer=helpers.packing.pack"]
