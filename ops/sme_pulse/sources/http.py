"""JSON over HTTP with the retry policy every source shares.

Public APIs fail in the usual ways (timeouts, 5xx, 429 with `Retry-After`, a body cut
short); each request is retried with exponential backoff and jitter, inside a total time
budget per source, and a source that stays broken ends in one `SourceError` line that
names the URL and the last cause, which is what an operator reads in the task log.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import tenacity

from sme_pulse.config import Settings
from sme_pulse.errors import SmePulseError

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 300.0


class SourceError(SmePulseError, RuntimeError):
    """A source cannot deliver; `str()` is a one-line reason fit for an operator."""


class _RetryableError(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date form)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(delta, 0.0), MAX_RETRY_AFTER_S)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    budget_s: float = 120.0
    initial_wait_s: float = 0.5
    max_wait_s: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(max_attempts=settings.http_max_attempts, budget_s=settings.http_budget_s)


class _WaitHonouringRetryAfter(tenacity.wait.wait_base):
    """Exponential backoff with jitter, but never shorter than the server asked for."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = tenacity.wait_exponential_jitter(
            initial=policy.initial_wait_s, max=policy.max_wait_s
        )

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        wait = self._backoff(retry_state)
        outcome = retry_state.outcome
        if outcome is not None and outcome.failed:
            exc = outcome.exception()
            if isinstance(exc, _RetryableError) and exc.retry_after is not None:
                wait = max(wait, exc.retry_after)
        return wait


class JsonClient:
    """Fetches JSON documents for one source, retrying transient failures."""

    def __init__(
        self,
        source: str,
        *,
        timeout_s: float = 20.0,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.source = source
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._client = httpx.Client(
            timeout=timeout_s,
            transport=transport,
            headers={"User-Agent": "sme-pulse/0.1", **(headers or {})},
            follow_redirects=True,
        )

    @classmethod
    def from_settings(
        cls,
        source: str,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
    ) -> JsonClient:
        """A client with the configured timeout and retry policy (or `policy`)."""
        return cls(
            source,
            timeout_s=settings.http_timeout_s,
            policy=policy or RetryPolicy.from_settings(settings),
            transport=transport,
        )

    def __enter__(self) -> JsonClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _attempt(self, url: str, params: Mapping[str, Any] | None) -> tuple[Any, str]:
        try:
            response = self._client.get(url, params=params)
        except httpx.TimeoutException as exc:
            raise _RetryableError(f"timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise _RetryableError(f"connection failed: {exc or type(exc).__name__}") from exc
        if response.status_code in RETRYABLE_STATUS:
            raise _RetryableError(
                f"HTTP {response.status_code}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if response.status_code >= 400:
            raise SourceError(
                f"{self.source}: HTTP {response.status_code} from {response.request.url}"
            )
        try:
            return response.json(), str(response.request.url)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            # A body cut short, or a proxy's error page served with 200, is worth another try.
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            start = " ".join(response.text[:60].split())
            raise _RetryableError(
                f"invalid JSON body ({kind}, starts {start!r}): {str(exc)[:120]}"
            ) from exc

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> tuple[Any, str]:
        """Return `(document, final_url)`; raise `SourceError` once retries are exhausted."""
        started = time.monotonic()
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_RetryableError),
            stop=(
                tenacity.stop_after_attempt(self.policy.max_attempts)
                | tenacity.stop_before_delay(self.policy.budget_s)
            ),
            wait=_WaitHonouringRetryAfter(self.policy),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(self._attempt, url, params)
        except _RetryableError as exc:
            attempts = retrying.statistics.get("attempt_number", 1)
            elapsed = time.monotonic() - started
            raise SourceError(
                f"{self.source}: {url} failed after {attempts} attempt(s) in {elapsed:.1f}s: {exc}"
            ) from exc
