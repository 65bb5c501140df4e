"""A request form's inputs, generated from its kind's fields (domain/join_forms.py), and
the way back: the posted form as the fields the service takes.

Every input is named by its field's dotted place (`applicant.email`); a person named in
a form (the contact point, the admin) is a group of inputs; a list of URLs is a textarea,
one per line; a choice is a select whose empty option keeps the hub's default; a JWKS is
JSON in a textarea. Labels are the console's words (`field_<name>`, `person_<part>`).
"""

from __future__ import annotations

import json
import re
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

FILED_ONLINE = ("register_app", "admin_account", "cancel_app", "sso_register_app",
                "sso_admin_account", "sso_cancel_app")
LONG_TEXT = 1000  # a text field this long or longer is a textarea
_WHERE = re.compile(r"^fields\.([A-Za-z_][A-Za-z_.]*)")


@dataclass(frozen=True)
class Input:
    """One input of a request form."""

    name: str  # dotted: `letter_number`, `applicant.email`
    label: str  # a key of the texts
    widget: str  # text | textarea | date | select | checkbox | lines | json
    required: bool = False
    options: tuple[str, ...] = ()
    group: str | None = None  # the person's field (`applicant`) this input belongs to

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-").replace("_", "-")


@dataclass(frozen=True)
class Group:
    """A person named in the form, or a single input (`group` None)."""

    name: str
    label: str
    inputs: list[Input] = field(default_factory=list)
    person: bool = False


class FormProblem(ValueError):
    """A posted value that cannot even be read (a JWKS that is not JSON)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def _plain(annotation: Any) -> Any:
    """`X | None` -> X."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        return rest[0] if len(rest) == 1 else annotation
    return annotation


def _widget(name: str, annotation: Any, max_length: int | None) -> tuple[str, tuple[str, ...]]:
    from pydantic import BaseModel
    kind = _plain(annotation)
    if typing.get_origin(kind) is typing.Literal:
        return "select", tuple(str(v) for v in typing.get_args(kind))
    if kind is bool:
        return "checkbox", ()
    if kind is date:
        return "date", ()
    if typing.get_origin(kind) is list:
        return "lines", ()
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return "json", ()
    if name == "public_key" or (max_length or 0) >= LONG_TEXT:
        return "textarea", ()
    return "text", ()


def _max_length(info: Any) -> int | None:
    for meta in info.metadata:
        if getattr(meta, "max_length", None) is not None:
            return int(meta.max_length)
    return None


def _ordered(model: type[BaseModel]) -> list[str]:
    """The letter's own fields first (number, date, basis, signer, contact), then the
    kind's, then how its app signs."""
    from chalicelib.domain.join_forms import KeyChoice, LetterFields
    letter, key = list(LetterFields.model_fields), list(KeyChoice.model_fields)
    own = [n for n in model.model_fields if n not in letter and n not in key]
    return letter + own + [n for n in key if n in model.model_fields]


def form_of(kind: str) -> list[Group]:
    """The inputs of `kind`'s form, in the order a person fills them in."""
    from chalicelib.domain.join_forms import KINDS, PERSON_REQUIRED, Person
    info = KINDS[kind]
    groups: list[Group] = []
    for name in _ordered(info.model):
        spec = info.model.model_fields[name]
        if _plain(spec.annotation) is Person:
            wanted = PERSON_REQUIRED.get(name, ()) if name in info.required else ()
            groups.append(Group(name, f"field_{name}", [
                Input(f"{name}.{part}", f"person_{part}", "text", part in wanted, group=name)
                for part in Person.model_fields], person=True))
            continue
        widget, options = _widget(name, spec.annotation, _max_length(spec))
        groups.append(Group(name, f"field_{name}", [
            Input(name, f"field_{name}", widget, name in info.required, options)]))
    return groups


def inputs_of(kind: str) -> list[Input]:
    return [i for g in form_of(kind) for i in g.inputs]


def _read(item: Input, form: dict[str, list[str]]) -> Any:
    raw = (form.get(item.name) or [""])[0]
    if item.widget == "checkbox":
        return item.name in form
    if item.widget == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()] or None
    text = raw.strip()
    if item.widget == "json" and text:
        try:
            return json.loads(text)
        except ValueError as exc:
            raise FormProblem(item.name, f"not JSON ({exc})") from exc
    return text or None


def fields_from(kind: str, form: dict[str, list[str]], *, with_empty: bool = False
                ) -> dict[str, Any]:
    """The posted form as the request's fields: blanks left out (`with_empty`: set to
    None, which removes a field of a draft)."""
    fields: dict[str, Any] = {}
    for group in form_of(kind):
        if group.person:
            person = {i.name.split(".", 1)[1]: _read(i, form) for i in group.inputs}
            person = {k: v for k, v in person.items() if v is not None}
            value: Any = person or None
        else:
            value = _read(group.inputs[0], form)
        if value is not None or with_empty:
            fields[group.name] = value
    return fields


def values_of(fields: dict[str, Any]) -> dict[str, Any]:
    """Stored fields as the form's values (dotted names; lists one per line)."""
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, dict) and name != "jwks":
            values.update({f"{name}.{k}": v for k, v in value.items()})
        elif isinstance(value, list):
            values[name] = "\n".join(str(v) for v in value)
        elif isinstance(value, dict):
            values[name] = json.dumps(value, ensure_ascii=False, indent=2)
        else:
            values[name] = value
    return values


def where(message: str) -> str | None:
    """The input a service's validation message names (`fields.applicant.email: …`)."""
    found = _WHERE.match(message)
    return found.group(1).rstrip(".") if found else None


def label_of(kind: str, name: str | None, t: dict[str, str]) -> str | None:
    """How the page names the input (or person) `name`: `Đầu mối liên hệ — Họ tên`."""
    from chalicelib.domain.join_forms import KINDS
    if not name:
        return None
    for item in inputs_of(kind):
        if item.name == name:
            return t[item.label] if item.group is None else \
                f"{t['field_' + item.group]} — {t[item.label]}"
    top = name.split(".", 1)[0].split("[", 1)[0]
    return t[f"field_{top}"] if top in KINDS[kind].model.model_fields else None
