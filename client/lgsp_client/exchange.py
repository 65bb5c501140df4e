"""The two workflows an agency runs: send a file, and fetch-verify-confirm a received one.

Sending is resumable: the Idempotency-Key is derived from who sends what to whom, so
running the same send again finds the same message, uploads only the parts the store does
not hold yet, and skips the upload when the hub already holds the verified content.
Fetching is resumable too (`lgsp_client.download`). Both ask the hub for fresh presigned
URLs whenever theirs are about to expire or the store refuses them, so a transfer may
last longer than its URLs.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import secrets
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lgsp_client.api import JSON, LgspClient
from lgsp_client.download import Downloaded, download
from lgsp_client.errors import ChecksumMismatchError, LgspApiError, LgspError
from lgsp_client.options import parse_priority
from lgsp_client.transfer import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PART_SIZE,
    FileDigest,
    hash_file,
    upload,
)


def idempotency_key(access_key: str, to: Sequence[str], title: str, sha256: str,
                    size: int) -> str:
    """Same sender, recipients, title and content -> same key (so the same message)."""
    material = json.dumps([access_key, list(to), title, sha256, size], ensure_ascii=False,
                          separators=(",", ":"))
    return "lgsp-" + hashlib.sha256(material.encode("utf-8")).hexdigest()


def random_idempotency_key() -> str:
    """For `--new`: still safe to retry the create call, but never a replay."""
    return "lgsp-new-" + secrets.token_urlsafe(24)


def guess_content_type(file_name: str) -> str:
    guessed, _ = mimetypes.guess_type(file_name, strict=False)
    return guessed or "application/octet-stream"


def unique(codes: Sequence[str]) -> list[str]:
    """Recipients without blanks or repeats, first-seen order kept."""
    return list(dict.fromkeys(c.strip() for c in codes if c.strip()))


def create_request(*, to: Sequence[str], title: str, digest: FileDigest, file_name: str,
                   content_type: str, priority: str = "thuong", data_type: str = "document",
                   protocol: str = "file", confirm_within: int | None = None) -> JSON:
    """The body of `POST /v1/messages` for a hashed file. `priority` may be a slug, a
    Vietnamese label or an edXML code (0-3): the hub takes slugs only, so it is sent as one
    (ValueError if it is none of them)."""
    content: JSON = {"size": digest.size, "sha256": digest.sha256,
                     "content_type": content_type, "file_name": file_name}
    parts = digest.declared_parts()
    if parts is not None:
        content["parts"] = parts
    body: JSON = {"to": list(to), "title": title, "priority": parse_priority(priority),
                  "data_type": data_type, "protocol": protocol, "content": content}
    if confirm_within is not None:
        body["policy"] = {"confirm_within_seconds": confirm_within}
    return body


def hub_now(client: LgspClient) -> Callable[[], float]:
    """The hub's clock as this client knows it (its own, corrected by the offset learnt
    from a `clock_skew` answer), against which grants' `expires_at` are read."""
    auth = client.auth
    if auth is None:
        return time.time
    return lambda: float(auth.now())


@dataclass(frozen=True)
class SendResult:
    message: JSON
    uploaded: bool


