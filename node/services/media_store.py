"""The media folder: files named by the SHA-256 of their bytes (`ab/cd/abcd...`), so the same file
twice is stored once and no name a person or server chose ever becomes part of a path.

A file is written to a temporary name in the same folder, flushed to disk and renamed, so a crash
or a refused upload leaves either the whole file or nothing; files are readable by the owner only.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

HASH = re.compile(r"^[0-9a-f]{64}$")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def path_of(root: Path, hash_: str) -> Path:
    if not HASH.match(hash_):
        raise ValueError("not a file hash")
    return root / hash_[:2] / hash_[2:4] / hash_


def write(root: Path, data: bytes) -> str:
    """Store the bytes (if not there yet); returns their hash."""
    hash_ = digest(data)
    target = path_of(root, hash_)
    if target.exists():
        return hash_
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = target.parent / f".{hash_}.{secrets.token_hex(4)}.part"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return hash_


def read(root: Path, hash_: str) -> bytes | None:
    try:
        return path_of(root, hash_).read_bytes()
    except (FileNotFoundError, ValueError):
        return None


def exists(root: Path, hash_: str) -> bool:
    try:
        return path_of(root, hash_).is_file()
    except ValueError:
        return False


def remove(root: Path, hash_: str) -> None:
    path_of(root, hash_).unlink(missing_ok=True)


def leftovers(root: Path) -> list[Path]:
    """Temporary files of writes that never finished (a crash mid-write); removed by the pruning."""
    return list(root.glob("*/*/.*.part")) if root.is_dir() else []
