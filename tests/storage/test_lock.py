"""The load lock on a folder and on S3: one holder, a clear line when it waits too long."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sme_pulse.storage import Lake, LakeLock, LakeLockedError
from sme_pulse.storage.lake import HOST
from sme_pulse.storage.lock import lock_key

pytestmark = pytest.mark.integration


def test_a_second_load_waits_then_gives_up_with_one_line(lake: Lake) -> None:
    with LakeLock(lake, "sales"):
        assert lake.exists(lock_key("sales"))
        with pytest.raises(LakeLockedError) as failure, LakeLock(lake, "sales", wait_s=0.3):
            pass
    assert "another sales load still holds" in str(failure.value)
    assert "\n" not in str(failure.value)
    assert not lake.exists(lock_key("sales"))
    with LakeLock(lake, "sales"):
        pass


def test_a_dead_holders_lock_is_taken_over(lake: Lake) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    now = datetime.now(UTC).isoformat()
    holder = {"pid": int(dead), "host": HOST, "token": "gone", "acquired_at": now}
    lake.put_bytes(lock_key("sales"), json.dumps(holder).encode())
    with LakeLock(lake, "sales", wait_s=5):
        assert json.loads(lake.get_bytes(lock_key("sales")))["token"] != "gone"
    assert not lake.exists(lock_key("sales"))


def test_locks_of_different_sources_do_not_block_each_other(lake: Lake) -> None:
    with LakeLock(lake, "sales"), LakeLock(lake, "crm_customers", wait_s=0.3):
        pass
