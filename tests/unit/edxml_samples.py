"""The edXML fixture packages (tests/fixtures/edxml/) and their attachments' plaintexts."""

from __future__ import annotations

import hashlib
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "edxml"
DECISION = FIXTURES / "ubnd_decision_two_departments.xml"
DISPATCH = FIXTURES / "ministry_express_dispatch.xml"
RECALL = FIXTURES / "recall_no_attachment.xml"

DECISION_PDF = (b"%PDF-1.4\n% Quyet dinh 1234/QD-UBND ve viec phan bo du toan ngan sach "
                b"2027\n") * 3
DECISION_ANNEX = "Phụ lục: danh sách kinh phí phân bổ cho các sở, ngành\n".encode() * 2
DISPATCH_PDF = b"%PDF-1.4\n% Cong dien hoa toc 45/CD-BNNMT ve ung pho bao so 15\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
