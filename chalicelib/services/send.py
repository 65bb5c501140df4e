"""Sending (R-SEND-2..4): allocate an exchange space, then verify what landed in it."""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass

from chalicelib.domain import identifiers, keys, lifecycle, reorg
from chalicelib.domain.content import (
    ContentPlan,
    PlannedPart,
    check_stored,
    expected_checksum,
    held_parts,
    plan_content,
)
from chalicelib.domain.deadlines import UPLOAD, upload_due
from chalicelib.domain.errors import (
    ConditionFailedError,
    ConflictError,
    ContentMismatchError,
    InvalidRequestError,
    NotFoundError,
    TransactionConflictError,
)
from chalicelib.domain.lifecycle import MessageState
from chalicelib.domain.ports import Condition, Item, Put, TransactOp, Update, UploadedPart
from chalicelib.domain.schemas import (
    CreateMessageRequest,
    CreateMessageResponse,
    HeldPart,
    UploadPlan,
    UploadRequest,
)
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services import counters, fanout
from chalicelib.services.access import message_for_source
from chalicelib.services.audit import trace_put
from chalicelib.services.deps import Deps
from chalicelib.services.registry import get_unit
from chalicelib.services.schedule import due_put
from chalicelib.services.views import message_view

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


@dataclass(frozen=True)
class Created:
    response: CreateMessageResponse
    replayed: bool


GROUP_PREFIX = "group:"


def _expand(deps: Deps, entries: list[str]) -> list[str]:
    """Unit codes as written, with each `group:<id>` replaced by its active members at
    the time of sending (R-PROP-7)."""
    from chalicelib.services import groups

    codes: list[str] = []
    for entry in entries:
        if entry.startswith(GROUP_PREFIX):
            codes.extend(groups.resolve_group(deps, entry[len(GROUP_PREFIX):]))
        else:
            codes.append(entry)
    return list(dict.fromkeys(codes))


def _too_many(count: int, limit: int, after: str = "") -> InvalidRequestError:
    return InvalidRequestError(f"At most {limit} destinations per message ({count}{after}).",
                               code="too_many_destinations", limit=limit)


@dataclass(frozen=True)
class Destinations:
    units: list[str]
    rerouted: dict[str, str]  # addressed code → the successor that receives (R-JOIN-5)
    remote: dict[str, str]  # a unit of a peer hub → that peer (docs/federation.md)


def _check_destinations(deps: Deps, entries: list[str]) -> Destinations:
    """The units that receive, which addressed codes their successors stand for
    (R-JOIN-5: a message to a merged or renamed unit goes to its successor), and which
    are units of peer hubs, a route sending them there (R-PROP-10)."""
    from chalicelib.services.relay_out import peer_for

    limit = deps.settings.max_destinations
    if len(entries) > limit:  # before reading anything for them
        raise _too_many(len(entries), limit)
    identifiers.check_destinations(entries)  # malformed: 400 naming it, before any read
    addressed = _expand(deps, entries)
    rerouted: dict[str, str] = {}
    remote: dict[str, str] = {}
    read: dict[str, Item | None] = {}

    def unit(code: str) -> Item | None:  # each unit read once, here and along its successors
        if code not in read:
            read[code] = get_unit(deps, code)
        return read[code]

    for code in addressed:
        if unit(code) is None and (peer := peer_for(deps, code)) is not None:
            remote[code] = peer
            continue
        target = reorg.route(code, unit)
        if target != code:
            rerouted[code] = target
    unique = list(dict.fromkeys(rerouted.get(code, code) for code in addressed))
    if not unique:
        raise InvalidRequestError("The groups addressed have no active member.",
                                  code="no_destination")
    if len(unique) > limit:
        raise _too_many(len(unique), limit, " after expanding groups")
    return Destinations(unique, rerouted, remote)


def _plan_of(msg: Item) -> ContentPlan:
    parts = tuple(PlannedPart(p["n"], p["offset"], p["size"], p["sha256_b64"])
                  for p in msg.get("parts", []))
    return ContentPlan(msg["upload_mode"], parts)


