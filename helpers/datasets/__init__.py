"""The course's data sets, each loaded offline and with examples as columns where the course expects it."""

from .cats import DATA_DIRECTORY, DatasetError, load_cat_dataset
from .digits import DigitsDataset, load_digits_dataset
from .photos import COURSE_PHOTOS, find_image
from .planar import load_planar_dataset

__all__ = ["COURSE_PHOTOS", "DATA_DIRECTORY", "DatasetError", "DigitsDataset", "find_image", "load_cat_dataset",
           "load_digits_dataset", "load_planar_dataset"]
