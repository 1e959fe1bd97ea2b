"""Recorded API responses served through httpx, so replay mode runs the live parsing code.

Replay is a transport, not a second code path: the client still builds URLs, paginates
and parses exactly as against the real API; only the bytes come from files shipped in
the package (`sme_pulse/replay/`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from sme_pulse.config import Settings

Route = Callable[[httpx.Request], Path | None]


class ReplayTransport(httpx.BaseTransport):
    """Answers each request with the recorded file `route(request)` names, else 404."""

    def __init__(self, route: Route) -> None:
        self._route = route

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = self._route(request)
        if path is None or not path.is_file():
            return httpx.Response(404, json={"detail": f"no recording for {request.url}"})
        return httpx.Response(
            200,
            content=path.read_bytes(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            request=request,
        )


def transport_for(
    settings: Settings, route: Route, transport: httpx.BaseTransport | None = None
) -> httpx.BaseTransport | None:
    """The transport a source uses: the caller's, the recordings in replay mode, else HTTP."""
    if transport is None and settings.source_mode == "replay":
        return ReplayTransport(route)
    return transport
