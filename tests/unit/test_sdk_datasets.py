"""`ln.dev.datasets`: small, valid, deterministic files."""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import producer_sdk as ln
from producer_sdk.dev import datasets


def test_fastq_is_valid_and_deterministic(tmp_path: Path) -> None:
    path = ln.dev.datasets.file_fastq(tmp_path)
    assert path == tmp_path / "input.fastq.gz"
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    assert len(lines) == 16
    for i in range(0, 16, 4):
        header, seq, plus, qual = lines[i : i + 4]
        assert header.startswith("@")
        assert plus == "+"
        assert len(seq) == len(qual)
        assert set(seq) <= set("ACGT")
    assert ln.dev.datasets.file_fastq(tmp_path).read_bytes() == datasets.fastq_bytes()


def test_bam_is_bgzf_with_the_reads(tmp_path: Path) -> None:
    raw = ln.dev.datasets.file_bam(tmp_path).read_bytes()
    assert raw.endswith(datasets.BGZF_EOF)
    # Walk the BGZF blocks by their BSIZE field.
    data, offset = b"", 0
    while offset < len(raw):
        assert raw[offset : offset + 4] == b"\x1f\x8b\x08\x04"
        assert raw[offset + 12 : offset + 14] == b"BC"
        bsize = struct.unpack_from("<H", raw, offset + 16)[0] + 1
        block = raw[offset : offset + bsize]
        payload = zlib.decompress(block[18:-8], -15)
        assert zlib.crc32(payload) == struct.unpack_from("<I", block, bsize - 8)[0]
        data += payload
        offset += bsize
    assert data[:4] == b"BAM\1"
    l_text = struct.unpack_from("<i", data, 4)[0]
    assert data[8 : 8 + l_text].startswith(b"@HD\tVN:1.6")
    pos = 8 + l_text
    assert struct.unpack_from("<i", data, pos)[0] == 0  # no references
    pos += 4
    names = []
    while pos < len(data):
        block_size = struct.unpack_from("<i", data, pos)[0]
        l_read_name = data[pos + 12]
        flag = struct.unpack_from("<H", data, pos + 18)[0]
        l_seq = struct.unpack_from("<i", data, pos + 20)[0]
        assert flag == 4
        assert l_seq == 32
        names.append(data[pos + 36 : pos + 36 + l_read_name - 1].decode())
        pos += 4 + block_size
    assert names == [name for name, _, _ in datasets.READS]


def test_the_two_files_differ(tmp_path: Path) -> None:
    assert datasets.fastq_bytes() != datasets.bam_bytes()
