"""The states of a joining or leaving request and the answer letter's media type: plain
names, importable where routes are declared without the request's wire models (P5 in
docs/performance.md). The life of a request is in `join_requests`."""

from __future__ import annotations

DRAFT, SUBMITTED, APPROVED, REFUSED, WITHDRAWN = (
    "draft", "submitted", "approved", "refused", "withdrawn")
OPEN, ANSWERED = (DRAFT, SUBMITTED), (APPROVED, REFUSED)
CLOSED = (APPROVED, REFUSED, WITHDRAWN)
GROUPS = {SUBMITTED: "1", DRAFT: "2", APPROVED: "3", REFUSED: "3", WITHDRAWN: "3"}
LIST_FILTERS = {"submitted": "1#", "draft": "2#", "closed": "3#"}
DOCX_CONTENT_TYPE = ("application/vnd.openxmlformats-officedocument."
                     "wordprocessingml.document")  # the answer letters
