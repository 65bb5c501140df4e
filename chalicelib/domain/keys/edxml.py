"""Table keys of edXML documents (docs/edxml.md, docs/data-model.md), part of
`chalicelib.domain.keys`: import them from there.

`EDXMLDOC#<source unit>` holds, per `DocumentId` the unit sent, the message that carried
the document and its destinations, so a recall, an update or a replacement of it
(`BussinessDocType` 1-3) is checked to reach the destinations of the original.
"""

from __future__ import annotations


def edxml_document(source: str, document_id: str) -> tuple[str, str]:
    return f"EDXMLDOC#{source}", document_id
