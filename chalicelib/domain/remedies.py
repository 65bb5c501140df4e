"""What to do about a line of a unit's error log (R-OPS-5): a short remedy, in Vietnamese
and English, for each error code and kind of line, so an agency's IT staff can fix their
integration without calling the province. Pure: a mapping, no I/O.

A line's `kind` says what happened: `refused` (the hub refused a call), `fetch_failed`
(a destination confirmed with another SHA-256), `expired` (a deadline passed, or the
content never arrived), `undeliverable` (a destination cannot receive), `webhook` (the hub
disabled one of the unit's webhook endpoints). The remedy of
`(kind, code)` is looked up first, then that of the code, then the kind's, then a generic
text pointing to docs/api.md.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("refused", "fetch_failed", "expired", "undeliverable", "webhook")


@dataclass(frozen=True)
class Remedy:
    vi: str
    en: str


_SIGNED = Remedy(
    "Kiểm tra các thành phần được ký (@method, @target-uri, content-digest) và khóa: "
    "mã khóa (keyid) phải đúng với khóa bí mật/khóa riêng dùng để ký.",
    "Check that the signed components (@method, @target-uri, content-digest) and the key "
    "match: the keyid must be the one of the secret or private key used to sign.")
_BODY = Remedy(
    "Sửa nội dung yêu cầu theo đúng lược đồ trong docs/api.md (trường bị lỗi có trong "
    "thông báo); không gửi trường lạ.",
    "Fix the request body to the shape in docs/api.md (the message names the field); send "
    "no unknown fields.")
_STATE = Remedy(
    "Đọc lại trạng thái gói tin (GET /v1/messages/{id}) rồi mới gọi tiếp; không lặp lại "
    "thao tác đã xong.",
    "Read the message's state (GET /v1/messages/{id}) before calling again; do not repeat "
    "a step already done.")
_DESTINATION = Remedy(
    "Kiểm tra mã đơn vị nhận trong danh bạ (GET /v1/directory/{code}): đơn vị phải tồn tại "
    "và đang hoạt động.",
    "Check the destination's code in the directory (GET /v1/directory/{code}): the unit "
    "must exist and be active.")
_TOKEN = Remedy(
    "Đăng nhập lại hoặc làm mới mã truy cập (refresh token) rồi gọi lại.",
    "Sign in again or refresh the access token, then call again.")
_ROLE = Remedy(
    "Tài khoản hoặc ứng dụng không có quyền này: đề nghị quản trị đơn vị hoặc Sở cấp quyền "
    "phù hợp.",
    "The app or account lacks this right: ask the unit's admin or the operators for it.")
_PAGING = Remedy(
    "Sửa tham số truy vấn (limit 1-200, cursor lấy từ next_cursor của trang trước, kỳ báo "
    "cáo hợp lệ).",
    "Fix the query (limit 1-200, cursor from the previous page's next_cursor, a valid "
    "period).")

_BY_CODE: dict[str, Remedy] = {
    # authentication (docs/auth.md)
    "signature_missing": Remedy(
        "Ký mọi yêu cầu theo RFC 9421: gửi đủ hai header Signature và Signature-Input "
        "(nhãn lgsp).",
        "Sign every request per RFC 9421: send both Signature and Signature-Input headers "
        "(label lgsp)."),
    "signature_invalid": _SIGNED,
    "digest_mismatch": Remedy(
        "Tính Content-Digest (sha-256, RFC 9530) trên đúng các byte được gửi, sau mọi bước "
        "mã hóa; không sửa nội dung sau khi ký.",
        "Compute Content-Digest (sha-256, RFC 9530) over the exact bytes sent, after any "
        "encoding; do not change the body after signing."),
    "clock_skew": Remedy(
        "Đồng bộ đồng hồ máy chủ bằng NTP; header LGSP-Server-Time cho biết giờ của trục "
        "(GET /v1/time).",
        "Sync the server's clock with NTP; the LGSP-Server-Time header gives the hub's time "
        "(GET /v1/time)."),
    "signature_expired": Remedy(
        "Ký lại ngay trước khi gửi; tham số expires phải ở sau thời điểm gửi.",
        "Sign right before sending; the expires parameter must be after the send time."),
    "nonce_required": Remedy(
        "Thêm tham số nonce (16-128 ký tự A-Z a-z 0-9 _ -) vào chữ ký của mọi yêu cầu thay "
        "đổi dữ liệu.",
        "Add a nonce (16-128 of A-Z a-z 0-9 _ -) to the signature of every request that "
        "changes something."),
    "replayed": Remedy(
        "Dùng một nonce mới cho mỗi yêu cầu, kể cả khi gửi lại; ký lại yêu cầu gửi lại.",
        "Use a fresh nonce per request, retries included: sign a retried request again."),
    "key_revoked": Remedy(
        "Khóa đã bị thu hồi hoặc hết hạn (hoặc ứng dụng/đơn vị bị tạm dừng): dùng khóa "
        "hiện hành hoặc đề nghị cấp khóa mới.",
        "The key is revoked or past its validity (or its app or unit is suspended): use the "
        "current key or ask for a new one."),
    "algorithm_mismatch": Remedy(
        "Ký bằng đúng thuật toán gắn với khóa (xem GET /v1/keys); tham số alg phải khớp.",
        "Sign with the algorithm bound to the key (see GET /v1/keys); alg must match."),
    "algorithm_not_allowed": Remedy(
        "hmac-sha1 chỉ dành cho ứng dụng cũ được phép: chuyển sang hmac-sha256 hoặc RSA.",
        "hmac-sha1 is only for apps flagged legacy: move to hmac-sha256 or RSA."),
    "ticket_invalid": Remedy(
        "Xin vé WebSocket mới (POST /v1/ws/tickets) và dùng trong vòng một phút, một lần.",
        "Ask for a new WebSocket ticket (POST /v1/ws/tickets) and use it once, within a "
        "minute."),
    "token_missing": _TOKEN, "invalid_token": _TOKEN, "token_expired": _TOKEN,
    "token_revoked": _TOKEN,
    "wrong_audience": Remedy(
        "Xin mã truy cập cho đúng ứng dụng/đối tượng (audience) của trục.",
        "Get an access token for the hub's audience."),
    # any call
    "invalid_json": _BODY, "validation_failed": _BODY, "invalid_request": _BODY,
    "unsupported_media_type": Remedy(
        "Gửi nội dung với Content-Type: application/json.",
        "Send the body with Content-Type: application/json."),
    "invalid_limit": _PAGING, "invalid_cursor": _PAGING, "invalid_period": _PAGING,
    "forbidden": _ROLE, "access_denied": Remedy(
        "Chưa có quyền gọi dịch vụ này: đề nghị Sở cấp quyền (grant) cho ứng dụng.",
        "No grant covers this service call: ask the operators for a grant."),
    "busy": Remedy(
        "Trục đang bận, chưa có gì được ghi: gửi lại đúng yêu cầu sau giây lát.",
        "The hub was busy and wrote nothing: send the same request again shortly."),
    # sending and receiving (docs/api.md)
    "unknown_destination": _DESTINATION, "inactive_destination": _DESTINATION,
    "no_destination": _DESTINATION, "invalid_unit_code": Remedy(
        "Sửa mã định danh đơn vị theo QCVN 102:2016 (thông báo chỉ rõ phần sai).",
        "Fix the unit code per QCVN 102:2016 (the message names the faulty part)."),
    "too_many_destinations": Remedy(
        "Chia thành nhiều gói tin, mỗi gói không quá số đơn vị nhận cho phép.",
        "Split into several messages, each within the allowed number of destinations."),
    "content_too_large": Remedy(
        "Nội dung vượt quá dung lượng tối đa: nén hoặc chia nhỏ tệp.",
        "The content is over the maximum size: compress or split the file."),
    "parts_required": Remedy(
        "Gửi ETag của từng phần đã tải lên khi gọi complete.",
        "Send every uploaded part's ETag when calling complete."),
    "invalid_parts": Remedy(
        "Khai báo các phần theo kế hoạch tải lên (kích thước, SHA-256 của từng phần).",
        "Declare the parts as the upload plan says (size and SHA-256 of each)."),
    "checksum_mismatch": Remedy(
        "SHA-256 không khớp: tính lại trên đúng các byte đã nhận/gửi, tải lại rồi xác nhận.",
        "The SHA-256 does not match: compute it over the exact bytes, fetch or upload again, "
        "then confirm."),
    "size_mismatch": Remedy(
        "Tải lên đúng số byte đã khai báo (GET /v1/messages/{id}/upload cho URL mới).",
        "Upload exactly the bytes declared (GET /v1/messages/{id}/upload for fresh URLs)."),
    "upload_incomplete": Remedy(
        "Tải lên đủ mọi phần trước khi gọi complete.",
        "Upload every part before calling complete."),
    "content_missing": _STATE, "not_available": _STATE, "expired": _STATE,
    "abandoned": _STATE, "already_confirmed": _STATE, "already_rejected": _STATE,
    "already_verified": _STATE, "conflict": _STATE,
    "idempotency_conflict": Remedy(
        "Mỗi Idempotency-Key chỉ dùng cho một nội dung yêu cầu: dùng khóa mới cho yêu cầu "
        "khác.",
        "An Idempotency-Key serves one request body: use a new key for another request."),
    "invalid_idempotency_key": Remedy(
        "Idempotency-Key tối đa 128 ký tự A-Z a-z 0-9 . _ -.",
        "An Idempotency-Key is at most 128 of A-Z a-z 0-9 . _ -."),
    "message_not_found": Remedy(
        "Kiểm tra mã gói tin: chỉ đơn vị gửi và đơn vị nhận thấy được gói tin.",
        "Check the message id: only its source and destinations can see a message."),
    "key_not_found": Remedy("Kiểm tra mã khóa (GET /v1/keys).",
                            "Check the key id (GET /v1/keys)."),
    "too_many_keys": Remedy("Thu hồi khóa cũ không dùng trước khi xoay khóa.",
                            "Revoke unused keys before rotating."),
    # lines the hub writes itself
    "too_many_refusals": Remedy(
        "Quá nhiều yêu cầu bị từ chối trong một phút: các dòng tiếp theo chỉ được đếm. Sửa "
        "lỗi ở các dòng trên; nếu không phải ứng dụng của đơn vị, báo Sở.",
        "Too many refused calls in one minute: the next ones were counted, not written. Fix "
        "the lines above; if they are not your apps' calls, tell the operators."),
}

_BY_KIND_CODE: dict[tuple[str, str], Remedy] = {
    ("fetch_failed", "checksum_mismatch"): Remedy(
        "Tải lại nội dung (POST /v1/messages/{id}/fetch), kiểm tra đủ byte rồi xác nhận với "
        "SHA-256 tính trên tệp nhận được.",
        "Fetch the content again (POST /v1/messages/{id}/fetch), check every byte arrived, "
        "then confirm with the SHA-256 of the file received."),
    ("expired", "not_confirmed_in_time"): Remedy(
        "Gói tin hết hạn khi đơn vị chưa xác nhận: bảo đảm ứng dụng nhận luôn trực tuyến, "
        "đọc hộp thư (GET /v1/inbox) và xác nhận trước hạn.",
        "The message expired before the unit confirmed: keep the receiving app online, read "
        "the inbox (GET /v1/inbox) and confirm before the deadline."),
    ("expired", "destination_did_not_confirm"): Remedy(
        "Đơn vị nhận chưa xác nhận trước hạn: liên hệ đơn vị nhận, gửi lại nếu cần, hoặc "
        "đặt thời hạn dài hơn (policy.confirm_within_seconds).",
        "The destination did not confirm in time: contact it, send again if needed, or set "
        "a longer deadline (policy.confirm_within_seconds)."),
    ("expired", "content_never_arrived"): Remedy(
        "Nội dung chưa được tải lên trước khi URL hết hạn: tải lên ngay sau khi tạo gói tin "
        "và gọi complete.",
        "The content was never uploaded in time: upload right after the request, then call "
        "complete."),
    ("undeliverable", "no_receiving_app"): Remedy(
        "Đơn vị nhận chưa có ứng dụng nhận đang hoạt động: liên hệ đơn vị đó hoặc Sở.",
        "The destination has no active app to receive: contact that unit or the operators."),
    ("undeliverable", "unit_split"): Remedy(
        "Đơn vị nhận đã chia tách: chọn đơn vị kế thừa phù hợp và gửi lại.",
        "The destination was split: choose the right successor and send again."),
    ("undeliverable", "unit_dissolved"): Remedy(
        "Đơn vị nhận đã giải thể, không có đơn vị kế thừa: kiểm tra danh bạ rồi gửi lại.",
        "The destination was dissolved without successor: check the directory, then send "
        "again."),
    ("webhook", "webhook_disabled"): Remedy(
        "Điểm nhận webhook không nhận được sự kiện nào suốt một ngày nên đã bị tắt: sửa điểm "
        "nhận (xem GET /v1/webhooks/{id}/attempts), bật lại (PATCH state active) rồi gửi lại "
        "thư chết (POST /v1/webhooks/{id}/dead-letters/redeliver).",
        "The webhook endpoint failed every delivery for a day and was disabled: fix it (see "
        "GET /v1/webhooks/{id}/attempts), enable it (PATCH state active), then redeliver its "
        "dead letters (POST /v1/webhooks/{id}/dead-letters/redeliver)."),
}

_BY_KIND: dict[str, Remedy] = {
    "fetch_failed": _BY_KIND_CODE[("fetch_failed", "checksum_mismatch")],
    "expired": _BY_KIND_CODE[("expired", "destination_did_not_confirm")],
    "undeliverable": _DESTINATION,
    "webhook": _BY_KIND_CODE[("webhook", "webhook_disabled")],
}

GENERIC = Remedy(
    "Xem ý nghĩa mã lỗi trong docs/api.md (bảng mã lỗi); nếu vẫn chưa rõ, báo Sở kèm mã "
    "yêu cầu (request id).",
    "Look the code up in docs/api.md's error tables; if still unclear, tell the operators "
    "with the request id.")


def remedy(kind: str, code: str | None) -> Remedy:
    """What to do about a line of `kind` with `code` (never fails: a generic text last)."""
    if code is not None:
        found = _BY_KIND_CODE.get((kind, code)) or _BY_CODE.get(code)
        if found is not None:
            return found
    return _BY_KIND.get(kind, GENERIC)


def known_codes() -> frozenset[str]:
    """Every code with a remedy of its own (for tests and docs)."""
    return frozenset(_BY_CODE) | {code for _, code in _BY_KIND_CODE}
