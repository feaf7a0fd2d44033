"""Small, real, deterministic files for examples (`ln.dev.datasets.file_fastq()` ...).

The same call always writes the same bytes (gzip/BGZF headers carry no timestamp), so a
program that registers them can run any number of times and find its earlier DObjects.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

# Four reads of 32 bases with Phred+33 qualities: a valid FASTQ.
READS = [
    ("read_1", "GATTTGGGGTTCAAAGCAGTATCGATCAAATA", "IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII"),
    ("read_2", "ACGTACGTTTGACCAGTAGGCATCGAATCCGA", "IIIIIHHHHHGGGGGFFFFFEEEEEDDDDDCC"),
    ("read_3", "TTGCAAGGCTAGCTAGGATCCATGCAAGCTTA", "55555IIIIIIIIIIIIIIIIIIIIIIII999"),
    ("read_4", "CCCGGGTTTAAACGCGATATCGCGTTAACCGG", "IIIIIIIIIIIIIIIIIIIIIIIII#######"),
]


def _gzip(data: bytes) -> bytes:
    """A gzip member with mtime 0 and no file name: same input, same bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = compressor.compress(data) + compressor.flush()
    header = b"\x1f\x8b\x08\x00" + struct.pack("<I", 0) + b"\x00\xff"
    return header + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def fastq_bytes() -> bytes:
    """The gzip-compressed FASTQ that `file_fastq` writes."""
    text = "".join(f"@{name}\n{seq}\n+\n{qual}\n" for name, seq, qual in READS)
    return _gzip(text.encode())


def file_fastq(directory: str | Path = ".") -> Path:
    """Write `input.fastq.gz` (4 reads, gzip) into `directory` and return its path."""
    path = Path(directory) / "input.fastq.gz"
    path.write_bytes(fastq_bytes())
    return path


def _bgzf_block(data: bytes) -> bytes:
    """One BGZF block: a gzip member with the `BC` extra field holding its size."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = compressor.compress(data) + compressor.flush()
    block_size = 12 + 6 + len(body) + 8  # header + extra + deflate + crc/isize
    header = (
        b"\x1f\x8b\x08\x04"
        + struct.pack("<I", 0)
        + b"\x00\xff"
        + struct.pack("<H", 6)
        + b"BC"
        + struct.pack("<HH", 2, block_size - 1)
    )
    return header + body + struct.pack("<II", zlib.crc32(data), len(data))


# The empty block every BGZF file ends with (SAM/BAM specification, section 4.1.2).
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_BASES = {b: i for i, b in enumerate("=ACMGRSVTWYHKDBN")}


def _unmapped_record(name: str, seq: str, qual: str) -> bytes:
    """A BAM alignment record of an unmapped read (flag 4)."""
    read_name = name.encode() + b"\0"
    packed = bytearray()
    for i in range(0, len(seq), 2):
        high = _BASES[seq[i]] << 4
        low = _BASES[seq[i + 1]] if i + 1 < len(seq) else 0
        packed.append(high | low)
    quals = bytes(ord(c) - 33 for c in qual)
    core = struct.pack(
        "<iiBBHHHIiii",
        -1,
        -1,  # refID, pos: unmapped
        len(read_name),
        255,  # l_read_name, mapq (unavailable)
        4680,  # bin of an unmapped read (reg2bin(-1, 0))
        0,
        4,  # n_cigar_op, flag: unmapped
        len(seq),
        -1,
        -1,
        0,  # l_seq, next_refID, next_pos, tlen
    )
    body = core + read_name + bytes(packed) + quals
    return struct.pack("<i", len(body)) + body


def bam_bytes() -> bytes:
    """The BAM that `file_bam` writes: a header and the FASTQ's reads, unmapped."""
    text = b"@HD\tVN:1.6\tSO:unsorted\n@PG\tID:lineage-demo\tPN:producer_sdk\n"
    header = b"BAM\1" + struct.pack("<i", len(text)) + text + struct.pack("<i", 0)
    records = b"".join(_unmapped_record(*read) for read in READS)
    return _bgzf_block(header + records) + BGZF_EOF


def file_bam(directory: str | Path = ".") -> Path:
    """Write `output.bam` (BGZF-compressed BAM, 4 unmapped reads) into `directory`."""
    path = Path(directory) / "output.bam"
    path.write_bytes(bam_bytes())
    return path
