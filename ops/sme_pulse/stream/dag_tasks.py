"""Task bodies of the `sme_pulse_order_stream` DAG, callable without Airflow.

`drain` lands everything published since the last run (`consumer.consume`, once);
`check_lag` then measures what is still waiting (`lag.require_caught_up`) and fails the
run when bronze is further behind than STREAM_MAX_LAG_MINUTES: a consumer that cannot
keep up with the schedule shows as a failed run and an alert, not as quiet staleness.
"""

from __future__ import annotations

import logging
from typing import Any

from sme_pulse.config import Settings

log = logging.getLogger(__name__)


def drain(settings: Settings | None = None) -> dict[str, Any]:
    """Consume the order-events topic to its end into bronze; the run's counts."""
    from sme_pulse.stream.consumer import consume

    report = consume(settings or Settings.from_env(), once=True)
    log.info("%s", report.line())
    return {
        "messages": report.messages,
        "events_loaded": report.events_loaded,
        "rows_loaded": report.rows_loaded,
        "quarantined": report.quarantined,
        "parts": len(report.parts),
        "replayed": report.replayed,
    }


def check_lag(settings: Settings | None = None) -> dict[str, Any]:
    """The stream's lag after the drain (messages and minutes), failing past the limit."""
    from sme_pulse.stream.lag import require_caught_up
    from sme_pulse.stream.topics import ORDER_EVENTS_TOPIC

    lag = require_caught_up(settings or Settings.from_env(), ORDER_EVENTS_TOPIC)
    log.info("lag %s: %d messages, %.1f min", lag.topic, lag.messages, lag.minutes)
    return lag.as_dict()
