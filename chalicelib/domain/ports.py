"""Ports: the small interfaces the use cases need from the outside world.

The domain owns these Protocols; `chalicelib/adapters/` implements them (DynamoDB, SQLite,
S3-compatible stores) and tests use the same adapters against moto or embedded backends.
Values stored in a table item are limited to `str`, `int`, `bool`, `None`, `list` and
`dict` of those (no floats: times are ISO strings or epoch seconds).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .master_keys import Keyring

Item = dict[str, Any]


@dataclass(frozen=True)
class Condition:
    """A write precondition both table adapters can evaluate atomically.

    - `exists=True`: the item must exist; `exists=False`: it must not exist.
    - `equals`: each attribute must exist and equal the value.
    - `one_of`: each attribute must exist and equal one of the values.
    All given parts must hold.
    """

    exists: bool | None = None
    equals: Mapping[str, Any] = field(default_factory=dict)
    one_of: Mapping[str, Sequence[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """One page of a query; `cursor` is opaque and None on the last page."""

    items: list[Item]
    cursor: str | None


@dataclass(frozen=True)
class Put:
    item: Item
    condition: Condition | None = None


@dataclass(frozen=True)
class Update:
    """Set, atomically add to, and remove attributes of one item.

    `add` adds integers (creating the attribute at 0 first). An update of an item that
    does not exist creates it (upsert) unless the condition says `exists=True`.
    """

    pk: str
    sk: str
    set: Mapping[str, Any] = field(default_factory=dict)
    add: Mapping[str, int] = field(default_factory=dict)
    remove: Sequence[str] = ()
    condition: Condition | None = None


@dataclass(frozen=True)
class Delete:
    pk: str
    sk: str
    condition: Condition | None = None


@dataclass(frozen=True)
class Check:
    """A transaction member that only asserts a condition on another item."""

    pk: str
    sk: str
    condition: Condition


TransactOp = Put | Update | Delete | Check


MAX_GET_MANY = 100  # DynamoDB's BatchGetItem bound


class Table(Protocol):
    """One key-value table: items keyed by the strings `pk` and `sk`.

    Items may carry `ttl` (epoch seconds): the item may vanish any time after it.
    Single-item writes raise `ConditionFailedError` when their condition does not hold;
    `transact` raises `TransactionConflictError` whose `reasons[i]` is
    `"ConditionalCheckFailed"` for each op whose condition failed (`""` for the others).
    """

    def get(self, pk: str, sk: str) -> Item | None: ...

    def get_many(self, keys: Sequence[tuple[str, str]]) -> list[Item | None]:
        """Up to `MAX_GET_MANY` items in one request, as `get` reads each one (latest
        committed), in the order asked; `None` for one that does not exist."""
        ...

    def put(self, item: Item, condition: Condition | None = None) -> None: ...

    def update(self, op: Update) -> Item:
        """Apply `op` and return the whole item as it is after the update."""
        ...

    def delete(self, pk: str, sk: str, condition: Condition | None = None) -> None: ...

    def query(
        self,
        pk: str,
        *,
        prefix: str | None = None,
        start: str | None = None,
        end: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        descending: bool = False,
    ) -> Page:
        """Items of one partition in `sk` order, optionally those whose `sk` starts with
        `prefix` or lies in `[start, end]` (inclusive); at most `limit` per page."""
        ...

    def transact(self, ops: Sequence[TransactOp]) -> None:
        """Apply all ops or none (at most 100 ops)."""
        ...


@dataclass(frozen=True)
class PresignedRequest:
    """An HTTP request a client sends straight to the object store."""

    method: str
    url: str
    headers: dict[str, str]


@dataclass(frozen=True)
class StoredObject:
    """What the store says about an object it holds.

    `sha256_b64` is the base64 SHA-256 of a single-PUT object, or for a multipart one the
    composite `base64(sha256(part digests…))-N` as S3 reports it; None if the store did not
    record a checksum.
    """

    size: int
    sha256_b64: str | None


@dataclass(frozen=True)
class UploadedPart:
    part_number: int
    etag: str
    sha256_b64: str


@dataclass(frozen=True)
class StoredPart:
    """A part the store holds for an open multipart upload. `sha256_b64` is None when the
    store does not report part checksums (SeaweedFS, moto); AWS S3 does."""

    part_number: int
    etag: str
    size: int
    sha256_b64: str | None


class ObjectStore(Protocol):
    """The exchange spaces: one bucket of an S3-compatible store, reached by presigned URLs."""

    def presign_put(
        self, key: str, *, size: int, sha256_b64: str, content_type: str, expires_in: int
    ) -> PresignedRequest:
        """A PUT the store accepts only with exactly these bytes (length and SHA-256 bound)."""
        ...

    def create_multipart(self, key: str, *, content_type: str) -> str:
        """Start a multipart upload with SHA-256 part checksums; returns the upload id."""
        ...

    def presign_part(
        self, key: str, upload_id: str, part_number: int, *, size: int, sha256_b64: str,
        expires_in: int,
    ) -> PresignedRequest: ...

    def complete_multipart(self, key: str, upload_id: str, parts: Sequence[UploadedPart]) -> None:
        """Raise `ContentMismatchError` if the store refuses the parts (missing or changed)."""
        ...

    def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        """The parts the store holds for an open upload, by part number; `[]` once the
        upload is gone (completed or aborted)."""
        ...

    def has_upload(self, key: str, upload_id: str) -> bool:
        """Whether the store still holds the open multipart upload `upload_id` of `key`
        (False once it is completed, aborted, or lost with the store's data)."""
        ...

    def abort_multipart(self, key: str, upload_id: str) -> None: ...

    def abort_uploads(self, key: str) -> int:
        """Abort every multipart upload of `key`, also those whose id the hub never got
        (their creation's answer was lost); returns how many."""
        ...

    def head(self, key: str) -> StoredObject | None: ...

    def read_chunks(self, key: str, *, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """The object's bytes as they arrive from the store, in chunks of at most
        `chunk_size` (memory does not grow with the object): for the hub to read content
        it must check (an edXML package's header) without a request handler holding it.
        `NotFoundError` if the object is absent."""
        ...

    def put_stream(self, key: str, chunks: Iterable[bytes], *, content_type: str,
                   part_size: int = 8 << 20) -> int:
        """Write an object from chunks with one part in memory at a time: the hub's own
        copy of content it could not hand on directly (a relayed message, copy mode).
        Returns the bytes written."""
        ...

    def presign_get(self, key: str, *, expires_in: int, file_name: str) -> PresignedRequest: ...

    def delete(self, key: str) -> None:
        """Delete the object; deleting a missing object is not an error."""
        ...


class Downloads(Protocol):
    """GET a URL outside the hub (another hub's store, presigned) as a stream."""

    def get(self, url: str, headers: dict[str, str], *, chunk_size: int = 1 << 20
            ) -> Iterator[bytes]:
        """The answer's body in chunks; OSError if it cannot be had (no answer, a status
        other than 200)."""
        ...


class Clock(Protocol):
    def now(self) -> int:
        """Current time, epoch seconds (UTC)."""
        ...


class IdFactory(Protocol):
    def new_id(self) -> str:
        """A new unguessable, time-ordered identifier."""
        ...


class SecretSealer(Protocol):
    """Encrypts secrets at rest (envelope encryption under a keyring of master keys);
    `context` binds the ciphertext."""

    def seal(self, plaintext: bytes, context: str) -> str:
        """Seal under the master key that is current now."""
        ...

    def open(self, sealed: str, context: str) -> bytes:
        """Open under whichever master key of the keyring sealed it."""
        ...

    def current_key_id(self) -> str: ...

    def key_id_of(self, sealed: str) -> str | None:
        """The master key an envelope names (None: an old envelope that names none)."""
        ...

    def reseal(self, sealed: str, context: str, key_id: str) -> str | None:
        """The secret sealed again under master key `key_id`, or None if it already is."""
        ...


class KeyringStore(Protocol):
    """Where the master keyring lives (a key file, a Secrets Manager secret); `where`
    names it in messages. Only a rotation saves."""

    where: str

    def load(self) -> Keyring: ...

    def save(self, keyring: Keyring) -> None: ...


@dataclass(frozen=True)
class Event:
    """A state change told to one recipient unit: ids, priority and times, never content.
    Presence events (`unit.online`, `unit.offline`) have no message and no priority."""

    type: str
    recipient: str
    message_id: str | None
    priority: str | None
    at: int
    data: Mapping[str, Any] = field(default_factory=dict)


class Topic(Protocol):
    """The pub/sub topic (SNS in the cloud, in-process fan-out locally)."""

    def publish(self, event: Event) -> None: ...


class Connections(Protocol):
    """The WebSocket gateway's management API (`@connections`), addressed by the endpoint
    of the gateway that holds the connection (API Gateway, or a local host process)."""

    def post(self, endpoint: str, connection_id: str, data: bytes) -> None:
        """Send one frame; raise `ConnectionGoneError` if the connection is gone."""
        ...

    def close(self, endpoint: str, connection_id: str) -> None:
        """Close the connection (no error if it is already gone)."""
        ...


class FormPoster(Protocol):
    """Outbound HTTP for notices the hub sends to apps (back-channel logout tokens)."""

    def post_form(self, url: str, fields: Mapping[str, str], *, timeout: float) -> int:
        """POST `fields` form-encoded to `url`, without following redirects; the status,
        or OSError when nothing answered in `timeout` seconds."""
        ...


@dataclass(frozen=True)
class HttpAnswer:
    """What another hub answered: its status, its body (at most the limit asked for) and
    how long the exchange took."""

    status: int
    body: bytes
    elapsed_ms: float


@dataclass(frozen=True)
class RelayedAnswer:
    """What a service answered a proxied call: its status, the answer headers a caller
    may see (lower-case names), its whole body and how long the exchange took."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed_ms: float


class PeerTransport(Protocol):
    """Outbound HTTP to peer hubs (their API, their JWKS): `adapters/peer_http.py`."""

    def send(self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | None,
             connect_timeout: float, read_timeout: float, max_answer: int) -> HttpAnswer:
        """One request, no redirect followed (a 3xx is the answer); OSError when nothing
        usable answered in time, or the answer is longer than `max_answer` bytes."""
        ...


class OutboundPoster(Protocol):
    """POSTs to URLs somebody gave the hub (webhook endpoints): `adapters/safe_http.py`,
    under the rules of `domain/outbound.py`."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float,
             max_answer: int) -> HttpAnswer:
        """The status, the answer's first `max_answer` bytes and the time taken;
        `OutboundRefusedError` before connecting to an address the rules refuse,
        `OutboundFailedError` when nothing usable answered in time."""
        ...

    def request(self, method: str, url: str, body: bytes, headers: Mapping[str, str], *,
                timeout: float, max_answer: int) -> RelayedAnswer:
        """Any method; the status, the safe headers and the whole answer up to
        `max_answer` bytes (longer: `OutboundFailedError` `too_large`): the catalogue's
        proxy."""
        ...

    def check(self, url: str) -> object:
        """`OutboundRefusedError` if the hub would not send to `url` (checked when an
        endpoint is registered); nothing is sent."""
        ...
