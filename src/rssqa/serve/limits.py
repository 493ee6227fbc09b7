"""A request-body limit enforced while the body streams in (ASGI middleware).

Starlette spools any multipart upload, whatever its size, before an endpoint sees it; this cuts
an over-long body off at ``max_bytes``, whether it declares its length or arrives chunked, and
answers 413 with a message instead of whatever the body parser would have made of the stump.
"""

from __future__ import annotations

import json


class BodyLimit:
    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        state = {"received": 0, "exceeded": False, "started": False}

        async def limited_receive():
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.max_bytes:
                    state["exceeded"] = True  # the inner app sees an end of body, we answer
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message):
            if state["exceeded"]:
                return  # whatever the app says about the stump is replaced by the 413
            state["started"] = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not state["exceeded"]:
                raise
        if state["exceeded"] and not state["started"]:
            await self._refuse(send)

    async def _refuse(self, send) -> None:
        limit_mb = self.max_bytes / 1024 / 1024
        body = json.dumps({"detail": f"the upload is larger than the server's limit of "
                           f"{limit_mb:.1f} MB: send a smaller file"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
