"""Copy mode of the relay (docs/federation.md, "Which path the bytes take"): for a peer
whose store our units cannot reach (`content: copy` on its registration), a message it
hands over waits `requested` while the hub streams the content from the origin's store
(the presigned GET handed over, or a fresh one) into its own, one part in memory at a
time, checking size and SHA-256 as it goes; then it is verified and delivered from our
store, and deleted from it when our destinations are done, as any content of ours. A
copy that fails is tried again with back-off; one whose bytes do not match is deleted
and tried again. If the deadline comes first, the message is abandoned as an upload that
never arrived (the origin expires it at its own deadline)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator

from chalicelib.domain import keys, relay
from chalicelib.domain.errors import ConditionFailedError, LgspError
from chalicelib.domain.lifecycle import MessageState
from chalicelib.domain.ports import Condition, Item, Update
from chalicelib.services import fanout
from chalicelib.services.deps import Deps
from chalicelib.services.relay_fetch import origin_grant

log = logging.getLogger("lgsp.relay")


def copy_in(deps: Deps, msg: Item) -> int | None:
    """Copy `msg`'s content from its origin and deliver it; the time to try again if the
    copy failed (None: done, or nothing more to do)."""
    if msg["state"] != MessageState.REQUESTED or not msg.get("origin"):
        return None
    now = deps.clock.now()
    if now >= msg["confirm_by"]:
        return None  # the upload's due item abandons it
    attempts = int(msg.get("copy_attempts", 0)) + 1
    digest, counted = hashlib.sha256(), [0]

    def hashed(chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            digest.update(chunk)
            counted[0] += len(chunk)
            yield chunk

    try:
        grant, _ = origin_grant(deps, msg)
        deps.objects.put_stream(msg["object_key"],
                                hashed(deps.downloads.get(grant.url, dict(grant.headers))),
                                content_type=msg["content_type"])
    except (OSError, LgspError) as exc:
        log.info("relay: copy of %s from %s failed: %s", msg["id"], msg["origin"]["peer"],
                 exc)
        return _again(deps, msg, attempts, "copy_failed")
    if counted[0] != msg["size"] or digest.hexdigest() != msg["sha256"]:
        log.warning("relay: copy of %s from %s does not match what was handed over",
                    msg["id"], msg["origin"]["peer"])
        deps.objects.delete(msg["object_key"])
        return _again(deps, msg, attempts, "copy_mismatch")
    fanout.verify_and_deliver(deps, msg, {"copied": True, "copy_attempts": attempts})
    return None


def _again(deps: Deps, msg: Item, attempts: int, why: str) -> int:
    with contextlib.suppress(ConditionFailedError):  # delivered or abandoned meanwhile
        deps.table.update(Update(*keys.message(msg["id"]),
                                 set={"copy_attempts": attempts, "copy_error": why},
                                 condition=Condition(equals={"state": MessageState.REQUESTED})))
    return deps.clock.now() + relay.retry_after(attempts, msg["id"])
