"""Compressed request bodies: `Content-Encoding: gzip` (openlineage-python's
`compression: gzip`) or `deflate` is inflated as it streams, in pieces of at most
`CHUNK` bytes, so the BodyLimit behind it counts the inflated bytes and stops a small
body that inflates past the limit before it is ever whole in memory. Any other encoding
is a 415 that names the accepted ones; a body that does not inflate is a 400."""

from __future__ import annotations

import zlib
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.errors import BAD_USER_INPUT
from http_edge.refusal import refusal, refuse, send_json

CHUNK: Final = 64 * 1024  # the most one piece of inflated body holds
GZIP: Final = "gzip"
DEFLATE: Final = "deflate"
ACCEPTED: Final = (GZIP, DEFLATE)
ALIASES: Final = {"x-gzip": GZIP}
ZLIB_HEADER: Final = 2  # bytes
DEFLATE_METHOD: Final = 8  # RFC 9110 section 8.4.1.3: the same as gzip
UNSUPPORTED_MEDIA_TYPE: Final = "UNSUPPORTED_MEDIA_TYPE"
# dropped from the inflated request: they describe the body as sent
SENT_AS: Final = (b"content-encoding", b"content-length")


class BadEncoding(Exception):
    pass


class Inflater:
    """One body's inflation; gzip may hold several members one after the other, and
    `deflate` is the zlib format, or raw deflate as some clients send it."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._z: zlib._Decompress | None = None
        self._input = b""
        self._full = False  # the last piece filled CHUNK: zlib may hold more output

    def feed(self, data: bytes) -> None:
        self._input += data

    def take(self) -> bytes:
        """The next piece of inflated body (b"" once all that was fed is inflated)."""
        try:
            while self._input or self._full:
                z = self._decompressor()
                if z is None:
                    break  # too few bytes yet to tell which format they are
                piece = z.decompress(self._input, CHUNK)
                self._input = z.unconsumed_tail
                self._full = len(piece) == CHUNK
                if z.eof:
                    self._next_member(z.unused_data)
                if piece:
                    return piece
        except zlib.error as exc:
            raise BadEncoding(f"the body is not valid {self.coding}: {exc}") from None
        return b""

    def finish(self) -> None:
        """At the end of the body: it must have ended where its compressed stream did."""
        if self._input or (self._z is not None and not self._z.eof):
            raise BadEncoding(f"the body ends inside its {self.coding} stream")

    def _decompressor(self) -> zlib._Decompress | None:
        """The stream's decompressor; None while a deflate body is too short to tell."""
        if self._z is not None and self._z.eof and self.coding != GZIP:
            raise BadEncoding(f"data after the end of the {self.coding} stream")
        if self._z is None or self._z.eof:
            if self.coding == GZIP:
                self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
            elif len(self._input) < ZLIB_HEADER:
                return None
            else:
                zlib_format = _zlib_header(self._input[:ZLIB_HEADER])
                self._z = zlib.decompressobj(zlib.MAX_WBITS if zlib_format else -zlib.MAX_WBITS)
        return self._z

    def _next_member(self, rest: bytes) -> None:
        if rest and self.coding != GZIP:
            raise BadEncoding(f"data after the end of the {self.coding} stream")
        self._input = rest + self._input
        self._full = False


def _zlib_header(head: bytes) -> bool:
    """Whether two bytes open a zlib stream (RFC 1950): method 8 (deflate), and a check
    that makes the 16-bit header a multiple of 31."""
    return head[0] & 0x0F == DEFLATE_METHOD and int.from_bytes(head) % 31 == 0


def coding_of(scope: Scope) -> str | None:
    """The one content coding the request's body is sent with ('' for none), or None
    when that is not one we accept."""
    raw = dict(scope["headers"]).get(b"content-encoding", b"").decode("latin-1")
    codings = [c.strip().lower() for c in raw.split(",")]
    codings = [ALIASES.get(c, c) for c in codings if c and c != "identity"]
    if not codings:
        return ""
    return codings[0] if len(codings) == 1 and codings[0] in ACCEPTED else None


class ContentDecoding:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        coding = coding_of(scope)
        if coding is None:
            message = "Content-Encoding must be one of " + ", ".join(ACCEPTED) + " (or none)"
            await refuse(scope, receive, send, 415, UNSUPPORTED_MEDIA_TYPE, message)
            return
        if not coding:
            await self.app(scope, receive, send)
            return
        inflater = Inflater(coding)
        done = False  # the whole body is read from the client
        ended = False  # and handed on: now only a disconnect comes
        started = False
        headers = [(k, v) for k, v in scope["headers"] if k not in SENT_AS]

        async def inflated_receive() -> Message:
            nonlocal done, ended
            while not ended:
                piece = inflater.take()
                if piece:
                    return {"type": "http.request", "body": piece, "more_body": True}
                if done:
                    inflater.finish()
                    ended = True
                    return {"type": "http.request", "body": b"", "more_body": False}
                message = await receive()
                if message["type"] != "http.request":
                    return message  # the client left
                inflater.feed(message.get("body", b""))
                done = not message.get("more_body", False)
            return await receive()

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app({**scope, "headers": headers}, inflated_receive, tracking_send)
        except BadEncoding as exc:
            if not started:
                await send_json(send, 400, refusal(scope, BAD_USER_INPUT, str(exc)))
