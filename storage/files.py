"""The file primitives of the store: atomic replacement, folder fsync, compact JSON, and
private modes: every folder the store makes is 0700 and every file 0600, whatever the
umask (the data holds partners' sales figures and contacts)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from storage.errors import StorageError

DIR_MODE = 0o700
FILE_MODE = 0o600


def make_dir(path: Path) -> None:
    """Make the folder `path` (its missing parents too), mode 0700 whatever the umask; a
    folder that exists is left as it is."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:
        return  # made meanwhile by someone else: theirs
    os.chmod(path, DIR_MODE)


def open_private(path: Path, flags: int) -> int:
    """`os.open(path, flags | O_CREAT)` for a file only its owner reads: 0600 whatever the
    umask (also when the file was there before, with a looser mode)."""
    fd = os.open(path, flags | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def atomic_write(path: Path, data: bytes, *, sync_folder: bool = True) -> None:
    """Replace `path` by `data` so that a crash leaves either the old or the new file.

    Write a temporary file in the same folder, flush and fsync it, rename it over `path`,
    then fsync the folder so that the rename itself is durable (unless the caller does
    that once for many files: `sync_folder=False`).
    """
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with os.fdopen(open_private(tmp, os.O_WRONLY | os.O_TRUNC), "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync_folder:
        fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make the creation, renaming and removal of files in `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def dump_json(value: object) -> bytes:
    """Compact UTF-8 JSON, as every file of the store is written."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def load_json(path: Path) -> Any:
    """The JSON value in `path`; a file that does not parse is an error naming it."""
    raw = path.read_bytes()
    try:
        return json.loads(raw)
    except ValueError as error:
        raise StorageError(f"{path} is corrupt: {error}") from error
