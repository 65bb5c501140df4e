"""The exchange spaces on an S3-compatible store (AWS S3, SeaweedFS; moto in tests).

Content never passes through the functions: they only presign requests. Each presigned
upload signs the declared length and SHA-256 (`x-amz-checksum-sha256`), so the store itself
refuses any other bytes; `head` then reads back the checksum the store recorded.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from chalicelib.domain.content import composite_sha256_b64
from chalicelib.domain.errors import ContentMismatchError, NotFoundError
from chalicelib.domain.ports import PresignedRequest, StoredObject, StoredPart, UploadedPart

__all__ = ["S3ObjectStore", "attachment_disposition", "composite_sha256_b64",
           "ensure_bucket", "make_s3_client"]

SHA256 = "SHA256"
# Signed with every upload: moto records the checksum only when this header is present,
# and AWS S3 and SeaweedFS accept it.
_ALGORITHM_HEADER = {"x-amz-sdk-checksum-algorithm": SHA256}
_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})
_NO_BUCKET = frozenset({"404", "NoSuchBucket", "NotFound"})
_MULTIPART_ETAG = re.compile(r"-(\d+)\"?$")
# RFC 5987 attr-chars besides letters and digits: left unescaped in `filename*`.
_ATTR_CHARS = "!#$&+-.^_`|~"


def make_s3_client(*, endpoint_url: str | None, region: str, access_key: str | None,
                   secret_key: str | None, path_style: bool) -> Any:
    """An S3 client signing with SigV4 (presigned URLs default to SigV2 otherwise).

    Without keys it uses boto3's default chain (the Lambda role on AWS).
    """
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if path_style else "auto"},
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=5,
        read_timeout=60,
    )
    return boto3.client("s3", endpoint_url=endpoint_url, region_name=region,
                        aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                        config=config)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def ensure_bucket(client: Any, bucket: str) -> None:
    """Create `bucket` unless it exists already (safe to call on every start)."""
    try:
        client.head_bucket(Bucket=bucket)
        return
    except ClientError as exc:
        if _code(exc) not in _NO_BUCKET:
            raise
    region = client.meta.region_name
    extra: dict[str, Any] = {}
    if region and region != "us-east-1":
        extra["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        client.create_bucket(Bucket=bucket, **extra)
    except ClientError as exc:
        if _code(exc) != "BucketAlreadyOwnedByYou":
            raise


def attachment_disposition(file_name: str) -> str:
    """`Content-Disposition` for a download (RFC 6266): an ASCII `filename` for old clients
    and the exact UTF-8 name in `filename*` (RFC 5987), e.g. for Vietnamese names."""
    folded = unicodedata.normalize("NFKD", file_name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = "".join(
        c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else "_"
        for c in folded if not unicodedata.combining(c)
    ).strip() or "download"
    return (f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(file_name, safe=_ATTR_CHARS)}")


def _check_digest(sha256_b64: str) -> None:
    try:
        raw = base64.b64decode(sha256_b64, validate=True)
    except binascii.Error as exc:
        raise ValueError("sha256_b64 is not base64") from exc
    if len(raw) != 32:
        raise ValueError("sha256_b64 is not a SHA-256 digest")


def _qualified_checksum(value: str | None, checksum_type: str | None, etag: str) -> str | None:
    """The checksum with the `-N` part count S3 puts on multipart objects.

    moto's head_object leaves the suffix off (its get_object has it); the multipart ETag
    (`"…-N"`) carries the same count.
    """
    if not value or "-" in value or checksum_type == "FULL_OBJECT":
        return value
    match = _MULTIPART_ETAG.search(etag)
    return f"{value}-{match.group(1)}" if match else value


class S3ObjectStore:
    """`ObjectStore` on one bucket, through an injected boto3 S3 client, or one made by
    the first call that needs it (`on_first_use`)."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._make_client: Callable[[], Any] | None = None
        self._lock = threading.Lock()
        self.bucket = bucket

    @classmethod
    def on_first_use(cls, make_client: Callable[[], Any], bucket: str) -> S3ObjectStore:
        """A store whose client `make_client()` builds when a call first needs it: a cold
        function answering calls that never touch the store (an inbox listing) does not
        pay for an S3 client (P5b, docs/performance.md). Made once, whatever the threads;
        a `make_client` that raises fails that call, and the next call tries again."""
        store = cls(None, bucket)
        store._make_client = make_client
        return store

    @property
    def _s3(self) -> Any:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None and self._make_client is not None:
                    self._client = self._make_client()
                client = self._client
        return client

    def _presign(self, operation: str, params: dict[str, Any], expires_in: int,
                 method: str) -> str:
        url: str = self._s3.generate_presigned_url(
            operation, Params={"Bucket": self.bucket, **params}, ExpiresIn=expires_in,
            HttpMethod=method)
        return url

    def presign_put(self, key: str, *, size: int, sha256_b64: str, content_type: str,
                    expires_in: int) -> PresignedRequest:
        """A PUT whose signature covers length, type and SHA-256 of exactly these bytes."""
        _check_digest(sha256_b64)
        url = self._presign("put_object", {
            "Key": key, "ContentLength": size, "ContentType": content_type,
            "ChecksumAlgorithm": SHA256, "ChecksumSHA256": sha256_b64}, expires_in, "PUT")
        return PresignedRequest("PUT", url, {
            "content-length": str(size), "content-type": content_type,
            "x-amz-checksum-sha256": sha256_b64, **_ALGORITHM_HEADER})

    def create_multipart(self, key: str, *, content_type: str) -> str:
        """Start an upload whose parts each carry a SHA-256 (composite object checksum)."""
        created = self._s3.create_multipart_upload(
            Bucket=self.bucket, Key=key, ContentType=content_type,
            ChecksumAlgorithm=SHA256, ChecksumType="COMPOSITE")
        return str(created["UploadId"])

    def presign_part(self, key: str, upload_id: str, part_number: int, *, size: int,
                     sha256_b64: str, expires_in: int) -> PresignedRequest:
        """A part PUT whose signature covers the part's length and SHA-256."""
        _check_digest(sha256_b64)
        url = self._presign("upload_part", {
            "Key": key, "UploadId": upload_id, "PartNumber": part_number,
            "ContentLength": size, "ChecksumAlgorithm": SHA256,
            "ChecksumSHA256": sha256_b64}, expires_in, "PUT")
        return PresignedRequest("PUT", url, {
            "content-length": str(size), "x-amz-checksum-sha256": sha256_b64,
            **_ALGORITHM_HEADER})

    def complete_multipart(self, key: str, upload_id: str,
                           parts: Sequence[UploadedPart]) -> None:
        """Assemble the parts; the store checks each ETag and SHA-256 it recorded."""
        ordered = sorted(parts, key=lambda p: p.part_number)
        try:
            self._s3.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id,
                MultipartUpload={"Parts": [
                    {"PartNumber": p.part_number, "ETag": p.etag, "ChecksumSHA256": p.sha256_b64}
                    for p in ordered]})
        except ClientError as exc:
            refusal = self._refusal(exc, key, upload_id, ordered)
            if refusal is None:
                raise
            raise refusal from exc

    def _refusal(self, exc: ClientError, key: str, upload_id: str,
                 parts: Sequence[UploadedPart]) -> ContentMismatchError | None:
        """The domain error for a completion the store refused (None: not a refusal)."""
        code = _code(exc)
        if code == "InvalidPart":
            missing = self._missing_parts(key, upload_id, parts)
            if missing:
                return ContentMismatchError(
                    f"Parts {', '.join(map(str, missing))} were not uploaded.",
                    code="upload_incomplete", missing_parts=missing)
            return ContentMismatchError(
                "An uploaded part does not match its declared ETag or SHA-256.")
        if code in ("BadDigest", "InvalidDigest", "InvalidPartOrder"):
            return ContentMismatchError("The uploaded parts do not match the declared SHA-256.")
        if code == "EntityTooSmall":
            return ContentMismatchError("A part other than the last is below the minimum size.",
                                        code="size_mismatch")
        if code == "NoSuchUpload":
            return ContentMismatchError("The multipart upload no longer exists.",
                                        code="upload_incomplete")
        return None

    def _missing_parts(self, key: str, upload_id: str,
                       parts: Sequence[UploadedPart]) -> list[int]:
        """Part numbers of `parts` the store has not received."""
        received = {p.part_number for p in self.list_parts(key, upload_id)}
        return [p.part_number for p in parts if p.part_number not in received]

    def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        """ListParts, every page: number, ETag, size and (where the store reports it)
        SHA-256 of each part; `[]` for an upload that no longer exists."""
        found: list[StoredPart] = []
        try:
            for page in self._s3.get_paginator("list_parts").paginate(
                    Bucket=self.bucket, Key=key, UploadId=upload_id):
                found.extend(StoredPart(int(p["PartNumber"]), str(p["ETag"]), int(p["Size"]),
                                        p.get("ChecksumSHA256") or None)
                             for p in page.get("Parts", []))
        except ClientError as exc:
            if _code(exc) != "NoSuchUpload":
                raise
        return sorted(found, key=lambda p: p.part_number)

    def has_upload(self, key: str, upload_id: str) -> bool:
        """ListParts of one page: NoSuchUpload says the upload is gone."""
        try:
            self._s3.list_parts(Bucket=self.bucket, Key=key, UploadId=upload_id, MaxParts=1)
        except ClientError as exc:
            if _code(exc) == "NoSuchUpload":
                return False
            raise
        return True

    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop the upload's parts; an upload already gone is not an error."""
        try:
            self._s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ClientError as exc:
            if _code(exc) != "NoSuchUpload":
                raise

    def abort_uploads(self, key: str) -> int:
        """ListMultipartUploads under `key`, every page, and abort each of exactly `key`."""
        aborted = 0
        for page in self._s3.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=key):
            for upload in page.get("Uploads", []):
                if upload["Key"] == key:
                    self.abort_multipart(key, upload["UploadId"])
                    aborted += 1
        return aborted

    def head(self, key: str) -> StoredObject | None:
        """Size and recorded SHA-256 (composite `…-N` for multipart), None if absent."""
        try:
            meta = self._s3.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                return None
            raise
        checksum = _qualified_checksum(meta.get("ChecksumSHA256"), meta.get("ChecksumType"),
                                       str(meta.get("ETag", "")))
        return StoredObject(size=int(meta["ContentLength"]), sha256_b64=checksum)

    def read_chunks(self, key: str, *, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """GetObject's body read `chunk_size` at a time (the connection closed at the end,
        or when the reader stops early)."""
        try:
            answer = self._s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                raise NotFoundError("The content is not in the store.",
                                    code="content_not_found") from exc
            raise
        body = answer["Body"]
        try:
            yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def put_stream(self, key: str, chunks: Iterable[bytes], *, content_type: str,
                   part_size: int = 8 << 20) -> int:
        """Write the object from chunks as they come, one part in memory at a time (a
        single PUT when it all fits one part); an upload that fails is aborted. Returns
        the bytes written."""
        buffer, total, upload_id = bytearray(), 0, None
        parts: list[dict[str, Any]] = []
        try:
            for chunk in chunks:
                buffer += chunk
                total += len(chunk)
                while len(buffer) >= part_size:
                    if upload_id is None:
                        upload_id = self._s3.create_multipart_upload(
                            Bucket=self.bucket, Key=key, ContentType=content_type)["UploadId"]
                    parts.append(self._part(key, upload_id, len(parts) + 1,
                                            bytes(buffer[:part_size])))
                    del buffer[:part_size]
            if upload_id is None:
                self._s3.put_object(Bucket=self.bucket, Key=key, Body=bytes(buffer),
                                    ContentType=content_type)
                return total
            if buffer:
                parts.append(self._part(key, upload_id, len(parts) + 1, bytes(buffer)))
            self._s3.complete_multipart_upload(Bucket=self.bucket, Key=key,
                                               UploadId=upload_id,
                                               MultipartUpload={"Parts": parts})
            return total
        except BaseException:
            if upload_id is not None:
                self.abort_multipart(key, upload_id)
            raise

    def _part(self, key: str, upload_id: str, number: int, body: bytes) -> dict[str, Any]:
        answer = self._s3.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                      PartNumber=number, Body=body)
        return {"PartNumber": number, "ETag": answer["ETag"]}

    def presign_get(self, key: str, *, expires_in: int, file_name: str) -> PresignedRequest:
        """A GET that downloads the content as an attachment named `file_name`."""
        url = self._presign("get_object", {
            "Key": key, "ResponseContentDisposition": attachment_disposition(file_name)},
            expires_in, "GET")
        return PresignedRequest("GET", url, {})

    def delete(self, key: str) -> None:
        """Delete the object; a missing object is not an error."""
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) not in _NOT_FOUND:
                raise
