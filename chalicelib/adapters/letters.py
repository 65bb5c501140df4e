"""The operator's answers as Word documents (R-OPS-1): forms 02, 04, 05, 07 and the SSO
counterparts 10, 11, 13 of Decision 53/2021/QĐ-UBND, and a refusal letter.

Filled from the request: the unit's name and identifier code, its letter's number and
date, the decision and its date (dd/mm/yyyy, province time), the reason of a refusal, the
app id and access key id; for the SSO forms the discovery URL, client_id and registered
URLs, the SSO admin's account, the disabled client. Never a secret: an HMAC secret, an
SSO client secret and a set-password link are handed over with the approval answer only.
Rendered with `python-docx`; Vietnamese text is stored as Unicode, as Word expects.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.calendar import PROVINCE_TZ
from chalicelib.domain.join_forms import KINDS, SSO_KINDS
from chalicelib.domain.ports import Item

if TYPE_CHECKING:
    from docx.document import Document

DOTS = "……"
REGULATION = ("Căn cứ Quy chế quản lý, vận hành và sử dụng hệ thống nền tảng tích hợp, chia "
              "sẻ dữ liệu (LGSP) của tỉnh;")
LGSP = "hệ thống nền tảng tích hợp, chia sẻ dữ liệu (LGSP) của tỉnh"
SSO = "hệ thống xác thực đăng nhập một lần SSO dùng chung của tỉnh"


@dataclass(frozen=True)
class LetterData:
    request: Item
    unit: Item
    operator: Item
    authority: str | None  # the operator's parent (e.g. the provincial People's Committee)
    form: str


def dmy(value: str | int | None) -> str:
    """A stored date (YYYY-MM-DD) or instant (epoch seconds) as dd/mm/yyyy, province time."""
    if value is None or value == "":
        return DOTS
    if isinstance(value, int):
        return datetime.fromtimestamp(value, PROVINCE_TZ).strftime("%d/%m/%Y")
    return date.fromisoformat(value).strftime("%d/%m/%Y")


class _Letter:
    """The shared layout: the header table, paragraphs, recipients and signature."""

    def __init__(self, data: LetterData) -> None:
        self.data = data
        self.req, self.fields = data.request, data.request["fields"]
        self.answer: dict[str, Any] = data.request.get("answer") or {}
        self.result: dict[str, Any] = data.request.get("result") or {}
        self.operator_name = data.operator.get("name") or "Cơ quan vận hành LGSP"
        self.unit_name = data.unit.get("name") or data.unit["code"]
        self.unit_label = f"{self.unit_name} (mã định danh {data.unit['code']})"
        self.sso = data.request["request_kind"] in SSO_KINDS
        self.system = LGSP if not self.sso else SSO
        import docx  # imported on first use: the functions package must import quickly
        from docx.shared import Pt

        self.doc: Document = docx.Document()
        normal: Any = self.doc.styles["Normal"]
        normal.font.name, normal.font.size = "Times New Roman", Pt(13)

    def para(self, text: str = "", *, bold: bool = False, italic: bool = False,
             center: bool = False) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        paragraph = self.doc.add_paragraph()
        run = paragraph.add_run(text)
        run.bold, run.italic = bold, italic
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def header(self, number: str, subject: str | None) -> None:
        table = self.doc.add_table(rows=1, cols=2)
        left, right = table.cell(0, 0), table.cell(0, 1)
        lines = [(self.data.authority or "").upper(), self.operator_name.upper()]
        left.paragraphs[0].add_run(lines[0] or lines[1]).bold = True
        if lines[0]:
            left.add_paragraph().add_run(lines[1]).bold = True
        left.add_paragraph(f"Số: {number}")
        if subject:
            left.add_paragraph(f"V/v {subject}")
        right.paragraphs[0].add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").bold = True
        right.add_paragraph().add_run("Độc lập - Tự do - Hạnh phúc").bold = True
        right.add_paragraph().add_run(f"Ngày {dmy(self.req.get('answered_at'))}").italic = True

    def salutation(self) -> None:
        self.para(f"Kính gửi: {self.unit_label}.", center=True)
        self.para(REGULATION)
        self.para(f"Theo đề nghị của {self.unit_label} tại Công văn số "
                  f"{self.fields.get('letter_number') or DOTS} ngày "
                  f"{dmy(self.fields.get('letter_date'))} về việc "
                  f"{KINDS[self.req['request_kind']].subject};")

    def support(self) -> None:
        contact = self.answer.get("support_contact") or {}
        self.para(f"Thông tin chi tiết, {self.unit_name} vui lòng liên hệ trực tiếp đầu mối "
                  f"hỗ trợ kỹ thuật: {contact.get('name') or DOTS}, {self.operator_name}; "
                  f"điện thoại: {contact.get('phone') or DOTS}; di động: "
                  f"{contact.get('mobile') or DOTS}"
                  + (f"; email: {contact['email']}" if contact.get("email") else "") + ".")

    def closing(self) -> None:
        self.para("Trân trọng./.")
        self.para("Nơi nhận:", bold=True, italic=True)
        for line in ("- Như trên;", "- Đơn vị vận hành LGSP (thực hiện);", "- Lưu: VT."):
            self.para(line)
        self.para((self.answer.get("signer_title") or "GIÁM ĐỐC").upper(), bold=True,
                  center=True)
        self.para("(Ký, ghi rõ họ tên, đóng dấu)", italic=True, center=True)
        self.para(self.answer.get("signer_name") or "", bold=True, center=True)

    def app_lines(self) -> None:
        self.para(f"- Mã ứng dụng: {self.result.get('app') or DOTS}")
        self.para(f"- Khóa truy xuất (access_key): {self.result.get('access_key') or DOTS}")
        self.para(f"- Thuật toán ký: {self.result.get('algorithm') or DOTS}")
        if str(self.result.get("algorithm", "")).startswith("hmac"):
            self.para(f"- Khóa bí mật (secret_key) được bàn giao trực tiếp cho đầu mối của "
                      f"{self.unit_name}; không ghi trong văn bản này.")
        else:
            self.para("- Ứng dụng ký bằng khóa riêng của đơn vị; LGSP chỉ lưu khóa công khai.")

    def sso_account_lines(self) -> None:
        """Forms 10 and 11: the SSO admin's account, never its set-password link."""
        self.para(f"- Tài khoản quản trị SSO: {self.result.get('account') or DOTS} "
                  f"(vai trò quản trị ứng dụng SSO của {self.unit_name})")
        self.para("- Mật khẩu do người nhận tự đặt qua liên kết dùng một lần được bàn giao "
                  "trực tiếp; không ghi trong văn bản này. Đăng nhập cần thêm mã xác thực "
                  "hai lớp (TOTP).")

    def save(self) -> bytes:
        self.doc.core_properties.title = f"Mẫu số {self.data.form} - {self.req['id']}"
        self.doc.core_properties.author = self.operator_name
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()


