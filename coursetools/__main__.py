"""``python -m coursetools``: see :mod:`coursetools.cli`."""

if __name__ == "__main__":  # Dask's worker processes import this module under another name: do nothing then
    import sys

    from coursetools.cli import main

    sys.exit(main())