def _presign(deps: Deps, msg: Item, *, fresh: bool = False) -> UploadPlan:
    """Presigned requests for what the store does not hold yet (R-SEND-3); `fresh`: a
    multipart upload just started, holding nothing."""
    ttl = deps.settings.upload_url_seconds
    plan = _plan_of(msg)
    held: dict[int, str] = {}
    if not plan.multipart:
        req = deps.objects.presign_put(
            msg["object_key"], size=msg["size"], sha256_b64=expected_checksum(msg["sha256"], plan),
            content_type=msg["content_type"], expires_in=ttl)
        requests = [UploadRequest(part_number=None, method=req.method, url=req.url,
                                  headers=req.headers, offset=0, size=msg["size"])]
    else:
        requests = []
        if msg.get("upload_id") and not fresh:
            held = held_parts(plan, deps.objects.list_parts(msg["object_key"], msg["upload_id"]))
        for part in plan.parts:
            if part.number in held:
                continue
            req = deps.objects.presign_part(
                msg["object_key"], msg["upload_id"], part.number, size=part.size,
                sha256_b64=part.sha256_b64, expires_in=ttl)
            requests.append(UploadRequest(part_number=part.number, method=req.method,
                                          url=req.url, headers=req.headers,
                                          offset=part.offset, size=part.size))
    return UploadPlan(mode=plan.mode, expires_at=iso(deps.clock.now() + ttl), requests=requests,
                      uploaded=[HeldPart(part_number=n, etag=e) for n, e in sorted(held.items())])


def _fingerprint(body: CreateMessageRequest) -> str:
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def _replay(deps: Deps, caller: Caller, idem_key: str, fingerprint: str) -> Created | None:
    pk, sk = keys.idempotency(caller.app, idem_key)
    item = deps.table.get(pk, sk)
    if item is None:
        return None
    if item.get("ttl", 0) < deps.clock.now():
        # Expired but not yet swept by the table's TTL: clear it so the key can be reused.
        with contextlib.suppress(ConditionFailedError):
            deps.table.delete(pk, sk, Condition(equals={"ttl": item["ttl"]}))
        return None
    if item["fingerprint"] != fingerprint:
        raise ConflictError("This Idempotency-Key was used for a different request.",
                            code="idempotency_conflict")
    msg = message_for_source(deps, item["message_id"], caller.unit)
    upload = _presign(deps, msg) if msg["state"] == MessageState.REQUESTED else None
    return Created(CreateMessageResponse(message=message_view(msg), upload=upload), True)


def create_message(deps: Deps, caller: Caller, body: CreateMessageRequest,
                   idem_key: str | None) -> Created:
    """Validate a transfer request and allocate its exchange space (R-SEND-2)."""
    if idem_key is not None and not IDEMPOTENCY_KEY.match(idem_key):
        raise InvalidRequestError("Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 . _ -",
                                  code="invalid_idempotency_key")
    fingerprint = _fingerprint(body)
    if idem_key is not None and (replay := _replay(deps, caller, idem_key, fingerprint)):
        return replay
    destinations = _check_destinations(deps, body.to)
    s = deps.settings
    plan = plan_content(body.content, single_max=s.single_upload_max_bytes,
                        min_part=s.min_part_bytes, max_total=s.max_content_bytes)
    msg = _new_message(deps, caller, body, plan, destinations)
    try:
        if plan.multipart:
            msg["upload_id"] = deps.objects.create_multipart(
                msg["object_key"], content_type=body.content.content_type)
        upload = _presign(deps, msg, fresh=True)  # before the write: a failure leaves no message
        deps.table.transact(_creation_ops(deps, caller, msg, idem_key, fingerprint))
    except TransactionConflictError:  # not written: an Idempotency-Key raced us
        _forget_upload(deps, msg)
        if idem_key is not None and (replay := _replay(deps, caller, idem_key, fingerprint)):
            return replay
        raise
    except Exception:  # the write may have happened with its answer lost: look first
        if not _written(deps, msg["id"]):
            _forget_upload(deps, msg)
        raise
    return Created(CreateMessageResponse(message=message_view(msg), upload=upload), False)