def _registration(letter: _Letter) -> None:
    """Form 02 (and its use for an SSO registration, form 08 having no answer form)."""
    f = letter.fields
    name = f.get("system_name") or DOTS
    if f.get("short_name"):
        name += f" ({f['short_name']})"
    if letter.sso:
        _sso_registration(letter, name)
        return
    letter.para(f"{letter.operator_name} đã thực hiện đăng ký thông tin ứng dụng, dịch vụ "
                f"kết nối với LGSP tỉnh theo đề nghị của {letter.unit_name}:")
    letter.para(f"- Tên ứng dụng, dịch vụ: {name}")
    letter.para(f"- Đơn vị phát triển: {f.get('developer') or DOTS}")
    letter.app_lines()


def _sso_registration(letter: _Letter, name: str) -> None:
    """Form 08's answer: what the app's developers configure (never the secret)."""
    r = letter.result
    verb = "thay đổi địa chỉ của ứng dụng" if r.get("changed") else "đăng ký tích hợp ứng dụng"
    letter.para(f"{letter.operator_name} đã thực hiện {verb} {name} với {SSO} theo đề nghị "
                f"của {letter.unit_name}:")
    letter.para(f"- Địa chỉ cấu hình OpenID Connect (discovery): "
                f"{r.get('discovery_url') or DOTS}")
    letter.para(f"- Mã ứng dụng (client_id): {r.get('client_id') or DOTS}")
    for label, urls in (("Địa chỉ nhận kết quả đăng nhập (redirect URI)", r.get("redirect_uris")),
                        ("Địa chỉ sau khi đăng xuất (post-logout redirect URI)",
                         r.get("post_logout_redirect_uris"))):
        letter.para(f"- {label}: {', '.join(urls or []) or 'không có'}")
    letter.para(f"- Địa chỉ nhận thông báo đăng xuất (back-channel logout URI): "
                f"{r.get('backchannel_logout_uri') or 'không có'}")
    method = r.get("token_endpoint_auth_method")
    if r.get("changed"):
        letter.para("- Khóa bí mật (client_secret) của ứng dụng không thay đổi.")
    elif method == "client_secret_basic":
        letter.para(f"- Khóa bí mật (client_secret) được bàn giao trực tiếp cho đầu mối của "
                    f"{letter.unit_name}; không ghi trong văn bản này.")
    elif method == "private_key_jwt":
        letter.para("- Ứng dụng xác thực bằng khóa riêng của đơn vị (private_key_jwt); "
                    "SSO chỉ lưu khóa công khai.")
    else:
        letter.para("- Ứng dụng công khai (public client): không có khóa bí mật, bắt buộc "
                    "PKCE (S256).")


