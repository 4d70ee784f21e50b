"""The course's data sets, each loaded offline and with examples as columns where the course expects it."""

from .cats import DATA_DIRECTORY, DatasetError, load_cat_dataset

__all__ = ["DATA_DIRECTORY", "DatasetError", "load_cat_dataset"]
