"""Documents as the store holds them: plain JSON objects that nobody mutates once stored."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

Doc = dict[str, Any]
Docs = dict[str, Doc]


def normalize(doc: Mapping[str, Any]) -> Doc:
    """A fresh copy of `doc` as it will read back from disk (tuples become lists, ...).

    Raises TypeError or ValueError for what JSON cannot hold, when the caller can still
    see which write it was.
    """
    value = json.loads(json.dumps(doc, allow_nan=False))
    if not isinstance(value, dict):
        raise TypeError(f"a document is a JSON object, not {type(doc).__name__}")
    return value


def copy_doc(doc: Doc) -> Doc:
    """A deep copy of a stored document, for a caller free to change it."""
    return {name: _copy(value) for name, value in doc.items()}


def _copy(value: Any) -> Any:
    if type(value) is dict:
        return {name: _copy(item) for name, item in value.items()}
    if type(value) is list:
        return [_copy(item) for item in value]
    return value