def _admin_account(letter: _Letter) -> None:
    """Forms 04 and 10."""
    admin = letter.fields.get("admin") or {}
    letter.para(f"{letter.operator_name} đồng ý cung cấp tài khoản quản trị và tài liệu kỹ "
                f"thuật liên quan đến {letter.system} theo đề nghị của {letter.unit_name}.")
    letter.para(f"- Người nhận tài khoản: {admin.get('name') or DOTS}, "
                f"{admin.get('position') or DOTS}")
    if letter.sso:
        letter.sso_account_lines()
    else:
        letter.app_lines()
    letter.support()
    letter.para(f"Đề nghị {letter.unit_name} quản lý, sử dụng tài khoản được cấp phát theo "
                f"đúng quy định trong Quy chế quản lý, vận hành và sử dụng {LGSP}.")


def _cancellation(letter: _Letter) -> None:
    """Forms 07 and 13."""
    f, r = letter.fields, letter.result
    name = f.get("system_name") or r.get("app_name") or DOTS
    letter.para(f"{letter.operator_name} đã thực hiện hủy bỏ thông tin ứng dụng, dịch vụ "
                f"{name} kết nối với {letter.system} theo đề nghị của {letter.unit_name}.")
    if letter.sso:
        letter.para(f"- Mã ứng dụng SSO (client_id): {r.get('client_id') or DOTS}")
        letter.para("- Ứng dụng đã bị vô hiệu hóa trên hệ thống SSO; mọi phiên đăng nhập của "
                    "người dùng vào ứng dụng đã kết thúc.")
        return
    letter.para(f"- Mã ứng dụng: {r.get('app') or f.get('app_id') or DOTS}")
    keys = ", ".join(r.get("revoked_keys") or []) or "không còn khóa hiệu lực"
    letter.para(f"- Các khóa truy xuất đã thu hồi: {keys}")


def _refusal(letter: _Letter) -> None:
    letter.para(f"Sau khi xem xét, {letter.operator_name} chưa thể đáp ứng đề nghị của "
                f"{letter.unit_name}, với lý do: {letter.req.get('reason') or DOTS}.")
    letter.para(f"Đề nghị {letter.unit_name} hoàn thiện hồ sơ và gửi lại đề nghị (nếu có).")


