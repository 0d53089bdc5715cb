"""Snapshots of the lexical index: its arrays written as they are, so a restart reads them back
instead of normalising and re-indexing every claim text (~110 s at a million claims).

A state is a nested dict whose leaves are numpy arrays or JSON values. It is written as one
uncompressed ``.npz`` (no pickle: every array is a plain ``.npy`` member, and loading refuses
object arrays), the JSON leaves and the caller's metadata in a member of their own. A snapshot
is written to a temporary file and moved into place, so a reader sees an old one or a new one,
never half of one.

Lexical state depends on the code that made it (a change to the normaliser changes every
normalised text), so each snapshot carries ``code_fingerprint()``, a digest of the modules that
decide what is indexed; a snapshot from other code is not used.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from rumordesk import matching, text

_META = "__meta__"
_SEP = "/"
# the modules whose code decides what the lexical layers hold for a claim text
_INDEXING_MODULES = (
    (text, ("normalize.py", "tokens.py", "confusables.py", "pinyin.py", "syllables.py")),
    (
        matching,
        (
            "library.py",
            "minhash.py",
            "bm25.py",
            "rules.py",
            "buckets.py",
            "columns.py",
            "image.py",
            "kernels.py",
        ),
    ),
)


# the packages whose versions decide it too (Chinese conversion, pinyin, BM25 weights)
_INDEXING_PACKAGES = ("opencc", "pypinyin", "bm25s", "numpy")


def code_fingerprint() -> str:
    """A digest of the indexing code: the source of the modules that shape the index and the
    versions of the packages they use."""
    digest = hashlib.sha256()
    for package_name in _INDEXING_PACKAGES:
        try:
            digest.update(f"{package_name}={metadata.version(package_name)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package_name}=?;".encode())
    for package, names in _INDEXING_MODULES:
        folder = Path(package.__file__ or "").parent
        for name in names:
            path = folder / name
            digest.update(name.encode())
            digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()[:16]


def _flatten(
    state: dict[str, Any], prefix: str, arrays: dict[str, np.ndarray], values: dict[str, Any]
) -> None:
    for key, value in state.items():
        if _SEP in key:
            raise ValueError(f"state key {key!r} holds {_SEP!r}")
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, name + _SEP, arrays, values)
        elif isinstance(value, np.ndarray):
            if value.dtype == object:
                raise TypeError(f"{name}: object arrays are not stored")
            arrays[name] = value
        else:
            values[name] = value


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in flat.items():
        node = out
        *parents, leaf = name.split(_SEP)
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def write_state(path: Path, state: dict[str, Any], meta: dict[str, Any]) -> None:
    """Write ``state`` and ``meta`` to ``path`` (replacing any file there at once)."""
    arrays: dict[str, np.ndarray] = {}
    values: dict[str, Any] = {}
    _flatten(state, "", arrays, values)
    header = json.dumps({"meta": meta, "values": values}).encode("utf-8")
    arrays[_META] = np.frombuffer(header, dtype=np.uint8)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as stream:
        np.savez(stream, allow_pickle=False, **arrays)
    os.replace(partial, path)


def read_meta(path: Path) -> dict[str, Any] | None:
    """The metadata of the snapshot at ``path`` (None when there is none or it is unreadable);
    reads only its header member."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            header: dict[str, Any] = json.loads(archive[_META].tobytes())
            meta: dict[str, Any] = header["meta"]
            return meta
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None


def read_state(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The state and metadata written by ``write_state``."""
    with np.load(path, allow_pickle=False) as archive:
        header = json.loads(archive[_META].tobytes())
        flat: dict[str, Any] = {name: archive[name] for name in archive.files if name != _META}
    flat.update(header["values"])
    return _nest(flat), header["meta"]