def send_file(client: LgspClient, path: Path, *, to: Sequence[str], title: str,
              priority: str = "thuong", data_type: str = "document", protocol: str = "file",
              confirm_within: int | None = None, content_type: str | None = None,
              part_size: int = DEFAULT_PART_SIZE, concurrency: int = DEFAULT_CONCURRENCY,
              progress: bool = True, new: bool = False,
              note: Callable[[str], None] | None = None,
              on_part: Callable[[int], None] | None = None) -> SendResult:
    """Hash, create (or resume), upload what the store does not hold yet, complete.
    Returns the message as the hub sees it. `on_part(number)`: called after each part
    is stored."""
    say = note or (lambda _text: None)
    recipients = unique(to)
    priority = parse_priority(priority)  # before hashing a large file for nothing
    digest = hash_file(path, part_size, progress=progress)
    body = create_request(to=recipients, title=title, digest=digest, file_name=path.name,
                          content_type=content_type or guess_content_type(path.name),
                          priority=priority, data_type=data_type, protocol=protocol,
                          confirm_within=confirm_within)
    key = random_idempotency_key() if new else idempotency_key(
        client.auth.access_key if client.auth else "", recipients, title, digest.sha256,
        digest.size)
    created = client.create_message(body, key)
    message, plan = created["message"], created.get("upload")
    message_id = str(message["id"])
    if plan is None:
        say(f"{message_id}: the hub already holds this content; nothing to upload")
        return SendResult(client.message_status(message_id)["message"], uploaded=False)
    if held := plan.get("uploaded"):
        say(f"{message_id}: the store holds {len(held)} of {len(digest.parts)} parts "
            "already; uploading the others")

    def renewing(why: str) -> None:
        state = "expire soon" if why == "expiring" else "were refused"
        say(f"{message_id}: the upload URLs {state}; asking the hub for fresh ones")

    parts = upload(path, plan, concurrency=concurrency, progress=progress,
                   refresh=lambda: client.upload_plan(message_id), now=hub_now(client),
                   on_renew=renewing, on_part=on_part)
    status = client.complete(message_id, parts)
    return SendResult(dict(status.get("message") or message), uploaded=True)


def safe_file_name(name: str, fallback: str) -> str:
    """The last path component of a sender-chosen name, without control characters, so a
    received file can never land outside the chosen directory."""
    cleaned = "".join(c for c in name if unicodedata.category(c) != "Cc")
    base = Path(cleaned.replace("\\", "/")).name.strip()
    return base if base not in ("", ".", "..") else fallback


def target_path(dest: Path | None, file_name: str, message_id: str) -> tuple[Path, bool]:
    """Where to write, and whether the user named the file itself (then it may be
    overwritten; a name chosen by the sender never overwrites an existing file)."""
    name = safe_file_name(file_name, safe_file_name(message_id, "content"))
    if dest is None:
        return Path.cwd() / name, False
    if dest.is_dir():
        return dest / name, False
    if not dest.parent.is_dir():
        raise LgspError(f"the directory {dest.parent} does not exist", code="no_such_directory")
    return dest, True


@dataclass(frozen=True)
class FetchResult:
    file: Downloaded
    delivery: JSON


def beside(path: Path, message_id: str) -> Path:
    """`a/report.pdf` -> `a/report.<message id>.pdf`: a second name for a taken one."""
    tag = safe_file_name(message_id, "content")
    return path.with_name(f"{path.stem}.{tag}{path.suffix}")


def fetch_file(client: LgspClient, message_id: str, dest: Path | None = None, *,
               progress: bool = True, keep_both: bool = False,
               concurrency: int = DEFAULT_CONCURRENCY,
               note: Callable[[str], None] | None = None,
               on_part: Callable[[int], None] | None = None) -> FetchResult:
    """Fetch grant, download with SHA-256 (renewing the grant as needed, resuming the
    parts an earlier run wrote), atomic rename, confirm with the hash.

    On a mismatch the partial file is deleted, the hub is still told the computed hash (so
    it records the failed fetch), and `ChecksumMismatchError` is raised. `keep_both`: when
    the sender's file name is taken, write `beside` it rather than refuse, for unattended
    fetching, where two messages often carry the same file name.
    """
    grant = client.fetch(message_id)
    target, named = target_path(dest, str(grant.get("file_name") or ""), message_id)
    if not named and target.exists() and keep_both:
        target = beside(target, message_id)
    if not named and target.exists():
        raise LgspError(f"{target} already exists; choose a path with -o", code="file_exists")
    say = note or (lambda _text: None)

    def renewing(why: str) -> None:
        state = "expires soon" if why == "expiring" else "was refused"
        say(f"{message_id}: the download URL {state}; asking the hub for a fresh one")

    try:
        got = download(grant, target, progress=progress, concurrency=concurrency,
                       refresh=lambda: client.fetch(message_id), now=hub_now(client),
                       on_renew=renewing, on_part=on_part)
    except ChecksumMismatchError as mismatch:
        try:
            client.confirm(message_id, mismatch.actual)
        except LgspApiError as exc:
            if exc.code != "checksum_mismatch":
                mismatch.add_note(f"confirm failed too: {exc}")
        raise
    return FetchResult(got, client.confirm(message_id, got.sha256))
