"""The cat / non-cat images of assignment 02, shipped with the package and verified by checksum on load."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

#: Where the course's data files live: inside the package, so that pip (and Colab) install them too.
DATA_DIRECTORY = Path(__file__).resolve().parents[1] / "data"
CHECKSUMS_FILE = DATA_DIRECTORY / "SHA256SUMS"
TRAIN_FILE = "train_catvnoncat.h5"
TEST_FILE = "test_catvnoncat.h5"


class DatasetError(RuntimeError):
    """A data file is missing or damaged; the message names the file and what to do."""


class CatDataset(NamedTuple):
    """The cat / non-cat data: images as ``(m, 64, 64, 3)`` uint8, labels as ``(1, m)`` rows of 0/1."""

    train_x_orig: np.ndarray
    train_y: np.ndarray
    test_x_orig: np.ndarray
    test_y: np.ndarray
    classes: np.ndarray


def _expected_checksums() -> dict[str, str]:
    if not CHECKSUMS_FILE.is_file():
        raise DatasetError(f"The checksum list {CHECKSUMS_FILE} is missing. Reinstall the course helpers.")
    sums = {}
    for line in CHECKSUMS_FILE.read_text().splitlines():
        if line.strip():
            digest, name = line.split()
            sums[name.lstrip("*")] = digest
    return sums


def verified_path(name: str) -> Path:
    """The path of a shipped data file, after checking that it exists and its SHA-256 matches ``SHA256SUMS``."""
    path = DATA_DIRECTORY / name
    if not path.is_file():
        raise DatasetError(
            f"The data file {name} is missing (looked in {DATA_DIRECTORY}).\n"
            "Reinstall the course helpers (on Colab: run the first cell of the notebook again; locally: "
            "`pip install -e .` in the course folder), or restore the file from the course repository."
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    expected = _expected_checksums().get(name)
    if digest != expected:
        raise DatasetError(
            f"The data file {path} is damaged: its SHA-256 is {digest}, expected {expected}.\n"
            "Delete it and restore it from the course repository (or reinstall the course helpers)."
        )
    return path


def _read(name: str, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import h5py  # imported here so that the other helpers load without it

    path = verified_path(name)
    with h5py.File(path, "r") as f:
        images = np.array(f[f"{split}_set_x"][:])
        labels = np.array(f[f"{split}_set_y"][:]).reshape(1, -1)
        classes = np.array(f["list_classes"][:])
    return images, labels, classes


def load_cat_dataset() -> CatDataset:
    """Load the cat / non-cat images.

    Returns ``train_x_orig (209, 64, 64, 3)``, ``train_y (1, 209)``, ``test_x_orig (50, 64, 64, 3)``,
    ``test_y (1, 50)`` and ``classes`` (``[b'non-cat', b'cat']``), as a named tuple that unpacks in that order.
    """
    train_x, train_y, classes = _read(TRAIN_FILE, "train")
    test_x, test_y, _ = _read(TEST_FILE, "test")
    return CatDataset(train_x, train_y, test_x, test_y, classes)
