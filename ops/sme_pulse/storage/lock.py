"""One load at a time per source: a lock object in the lake itself.

Two loads of the same landing area (a manual run beside the scheduled one, an Airflow
retry while the first attempt still runs) would each do the whole work and race on the
manifest. The lock is `_locks/<name>.json`, created only if absent (O_EXCL on a folder,
a conditional PUT on S3), holding who took it. A second load waits for it and then
finds the work done; a lock whose holder died on this host (kill -9) or that is older
than `LOCK_STALE_SECONDS` is taken over.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from datetime import UTC, datetime
from types import TracebackType

from sme_pulse.storage.lake import HOST, Lake, LakeError, pid_alive

log = logging.getLogger(__name__)

LOCK_PREFIX = "_locks"
LOCK_WAIT_SECONDS = 1800.0
LOCK_STALE_SECONDS = 6 * 3600.0
POLL_SECONDS = 0.2


_HELD: set[str] = set()
"""Tokens of the locks this process holds: one of ours that is not here was left by a
load whose release failed (the lake was down) and can be taken over."""


class LakeLockedError(LakeError):
    """Another load held the lock for longer than this one would wait."""


def lock_key(name: str) -> str:
    return f"{LOCK_PREFIX}/{name}.json"


class LakeLock:
    """`with LakeLock(lake, "sales"):` runs the block while no other holder does."""

    def __init__(self, lake: Lake, name: str, wait_s: float = LOCK_WAIT_SECONDS) -> None:
        self._lake = lake
        self.name = name
        self.key = lock_key(name)
        self._wait_s = wait_s
        self._token = uuid.uuid4().hex
        self._said_waiting = False

    def _holder(self) -> dict[str, object] | None:
        try:
            document = json.loads(self._lake.get_bytes(self.key))
        except FileNotFoundError:
            return None
        except ValueError:
            return {}
        return document if isinstance(document, dict) else {}

    def _stale(self, holder: dict[str, object]) -> bool:
        pid = holder.get("pid")
        if holder.get("host") == HOST and pid == os.getpid():
            return holder.get("token") not in _HELD
        if holder.get("host") == HOST and isinstance(pid, int):
            return not pid_alive(pid)
        try:
            since = datetime.fromisoformat(str(holder["acquired_at"]))
        except (KeyError, ValueError):
            return True
        return (datetime.now(UTC) - since).total_seconds() > LOCK_STALE_SECONDS

    def _try_acquire(self) -> bool:
        document = {
            "pid": os.getpid(),
            "host": HOST,
            "token": self._token,
            "acquired_at": datetime.now(UTC).isoformat(),
        }
        if self._lake.create_exclusive(self.key, json.dumps(document).encode("utf-8")):
            return True
        holder = self._holder()
        if holder is None:
            return False
        if self._stale(holder):
            log.warning(
                "%s: taking over the lock of pid %s on %s (it is gone)",
                self._lake.location(self.key),
                holder.get("pid"),
                holder.get("host"),
            )
            self._lake.delete(self.key)
            return False
        if not self._said_waiting:
            log.warning(
                "waiting for %s: another %s load (pid %s on %s) holds it since %s",
                self._lake.location(self.key),
                self.name,
                holder.get("pid"),
                holder.get("host"),
                holder.get("acquired_at"),
            )
            self._said_waiting = True
        return False

    def __enter__(self) -> LakeLock:
        deadline = time.monotonic() + self._wait_s
        while not self._try_acquire():
            if time.monotonic() > deadline:
                raise LakeLockedError(
                    f"another {self.name} load still holds {self._lake.location(self.key)} "
                    f"after {self._wait_s:g} s; this run wrote nothing"
                )
            time.sleep(POLL_SECONDS)
        _HELD.add(self._token)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        _HELD.discard(self._token)
        try:
            holder = self._holder()
            if holder is not None and holder.get("token") == self._token:
                self._lake.delete(self.key)
        except LakeError:
            # The load's own failure (say, the lake went down) is the error to report; the
            # lock left behind is taken over by the next load (see `_stale`).
            if value is None:
                raise
            log.warning("could not release %s", self._lake.location(self.key))
