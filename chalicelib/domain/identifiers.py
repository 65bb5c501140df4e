"""Agency identifier codes (QCVN 102:2016/BTTTT, Circular 10/2016/TT-BTTTT): pure rules.

A code is `DDD.CC.BB.Lxx`, read right to left:
- `Lxx`: level 1, a capital letter and two digits (`G` central bodies and `H` provinces
  in the codes in use, e.g. `H30`, `G14`);
- `BB`: level 2, `CC`: level 3, `DDD`: level 4, digits; all zeros mean "this level is the
  unit itself", so the unit's level is the rightmost-but-one part that is not zero.
A part may be non-zero only if every part to its right is: `000.05.00.H30` names a level-3
unit under no level-2 unit and is refused. The parent of a unit is its code with its own
(leftmost non-zero) part set back to zeros: `001.02.03.H30` → `000.02.03.H30` →
`000.00.03.H30` → `000.00.00.H30`. See docs/identifiers.md.

Every path that takes a code (registering, looking up, importing, addressing a message or
a group) checks it here first, so a bad code gets the same answer everywhere: 400
`invalid_unit_code` with `part` (`format`, `level1` … `level4`) and, when the code came in
a field of a body or query, `field` (`to[1]`, `members[0]`, `rule.parent`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidRequestError

SLUG = r"^[a-z0-9][a-z0-9._-]{0,63}$"  # a group's or a peer's id, a data type, a protocol
MAX_CODE_CHARS = 32  # a valid code has 13; longer input is refused before it is read
GROUP_PREFIX = "group:"
_GROUP_ID = re.compile(SLUG)
_SHAPE = re.compile(r"^([^.]*)\.([^.]*)\.([^.]*)\.([^.]*)$")
_PARTS = (("level4", 3, "DDD"), ("level3", 2, "CC"), ("level2", 2, "BB"))
_LEVEL1 = re.compile(r"^[A-Z][0-9]{2}$")


@dataclass(frozen=True)
class UnitCode:
    code: str
    level: int
    parent: str | None

    def chain(self) -> list[str]:
        """Every ancestor, the nearest first."""
        out: list[str] = []
        current: str | None = self.parent
        while current is not None:
            out.append(current)
            current = parse(current).parent
        return out


def _refuse(code: str, part: str, why: str, field: str | None) -> InvalidRequestError:
    what = f"'{code}' is not a valid unit code" if code else "the unit code is empty"
    return InvalidRequestError(f"{field + ': ' if field else ''}{what}: {why}",
                               code="invalid_unit_code", part=part,
                               **({"field": field} if field else {}))


def parse(code: str, *, field: str | None = None) -> UnitCode:
    """Validate `code`; an error names the faulty part (`level1` … `level4`, `format`) and
    the `field` it came in, if given."""
    if not isinstance(code, str):
        raise _refuse(str(code)[:MAX_CODE_CHARS], "format", "a code is a string, "
                      "DDD.CC.BB.Lxx (e.g. 000.00.00.H30).", field)
    if len(code) > MAX_CODE_CHARS:
        raise _refuse(code[:MAX_CODE_CHARS] + "…", "format", f"it has {len(code)} "
                      "characters; a code has 13, DDD.CC.BB.Lxx (e.g. 000.00.00.H30).", field)
    match = _SHAPE.match(code)
    if match is None:
        raise _refuse(code, "format", "expected four parts separated by dots, "
                                      "DDD.CC.BB.Lxx (e.g. 000.00.00.H30).", field)
    l4, l3, l2, l1 = match.groups()
    if not _LEVEL1.match(l1):
        raise _refuse(code, "level1", f"the level-1 part '{l1}' must be a capital letter "
                                      "and two digits (e.g. H30, G14).", field)
    values = {}
    for (name, width, shape), text in zip(_PARTS, (l4, l3, l2), strict=True):
        if len(text) != width or not text.isdigit() or not text.isascii():
            raise _refuse(code, name, f"the {name[:-1]} {name[-1]} part '{text}' must be "
                                      f"{width} digits ({shape}).", field)
        values[name] = int(text)
    level = 4 if values["level4"] else 3 if values["level3"] else 2 if values["level2"] else 1
    if level == 4 and not values["level3"] or level >= 3 and not values["level2"]:
        missing = "level3" if level == 4 and not values["level3"] else "level2"
        raise _refuse(code, missing, f"a level-{level} unit needs a non-zero {missing[:-1]} "
                                     f"{missing[-1]} part above it.", field)
    return UnitCode(code=code, level=level, parent=_parent(l4, l3, l2, l1, level))


def _parent(l4: str, l3: str, l2: str, l1: str, level: int) -> str | None:
    if level == 1:
        return None
    if level == 4:
        return f"000.{l3}.{l2}.{l1}"
    if level == 3:
        return f"000.00.{l2}.{l1}"
    return f"000.00.00.{l1}"


def check_destinations(entries: list[str]) -> None:
    """Each entry of a message's `to` is a unit code or `group:<id>` (a slug), checked
    before anything is read: a malformed one names itself (`to[1]`) and what is wrong.
    Whether a well-formed code is registered is the sender's next question."""
    for n, entry in enumerate(entries):
        field = f"to[{n}]"
        if not entry.startswith(GROUP_PREFIX):
            parse(entry, field=field)
            continue
        group_id = entry[len(GROUP_PREFIX):]
        if not _GROUP_ID.match(group_id):
            shown = group_id[:64] + ("…" if len(group_id) > 64 else "")
            raise InvalidRequestError(
                f"{field}: '{GROUP_PREFIX}{shown}' is not a valid group address: after "
                f"'{GROUP_PREFIX}' comes the group's id, 1-64 of a-z, 0-9, '.', '_', '-' "
                "(starting with a letter or digit).", code="invalid_group_id", field=field)


def account(code: str, domain: str) -> str:
    """The unit's account on the platform: `<code>@<province domain>`."""
    return f"{code}@{domain}"
