"""How big and how slow: a request body over `max_body` bytes is a 413 (at once when its
Content-Length says so, else as soon as the bytes read pass it), a body that takes longer
than `timeout` a 408. Behind ContentDecoding, the bytes counted are the inflated ones."""

from __future__ import annotations

import asyncio
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.errors import BAD_USER_INPUT
from http_edge.refusal import refusal, send_json

MAX_BODY: Final = 1024 * 1024


class BodyTooLarge(Exception):
    pass


class BodyTooSlow(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_body: int = MAX_BODY, timeout: float = 30.0) -> None:
        self.app = app
        self.max_body = max_body
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await self._too_large(scope, send, close=True)
            return
        seen = 0
        started = False
        more = True

        async def counting_receive() -> Message:
            nonlocal seen, more
            if not more:
                return await receive()  # the body is in: now only a disconnect comes
            try:
                message = await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:
                raise BodyTooSlow from None
            if message["type"] == "http.request":
                more = bool(message.get("more_body", False))
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._too_large(scope, send)
        except BodyTooSlow:
            if not started:
                message = f"the request body took longer than {self.timeout:g} s"
                await send_json(send, 408, refusal(scope, "REQUEST_TIMEOUT", message))

    async def _too_large(self, scope: Scope, send: Send, *, close: bool = False) -> None:
        message = f"request body over {self.max_body} bytes"
        extra = [(b"connection", b"close")] if close else []
        await send_json(send, 413, refusal(scope, BAD_USER_INPUT, message), extra)