def _new_message(deps: Deps, caller: Caller, body: CreateMessageRequest, plan: ContentPlan,
                 destinations: Destinations) -> Item:
    now, message_id = deps.clock.now(), deps.ids.new_id()
    return {
        "kind": "message", "version": lifecycle.VERSION, "id": message_id,
        "source": caller.unit, "source_app": caller.app,
        "to": destinations.units, "title": body.title, "priority": body.priority.value,
        "priority_rank": body.priority.rank, "data_type": body.data_type,
        "protocol": body.protocol, "state": MessageState.REQUESTED, "size": body.content.size,
        "sha256": body.content.sha256, "content_type": body.content.content_type,
        "file_name": body.content.file_name, "policy": body.policy.model_dump(),
        "created_at": now, "confirm_by": now + body.policy.confirm_within_seconds,
        "object_key": f"exchange/{message_id}/content", "upload_mode": plan.mode,
        "upload_id": "", "parts": [{"n": p.number, "offset": p.offset, "size": p.size,
                                    "sha256_b64": p.sha256_b64} for p in plan.parts],
        "addressed": body.to, "rerouted": destinations.rerouted,
        "remote": destinations.remote, "refused_uploads": 0,
    }


def _creation_ops(deps: Deps, caller: Caller, msg: Item, idem_key: str | None,
                  fingerprint: str) -> list[TransactOp]:
    """The message, its outbox entry, its first trace lines, the sweeper's look at its
    upload and the Idempotency-Key: all or nothing."""
    now, message_id = msg["created_at"], msg["id"]
    mpk, msk = keys.message(message_id)
    ops: list[TransactOp] = [Put({"pk": mpk, "sk": msk, **msg}, Condition(exists=False))]
    pk, sk = keys.outbox(caller.unit, now, message_id)
    ops.append(Put({"pk": pk, "sk": sk, "kind": "outbox", "id": message_id, "to": msg["to"],
                    "title": msg["title"], "priority": msg["priority"],
                    "state": MessageState.REQUESTED, "created_at": now}))
    ops.append(trace_put(deps, message_id, "requested", unit=caller.unit))
    ops += _reroute_lines(deps, message_id, msg["rerouted"])
    ops.append(due_put(UPLOAD, upload_due(now, msg["confirm_by"],
                                          deps.settings.abandon_after_seconds), message_id))
    if idem_key is not None:
        pk, sk = keys.idempotency(caller.app, idem_key)
        ops.append(Put({"pk": pk, "sk": sk, "kind": "idempotency", "message_id": message_id,
                        "fingerprint": fingerprint,
                        "ttl": now + deps.settings.idempotency_seconds},
                       Condition(exists=False)))
    return ops


def _written(deps: Deps, message_id: str) -> bool:
    """Whether a message whose write failed was written after all (unknown: yes, so its
    upload is kept; the sweeper abandons the message and purges the upload in time)."""
    try:
        return deps.table.get(*keys.message(message_id)) is not None
    except Exception:  # the table still does not answer: assume the worst case, written
        return True


def _forget_upload(deps: Deps, msg: Item) -> None:
    """Abort every multipart upload under the content's key of a message that was not
    written, also one whose creation the store did but whose answer was lost."""
    if msg["upload_mode"] == "multipart":
        deps.objects.abort_uploads(msg["object_key"])


def _reroute_lines(deps: Deps, message_id: str, rerouted: dict[str, str]) -> list[TransactOp]:
    """A trace line per address that went to a successor, or one line for many (the
    message keeps the whole map in `rerouted`)."""
    if len(rerouted) > lifecycle.REROUTE_LINES:
        return [trace_put(deps, message_id, "rerouted",
                          detail=f"{len(rerouted)} addresses → their successors")]
    return [trace_put(deps, message_id, "rerouted", unit=new, detail=f"{old} → {new}")
            for old, new in rerouted.items()]


def upload_plan(deps: Deps, caller: Caller, message_id: str) -> UploadPlan:
    """Fresh presigned URLs for a message still waiting for its content (resume)."""
    msg = message_for_source(deps, message_id, caller.unit)
    _refuse_abandoned(msg)
    if msg["state"] != MessageState.REQUESTED:
        raise ConflictError("The content of this message is already verified.",
                            code="already_verified")
    if msg["upload_mode"] == "multipart" and not msg.get("upload_id"):
        upload_id = deps.objects.create_multipart(msg["object_key"],
                                                  content_type=msg["content_type"])
        try:
            msg = deps.table.update(_set_upload_id(msg["id"], upload_id))
        except ConditionFailedError as exc:
            deps.objects.abort_multipart(msg["object_key"], upload_id)
            raise ConflictError("The message changed; retry.", code="conflict") from exc
    return _presign(deps, msg)


