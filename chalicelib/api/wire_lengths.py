"""A text's maximum length holds for the text as sent.

Request models trim surrounding whitespace (`str_strip_whitespace`), and pydantic trims
before it checks `max_length`: a 9,000-character value of one letter and spaces passed
where the document says `maxLength: 8192`. This check reads the published schema of the
model (the one `/openapi.json` shows) against the JSON as sent.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel


@functools.cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def text_over_max_length(model: type[BaseModel], value: Any) -> tuple[str, int] | None:
    """The first text of `value` (the parsed JSON body) longer than the document's
    `maxLength` for it, as (its dotted place, the maximum), or None."""
    schema = _schema(model)
    return _walk(schema, schema.get("$defs", {}), value, ())


def _walk(schema: dict[str, Any], defs: dict[str, Any], value: Any,
          where: tuple[str, ...]) -> tuple[str, int] | None:
    if "$ref" in schema:
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    limit = schema.get("maxLength")
    if isinstance(value, str) and isinstance(limit, int) and len(value) > limit:
        return ".".join(where) or "body", limit
    found = None
    for alternative in schema.get("anyOf", []):
        found = found or _walk(alternative, defs, value, where)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                found = found or _walk(properties[name], defs, item, (*where, name))
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            found = found or _walk(schema["items"], defs, item, (*where, str(i)))
    return found
