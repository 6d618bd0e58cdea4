"""Where attachment bytes live: under the data directory, addressed by SHA-256, outside static/.

A small interface so that a shared or object store can replace the local disk: put a verified
temporary file, open, delete. Nothing a client sends ever becomes part of a path here."""

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from app.config import get_settings

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Storage(Protocol):
    def new_temp(self) -> tuple[BinaryIO, Path]: ...
    def put(self, temp_path: Path, sha256: str) -> bool: ...
    def path(self, sha256: str) -> Path: ...
    def exists(self, sha256: str) -> bool: ...
    def delete(self, sha256: str) -> None: ...


class LocalStorage:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def new_temp(self) -> tuple[BinaryIO, Path]:
        # Same file system as the store, so put() is an atomic rename.
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        return os.fdopen(fd, "w+b"), Path(name)

    def path(self, sha256: str) -> Path:
        if not SHA256.match(sha256):
            raise ValueError("not a SHA-256 digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, temp_path: Path, sha256: str) -> bool:
        """Move a verified temporary file into place; False when the same bytes were already stored
        (the temporary file is then removed): one copy per document."""
        target = self.path(sha256)
        if target.exists():
            temp_path.unlink(missing_ok=True)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp_path, target)
        return True

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def get_storage() -> LocalStorage:
    return LocalStorage(get_settings().data_dir / "attachments")
