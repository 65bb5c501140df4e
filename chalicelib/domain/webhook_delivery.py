"""The rules of a webhook delivery's life (issue 16, R-PROP-8; docs/webhooks.md,
"Delivery"): when an attempt succeeded, when the next one is, when the hub gives up and
when it disables an endpoint. Pure: the caller gives the time and the randomness.

A delivery is tried at once, then again after a back-off that doubles from the first
retry's (`first`, 30 s by default) up to an hour, each wait drawn between half and all of
its step ("equal jitter": endpoints that failed together do not come back together). It
is tried until `retry_for` (24 h by default) after the event, the last attempt falling at
that bound, and then becomes a dead letter. An endpoint is failing from the event of its
first failed delivery until a delivery succeeds; failing for `disable_after` (24 h by
default, the retry window: a delivery that failed its whole window disables it), it is
disabled, and its owner told.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_STEP = 3600  # the back-off stops doubling at an hour
DELIVERED = "delivered"
RETRY = "retry"
GIVE_UP = "give_up"

# Why a delivery ended in the dead letters (docs/webhooks.md)
GAVE_UP = "gave_up"
ENDPOINT_DISABLED = "endpoint_disabled"

# Why an endpoint is disabled
BY_OWNER = "owner"
FAILING = "failing"


@dataclass(frozen=True)
class Timing:
    """The delivery settings (`LGSP_WEBHOOK_*`)."""

    first: int = 30
    retry_for: int = 86400
    disable_after: int = 86400


def delivered(status: int | None) -> bool:
    """A 2xx answer is a delivery; anything else (a redirect, which is never followed,
    included) is a failed attempt."""
    return status is not None and 200 <= status < 300


def backoff(attempt: int, first: int, jitter: float) -> int:
    """Seconds to wait after failed attempt number `attempt` (1-based); `jitter` in
    [0, 1)."""
    step = min(MAX_STEP, first * 2 ** min(max(attempt - 1, 0), 20))
    return max(1, int(step / 2 + step / 2 * jitter))


def after_failure(attempt: int, since: int, now: int, timing: Timing,
                  jitter: float) -> tuple[str, int]:
    """What follows failed attempt `attempt` of a delivery tried since `since`:
    (`RETRY`, when) or (`GIVE_UP`, now)."""
    last = since + timing.retry_for
    if now >= last:
        return GIVE_UP, now
    return RETRY, min(now + backoff(attempt, timing.first, jitter), last)


def disable_now(failing_since: int | None, now: int, timing: Timing) -> bool:
    """Whether an endpoint that has failed since `failing_since` is disabled now."""
    return failing_since is not None and now - failing_since >= timing.disable_after
