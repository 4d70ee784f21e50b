"""The shipped cat data: shapes, checksums, and clear errors when a file is missing or damaged."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from helpers.datasets import DatasetError, cats, load_cat_dataset


def test_cat_dataset_shapes_and_balance():
    data = load_cat_dataset()
    assert data.train_x_orig.shape == (209, 64, 64, 3) and data.train_x_orig.dtype == np.uint8
    assert data.test_x_orig.shape == (50, 64, 64, 3)
    assert data.train_y.shape == (1, 209) and data.test_y.shape == (1, 50)
    assert list(data.classes) == [b"non-cat", b"cat"]
    assert round(data.train_y.mean(), 2) == 0.34 and data.test_y.mean() == 0.66


def _copy_data(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    shutil.copytree(cats.DATA_DIRECTORY, folder)
    monkeypatch.setattr(cats, "DATA_DIRECTORY", folder)
    monkeypatch.setattr(cats, "CHECKSUMS_FILE", folder / "SHA256SUMS")
    return folder


def test_missing_file_names_it_and_says_what_to_do(tmp_path, monkeypatch):
    folder = _copy_data(tmp_path, monkeypatch)
    (folder / cats.TEST_FILE).unlink()
    with pytest.raises(DatasetError, match=r"(?s)test_catvnoncat\.h5 is missing.*Reinstall"):
        load_cat_dataset()


def test_damaged_file_is_caught_by_its_checksum(tmp_path, monkeypatch):
    folder = _copy_data(tmp_path, monkeypatch)
    with open(folder / cats.TRAIN_FILE, "r+b") as f:
        f.seek(5000)
        f.write(b"\x00\x01\x02")
    with pytest.raises(DatasetError, match=r"train_catvnoncat\.h5 is damaged"):
        load_cat_dataset()


def test_digits_dataset_is_scikit_learns_with_examples_as_columns():
    from sklearn.datasets import load_digits

    from helpers.datasets import load_digits_dataset

    X, labels = load_digits_dataset()
    digits = load_digits()
    assert X.shape == (64, 1797) and labels.shape == (1, 1797)
    np.testing.assert_array_equal(X, digits.data.T)
    np.testing.assert_array_equal(labels[0], digits.target)


def test_planar_dataset_split_and_shapes():
    from helpers.datasets import load_planar_dataset

    data = load_planar_dataset()
    X_train, Y_train, X_test, Y_test = data[:4]
    assert X_train.shape == (2, 1340) and Y_train.shape == (1, 1340)
    assert X_test.shape == (2, 660) and Y_test.shape == (1, 660)
    assert set(np.unique(Y_train)) == {0, 1}