def _refuse_abandoned(msg: Item) -> None:
    if msg["state"] == MessageState.ABANDONED:
        raise ConflictError("The content never arrived in time and the message was "
                            "abandoned; send it again as a new message.", code="abandoned")


def _set_upload_id(message_id: str, upload_id: str) -> Update:
    pk, sk = keys.message(message_id)
    return Update(pk, sk, set={"upload_id": upload_id},
                  condition=Condition(equals={"state": MessageState.REQUESTED,
                                              "upload_id": ""}))


def complete(deps: Deps, caller: Caller | None, message_id: str,
             etags: dict[int, str]) -> Item:
    """The source says its upload is done (or the store said an object landed)."""
    return complete_upload(deps, caller, message_id, etags).message


def complete_upload(deps: Deps, caller: Caller | None, message_id: str,
                    etags: dict[int, str]) -> fanout.Delivered:
    """`complete`, with the deliveries it wrote: what its answer is built from."""
    msg = (message_for_source(deps, message_id, caller.unit) if caller is not None
           else deps.table.get(*keys.message(message_id)))
    if msg is None:
        raise NotFoundError("No such message.", code="message_not_found")
    _refuse_abandoned(msg)
    if msg["state"] != MessageState.REQUESTED:  # a retry also finishes a broadcast
        return fanout.Delivered(fanout.resume(deps, msg), None)
    if msg["upload_mode"] == "multipart":
        _complete_parts(deps, msg, etags)
    stored = deps.objects.head(msg["object_key"])
    if stored is None:
        raise ConflictError("The content has not been uploaded yet.", code="content_missing")
    try:
        check_stored(declared_size=msg["size"],
                     expected_b64=expected_checksum(msg["sha256"], _plan_of(msg)),
                     stored_size=stored.size, stored_b64=stored.sha256_b64)
    except ContentMismatchError as exc:
        _refuse_upload(deps, msg, exc)
        raise
    if lifecycle.needs_check(msg["protocol"]):  # the hub reads the package first
        from chalicelib.services import edxml_intake
        waiting = edxml_intake.store(deps, msg)  # for its check: no delivery yet
        return fanout.Delivered(waiting, [] if waiting["state"] == MessageState.CHECKING
                                else None)
    return fanout.deliver(deps, msg)


def _complete_parts(deps: Deps, msg: Item, etags: dict[int, str]) -> None:
    if deps.objects.head(msg["object_key"]) is not None:
        return
    plan = _plan_of(msg)
    expected = {p.number for p in plan.parts}
    if set(etags) != expected:
        raise InvalidRequestError(
            f"complete needs the ETag of each of the {len(expected)} parts.",
            code="parts_required")
    if not msg.get("upload_id"):
        raise ConflictError("The upload was refused earlier; ask for a new upload plan.",
                            code="content_missing")
    deps.objects.complete_multipart(msg["object_key"], msg["upload_id"], [
        UploadedPart(p.number, etags[p.number], p.sha256_b64) for p in plan.parts])


def _refuse_upload(deps: Deps, msg: Item, exc: ContentMismatchError) -> None:
    """Delete bytes that do not match; the message waits for a correct upload. Each
    refusal is counted; the first few are traced (a source retrying a bad upload cannot
    grow the trace without limit)."""
    deps.objects.delete(msg["object_key"])
    if msg["upload_mode"] == "multipart" and msg.get("upload_id"):
        deps.objects.abort_multipart(msg["object_key"], msg["upload_id"])  # refused parts
    pk, sk = keys.message(msg["id"])
    refused = int(msg.get("refused_uploads", 0))
    reset = {"upload_id": ""} if msg["upload_mode"] == "multipart" else {}
    ops: list[TransactOp] = [
        Update(pk, sk, set=reset, add={"refused_uploads": 1},
               condition=Condition(equals={"state": MessageState.REQUESTED})),
        counters.tally(deps, msg["source"], failures=1)]
    if lifecycle.traced(refused):
        ops.append(trace_put(deps, msg["id"], "upload_refused", unit=msg["source"],
                             detail=exc.code))
    try:
        deps.table.transact(ops)
    except TransactionConflictError:
        return
    counters.settle(deps, ops)
