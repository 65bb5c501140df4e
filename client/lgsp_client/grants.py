"""Presigned grants that outlive their URLs: one grant shared by the parts of a transfer,
renewed from the hub when it is about to expire or when the store refuses it.

The hub hands out download URLs valid minutes and upload URLs valid an hour; a large
transfer on a slow link outlasts them. A `Lease` holds the current grant (a fetch grant
or an upload plan), gives it to each part before it starts, asks the hub for a fresh one
(`refresh`) when its `expires_at` is near, and again when the store refused a part with
it (403, e.g. `AccessDenied: Request has expired`). Parts already done are kept by the
caller; only the parts not done yet use the new grant.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from lgsp_client.errors import TransferError

T = TypeVar("T")
Grant = Mapping[str, Any]
RENEW_MARGIN_SECONDS = 30.0
MAX_RENEWALS_WITHOUT_PROGRESS = 3
# How a store says a presigned request is no longer (or not) valid: S3 and SeaweedFS answer
# 403 AccessDenied ("Request has expired"); URLs signed with temporary credentials answer
# 400 ExpiredToken once those expire.
REFUSED_CODES = frozenset({"AccessDenied", "ExpiredToken", "TokenRefreshRequired",
                           "SignatureDoesNotMatch", "RequestExpired"})


def refused(exc: BaseException) -> bool:
    """Whether the store refused a request because of its grant (worth a fresh one)."""
    if not isinstance(exc, TransferError):
        return False
    return exc.status == 403 or (exc.status == 400 and exc.store_code in REFUSED_CODES)


def expires_at(grant: Grant) -> float | None:
    """`expires_at` as epoch seconds (None if absent or unreadable)."""
    try:
        value = datetime.datetime.fromisoformat(str(grant["expires_at"]))
    except (KeyError, ValueError):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.timestamp()


class Lease:
    """The current grant of one transfer, shared by its worker threads.

    `now` is the hub's clock (epoch seconds), against which `expires_at` is read. A grant
    counts as near its end when less than `margin` seconds, or less than half its life,
    are left; it is renewed before a part starts once it has served a part (so a grant
    shorter than a part is not renewed in a loop), or if it had expired on arrival.
    `renew` after a refusal asks for a fresh grant unless another thread already did;
    more than `max_renewals` renewals without a finished part in between give up with
    the store's refusal.
    """

    def __init__(self, grant: Grant, refresh: Callable[[], Grant] | None, *,
                 now: Callable[[], float] = time.time, margin: float = RENEW_MARGIN_SECONDS,
                 max_renewals: int = MAX_RENEWALS_WITHOUT_PROGRESS,
                 on_renew: Callable[[str], None] | None = None) -> None:
        self._grant = grant
        self._refresh = refresh
        self._now = now
        self._margin = margin
        self._max = max_renewals
        self._on_renew = on_renew
        self._lock = threading.Lock()
        self._received = now()
        self._fresh = True
        self._renewed = False
        self._strikes = 0
        self.renewals = 0

    @property
    def grant(self) -> Grant:
        return self._grant

    def _due(self) -> bool:
        """Renew before the next part? When the grant's end is near and it served a
        part already, or when it had already expired on arrival (once between parts)."""
        end = expires_at(self._grant)
        if end is None:
            return False
        left = end - self._now()
        if left >= min(self._margin, (end - self._received) / 2):
            return False
        return not self._fresh or (left <= 0 and not self._renewed)

    def _replace(self, why: str) -> None:
        assert self._refresh is not None
        if self._on_renew is not None:
            self._on_renew(why)
        self._grant = self._refresh()
        self._received = self._now()
        self._fresh = True
        self._renewed = True
        self.renewals += 1

    def current(self) -> Grant:
        """The grant to start a part with, renewed first if its end is near."""
        with self._lock:
            if self._refresh is not None and self._due():
                self._replace("expiring")
            return self._grant

    def renew(self, stale: Grant, refusal: TransferError) -> Grant:
        """A fresh grant after the store refused `stale`; re-raises `refusal` when there
        is no way to renew, or renewing stopped helping."""
        with self._lock:
            if self._grant is not stale:
                return self._grant  # another part already renewed it
            if self._refresh is None or self._strikes >= self._max:
                raise refusal
            self._strikes += 1
            self._replace("refused")
            return self._grant

    def attempt(self, work: Callable[[Grant], T]) -> T:
        """`work` with the current grant, again with a fresh one each time the store
        refuses it (as long as renewing helps); the part's result."""
        while True:
            grant = self.current()
            try:
                result = work(grant)
            except TransferError as exc:
                if not refused(exc):
                    raise
                self.renew(grant, exc)
                continue
            self.progressed()
            return result

    def progressed(self) -> None:
        """A part finished: renewals helped, and the grant has been used."""
        with self._lock:
            self._strikes = 0
            self._fresh = False
            self._renewed = False
