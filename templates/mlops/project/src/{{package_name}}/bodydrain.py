"""A refused request body's 413 goes out only once the client has sent the whole body.

The body limit (:class:`.problems.BodyLimit`) answers 413 at once from the Content-Length header
and closes the connection. A client that writes its whole body before it reads (Python's
http.client, requests, most load tools) was still writing: the server closed a socket with unread
data, the kernel reset the connection, and the client saw "connection reset by peer" instead of
the 413 (measured with 5 MB and 50 MB bodies). :class:`DrainRefusedBody` holds a 413 back until
the request body has been read to its end and thrown away, whatever its size, chunked or not.
A client that sent ``Expect: 100-continue`` gets the 413 at once: uvicorn asks for the body only
when the app reads it, so that client never sends it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class DrainRefusedBody:
    """Pure-ASGI middleware, outside the body limit: drain the body before a 413 answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", ())) if scope["type"] == "http" else {}
        if scope["type"] != "http" or headers.get(b"expect", b"").lower() == b"100-continue":
            await self.app(scope, receive, send)
            return
        ended = False

        async def tracked_receive() -> Message:
            nonlocal ended
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                ended = True
            return message

        async def draining_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 413:
                while not ended:  # read and discard the rest: the client then reads the 413
                    await tracked_receive()
            await send(message)

        await self.app(scope, tracked_receive, draining_send)
