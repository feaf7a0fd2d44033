"""Name/suffix split, content hashing and file facts of `ln.DObject(path)`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from producer_sdk import files


@pytest.mark.parametrize(
    ("filename", "name", "suffix"),
    [
        ("input.fastq.gz", "input", ".fastq.gz"),
        ("output.bam", "output", ".bam"),
        ("archive.tar.gz", "archive", ".tar.gz"),
        ("reads.fq.bz2", "reads", ".fq.bz2"),
        ("table.csv", "table", ".csv"),
        ("sample.v2.bam", "sample.v2", ".bam"),
        ("run.2023.gz", "run.2023", ".gz"),
        ("image.ome.tiff", "image", ".ome.tiff"),
        ("photo.tiff", "photo", ".tiff"),
        ("store.anndata.zarr", "store", ".anndata.zarr"),
        ("README", "README", ""),
        (".bashrc", ".bashrc", ""),
        ("trailing.", "trailing.", ""),
        ("dir/sub/iris_new.parquet", "iris_new", ".parquet"),
    ],
)
def test_split_name_keeps_compound_suffixes(filename: str, name: str, suffix: str) -> None:
    assert files.split_name(filename) == (name, suffix)


def test_overlong_suffix_stays_in_the_name() -> None:
    filename = "x." + "a" * 80
    assert files.split_name(filename) == (filename, "")


def test_small_file_hash_is_base64url_sha256(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"hello")
    expected = files._b64(hashlib.sha256(b"hello").digest())
    assert files.hash_file(path) == expected == files.hash_bytes(b"hello")
    assert len(expected) == 43
    assert "=" not in expected


def test_large_file_is_hashed_by_sampling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "SAMPLING_THRESHOLD", 1000)
    monkeypatch.setattr(files, "SAMPLE_CHUNK", 100)
    path = tmp_path / "big.bin"
    data = bytearray(range(256)) * 20  # 5,120 bytes
    path.write_bytes(bytes(data))
    sampled = files.hash_file(path)
    assert sampled.endswith("-sampled")
    data[3000] ^= 0xFF  # outside the three sampled chunks (0-100, 2510-2610, 5020-5120)
    path.write_bytes(bytes(data))
    assert files.hash_file(path) == sampled
    data[0] ^= 0xFF  # inside the first chunk
    path.write_bytes(bytes(data))
    assert files.hash_file(path) != sampled


def test_file_facts(tmp_path: Path) -> None:
    path = tmp_path / "input.fastq.gz"
    path.write_bytes(b"x" * 10)
    facts = files.file_facts(path)
    assert (facts.name, facts.suffix, facts.size) == ("input", ".fastq.gz", 10)
    assert facts.hash == files.hash_bytes(b"x" * 10)
    assert facts.uri == path.resolve().as_uri()


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no file at 'nope\.bam'"):
        files.file_facts("nope.bam")
    with pytest.raises(IsADirectoryError, match="not a regular file"):
        files.file_facts(tmp_path)