def _minutes(letter: _Letter) -> bytes:
    """Forms 05 and 11: the handover minutes of the admin account and documents."""
    by = letter.answer.get("handover_by") or {}
    admin = letter.fields.get("admin") or {}
    letter.header(DOTS + "/BB", None)  # the minutes have their own number, set by hand
    letter.para("BIÊN BẢN", bold=True, center=True)
    letter.para(f"Về việc bàn giao tài khoản quản trị hệ thống, tài liệu kỹ thuật "
                f"{letter.system}", bold=True, center=True)
    letter.para(REGULATION)
    letter.para(f"Căn cứ Công văn số {letter.answer.get('answer_number') or DOTS} ngày "
                f"{dmy(letter.req.get('answered_at'))} của {letter.operator_name} về việc "
                f"{KINDS[letter.req['request_kind']].subject};")
    letter.para(f"Theo đề nghị của {letter.unit_label} tại Công văn số "
                f"{letter.fields.get('letter_number') or DOTS} ngày "
                f"{dmy(letter.fields.get('letter_date'))};")
    answered = datetime.fromtimestamp(int(letter.req["answered_at"]), PROVINCE_TZ)
    letter.para(f"Hôm nay, vào lúc {answered:%H} giờ {answered:%M} phút, ngày "
                f"{answered:%d/%m/%Y}, tại {letter.operator_name}, chúng tôi gồm:")
    for title, person, org in (("BÊN GIAO (sau đây gọi là bên A):", by, letter.operator_name),
                               ("BÊN NHẬN (sau đây gọi là bên B):", admin, letter.unit_label)):
        letter.para(title, bold=True)
        letter.para(f"Ông/bà: {person.get('name') or DOTS}")
        letter.para(f"Chức vụ công tác: {person.get('position') or DOTS}")
        letter.para(f"Đại diện cho: {org}")
    letter.para(f"Nội dung bàn giao: tài khoản quản trị hệ thống và tài liệu kỹ thuật "
                f"{letter.system}.")
    if letter.sso:
        letter.sso_account_lines()
    else:
        letter.app_lines()
    letter.para("Bên A đã bàn giao tài khoản và hướng dẫn quản trị, sử dụng cho bên B.")
    letter.para("Bên B có trách nhiệm dùng các biện pháp theo quy chế, quy định của pháp luật "
                "để bảo mật thông tin tài khoản (khóa truy xuất, khóa bí mật). Bất kỳ truy "
                "cập nào bằng tài khoản của bên B đều được coi là do bên B truy cập. Trường "
                "hợp phát hiện khóa bí mật bị lộ, bên B cần thu hồi, đổi khóa ngay và/hoặc "
                "liên hệ bên A để được hỗ trợ.")
    letter.para("Biên bản này được lập thành 02 (hai) bản có giá trị như nhau, mỗi bên giữ "
                "01 (một) bản./.")
    signatures = letter.doc.add_table(rows=1, cols=2)
    for cell, side in zip(signatures.rows[0].cells, ("ĐẠI DIỆN BÊN A", "ĐẠI DIỆN BÊN B"),
                          strict=True):
        cell.paragraphs[0].add_run(side).bold = True
        cell.add_paragraph().add_run("(Ký, ghi rõ họ tên và đóng dấu)").italic = True
    return letter.save()


def render(data: LetterData) -> bytes:
    """The DOCX of `data.form` for an answered request."""
    letter = _Letter(data)
    info = KINDS[data.request["request_kind"]]
    if data.form == info.minutes:
        return _minutes(letter)
    verb = "trả lời đề nghị " if data.request["state"] == "refused" else ""
    letter.header(letter.answer.get("answer_number") or DOTS, verb + info.subject)
    letter.salutation()
    if data.request["state"] == "refused":
        _refusal(letter)
    elif data.request["request_kind"] in ("register_app", "sso_register_app"):
        _registration(letter)
        letter.support()
    elif data.request["request_kind"] in ("admin_account", "sso_admin_account"):
        _admin_account(letter)
    else:
        _cancellation(letter)
    letter.closing()
    return letter.save()
