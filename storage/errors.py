"""The exceptions the store raises."""


class StorageError(Exception):
    """The data directory cannot be used as asked: a corrupt file, a failed write, a lock."""


class Conflict(Exception):
    """Another transaction changed what this one read; run the transaction again."""
