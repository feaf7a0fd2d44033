"""The inflation of compressed request bodies (http_edge.middleware.decoding.Inflater):
whatever way the body is cut into messages, it inflates to what was sent, in pieces of
at most CHUNK bytes; gzip may hold several members; broken streams are refused."""

from __future__ import annotations

import gzip
import random
import zlib

import pytest

from http_edge.middleware.decoding import CHUNK, BadEncoding, Inflater


def _cut(data: bytes, rng: random.Random) -> list[bytes]:
    """`data` in pieces of random sizes, single bytes among them."""
    pieces, at = [], 0
    while at < len(data):
        size = rng.choice([1, 2, 3, rng.randrange(1, 4096), rng.randrange(1, 200_000)])
        pieces.append(data[at : at + size])
        at += size
    return pieces


def _inflate(coding: str, pieces: list[bytes]) -> list[bytes]:
    inflater = Inflater(coding)
    out = []
    for piece in pieces:
        inflater.feed(piece)
        while chunk := inflater.take():
            out.append(chunk)
    inflater.finish()
    return out


def _raw_deflate(data: bytes) -> bytes:
    z = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return z.compress(data) + z.flush()


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", _raw_deflate),
    ],
)
def test_any_cut_inflates_to_the_body_in_bounded_pieces(
    coding: str, compress: object, rng: random.Random
) -> None:
    body = bytes(rng.randrange(256) for _ in range(3000)) * 200 + b"\0" * (3 * CHUNK)
    sent = compress(body)  # type: ignore[operator]
    for cut in (
        _cut(sent, rng),
        [sent[:1], sent[1:]],
        [bytes([b]) for b in sent[:64]] + [sent[64:]],
    ):
        pieces = _inflate(coding, cut)
        assert b"".join(pieces) == body
        assert max(len(p) for p in pieces) <= CHUNK


def test_gzip_members_one_after_the_other(rng: random.Random) -> None:
    sent = gzip.compress(b"first ") + gzip.compress(b"second")
    assert b"".join(_inflate("gzip", _cut(sent, rng))) == b"first second"


def test_broken_streams_are_refused() -> None:
    whole = zlib.compress(b"{}" * 1000)
    with pytest.raises(BadEncoding, match="ends inside"):
        _inflate("deflate", [whole[:-4]])
    with pytest.raises(BadEncoding, match="after the end"):
        _inflate("deflate", [whole + b"more"])
    with pytest.raises(BadEncoding, match="after the end"):
        _inflate("deflate", [whole, b"more"])  # in a message of its own
    with pytest.raises(BadEncoding, match="not valid gzip"):
        _inflate("gzip", [b"plain text"])
    with pytest.raises(BadEncoding, match="ends inside"):
        _inflate("deflate", [b"x"])  # too short to tell zlib from raw deflate


def test_an_empty_body_inflates_to_nothing() -> None:
    assert _inflate("gzip", [b""]) == []
