"""Facts about a local file: name/suffix split, size and content hash.

Hashing: the SHA-256 of the content, base64url-encoded without padding (43 characters).
Files over 64 MiB are hashed by sampling, as lamindb does for large files: SHA-256 over
the size and three 1 MiB chunks (start, middle, end), with `-sampled` appended so a
sampled hash never equals a full one. Sampling keeps `ln.DObject(path)` fast on big files
at the price of missing edits outside the sampled chunks.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

SAMPLING_THRESHOLD: Final = 64 * 1024 * 1024
SAMPLE_CHUNK: Final = 1024 * 1024
MAX_SUFFIX: Final = 64

# A trailing suffix that wraps another format: keep the one before it (`.fastq.gz`).
_WRAPPERS: Final = frozenset(
    {
        ".gz",
        ".gzip",
        ".bz2",
        ".xz",
        ".zst",
        ".zip",
        ".lz4",
        ".br",
        ".z",
        ".7z",
        ".zarr",
        ".tif",
        ".tiff",
    }
)
# An inner part that may stand before a wrapper: short, not only digits (`run.2023.gz`
# keeps `.gz` alone, since `2023` is a version, not a format).
_INNER: Final = re.compile(r"^\.[A-Za-z0-9_-]{1,10}$")
_ONLY_DIGITS: Final = re.compile(r"^\.\d+$")
# Wrappers whose inner part is only kept for these known formats.
_IMAGE_INNER: Final = frozenset({".ome"})
_ZARR_INNER: Final = frozenset({".ome", ".anndata"})


def split_name(filename: str) -> tuple[str, str]:
    """Split a file name into `(name, suffix)`, keeping compound suffixes whole.

    `input.fastq.gz` -> (`input`, `.fastq.gz`); `output.bam` -> (`output`, `.bam`);
    `archive.tar.gz` -> (`archive`, `.tar.gz`); `.bashrc` -> (`.bashrc`, ``);
    `README` -> (`README`, ``).
    """
    base = filename.rsplit("/", 1)[-1]
    stem, dot, last = base.rpartition(".")
    if not dot or not stem or not last or stem.strip(".") == "":
        return base, ""
    suffix = "." + last
    inner_stem, dot2, inner = stem.rpartition(".")
    if dot2 and inner_stem and inner:
        inner_suffix = "." + inner
        lower, inner_lower = suffix.lower(), inner_suffix.lower()
        keep = False
        if lower in {".tif", ".tiff"}:
            keep = inner_lower in _IMAGE_INNER
        elif lower == ".zarr":
            keep = inner_lower in _ZARR_INNER
        elif lower in _WRAPPERS:
            keep = bool(_INNER.match(inner_suffix)) and not _ONLY_DIGITS.match(inner_suffix)
        if keep:
            stem, suffix = inner_stem, inner_suffix + suffix
    if len(suffix) > MAX_SUFFIX:
        return base, ""
    return stem, suffix


def hash_file(path: Path, size: int | None = None) -> str:
    """The content hash of `path` (see the module docstring for the scheme)."""
    size = path.stat().st_size if size is None else size
    if size <= SAMPLING_THRESHOLD:
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").digest()
        return _b64(digest)
    h = hashlib.sha256(size.to_bytes(8, "big"))
    with path.open("rb") as f:
        for offset in (0, size // 2 - SAMPLE_CHUNK // 2, size - SAMPLE_CHUNK):
            f.seek(offset)
            h.update(f.read(SAMPLE_CHUNK))
    return _b64(h.digest()) + "-sampled"


def hash_bytes(data: bytes) -> str:
    """The content hash of in-memory bytes, as `hash_file` computes it for a small file."""
    return _b64(hashlib.sha256(data).digest())


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class FileFacts:
    """What `ln.DObject(path)` learns from a file on disk."""

    path: Path
    name: str
    suffix: str
    size: int
    hash: str
    stamp: tuple[int, int, int] | None = None  # (inode, mtime ns, size) when it was hashed

    @property
    def uri(self) -> str:
        return self.path.as_uri()


def file_facts(path: str | Path) -> FileFacts:
    """Resolve `path` and read its facts; a clear FileNotFoundError if it is not a file."""
    given = Path(path).expanduser()
    resolved = given.resolve()
    if not resolved.exists():
        raise FileNotFoundError(
            f"ln.DObject: no file at {str(given)!r} (looked for {resolved}); "
            "pass the path of an existing file"
        )
    if not resolved.is_file():
        raise IsADirectoryError(f"ln.DObject: {resolved} is not a regular file; pass a file")
    name, suffix = split_name(resolved.name)
    st = resolved.stat()
    return FileFacts(
        resolved, name, suffix, st.st_size, hash_file(resolved, st.st_size), _stamp(st)
    )


def _stamp(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def content_now(path: Path, known: FileFacts | None) -> FileFacts | None:
    """The facts of the file at `path` as it is now: `known` again when the file is
    unchanged since (same inode, mtime and size), else hashed anew; None if it is gone."""
    try:
        st = path.stat()
    except OSError:
        return None
    if known is not None and known.stamp == _stamp(st):
        return known
    name, suffix = split_name(path.name)
    return FileFacts(path, name, suffix, st.st_size, hash_file(path, st.st_size), _stamp(st))
