"""Who may read a message: its source, and each destination for its own delivery only.
Anyone else is told the message does not exist (404, never 403), so ids cannot be probed.
"""

from __future__ import annotations

from chalicelib.domain import keys
from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.ports import Item
from chalicelib.services.deps import Deps

_NOT_FOUND = "No such message."


def not_found() -> NotFoundError:
    return NotFoundError(_NOT_FOUND, code="message_not_found")


def load_message(deps: Deps, message_id: str) -> Item:
    if not message_id.isalnum() or len(message_id) > 64:
        raise not_found()
    item = deps.table.get(*keys.message(message_id))
    if item is None:
        raise not_found()
    return item


def message_for_source(deps: Deps, message_id: str, unit: str) -> Item:
    msg = load_message(deps, message_id)
    if msg["source"] != unit:
        raise not_found()
    return msg


def message_for_party(deps: Deps, message_id: str, unit: str) -> tuple[Item, bool]:
    """The message, for its source or one of its destinations, and whether `unit` is
    its source."""
    msg = load_message(deps, message_id)
    is_source = msg["source"] == unit
    if not is_source and unit not in msg["to"]:
        raise not_found()
    return msg, is_source


def delivery_for_destination(deps: Deps, message_id: str, unit: str) -> tuple[Item, Item]:
    """The message and the caller's own delivery, read together (one request), or 404
    (also before the message was put in the caller's inbox)."""
    if not message_id.isalnum() or len(message_id) > 64:
        raise not_found()
    msg, delivery = deps.table.get_many([keys.message(message_id),
                                         keys.delivery(message_id, unit)])
    if msg is None or delivery is None or unit not in msg["to"]:
        raise not_found()
    return msg, delivery
