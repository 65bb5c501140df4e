"""Every report as JSON, CSV and XLSX from one builder (R-PROP-11; docs/reports.md).

`table_routes` registers `GET {path}/csv` and `GET {path}/xlsx` beside a report's JSON
route: the same query, the same authorisation, the same table (`domain/tables.py`), so
the three answers always hold the same figures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Chalice

from chalicelib.api.http import Call, Download, QueryParam, RouteSpec, api_route
from chalicelib.domain.tables import Table

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MULTIPART = "multipart/form-data"


def declare_binary(app: Chalice) -> None:
    """Exports are bytes: API Gateway passes them through only when their media type is
    declared binary (and the client asks for it in `Accept`, or sends `*/*`). So are the
    console's uploads (`multipart/form-data`: a spreadsheet of units)."""
    for media_type in (CSV_TYPE.split(";", maxsplit=1)[0], XLSX_TYPE, MULTIPART):
        if media_type not in app.api.binary_types:
            app.api.binary_types.append(media_type)


class BinaryBlueprint(Blueprint):
    """A blueprint whose files of `media_type` are bytes: once registered, chalice treats
    that type as binary (base64 for API Gateway; the local gateway decodes it), as
    `declare_binary` does for the exports."""

    def __init__(self, import_name: str, media_type: str) -> None:
        super().__init__(import_name)
        self.media_type = media_type

    def register(self, app: Chalice, options: dict[str, Any]) -> None:
        super().register(app, options)
        if self.media_type not in app.api.binary_types:
            app.api.binary_types.append(self.media_type)


def table_routes(bp: Blueprint, path: str, summary: str, build: Callable[..., Table], *,
                 query: tuple[QueryParam, ...] = (), errors: tuple[int, ...] = ()) -> None:
    """`GET {path}/csv` and `GET {path}/xlsx`: `build(call, **path_params)` -> the table."""
    for suffix, media_type in (("csv", CSV_TYPE), ("xlsx", XLSX_TYPE)):
        spec = RouteSpec("GET", f"{path}/{suffix}", f"{summary} ({suffix.upper()})", None,
                         media_type=media_type, query=query, errors=errors)

        def handler(call: Call, _suffix: str = suffix, **params: str) -> Download:
            from chalicelib.adapters import spreadsheets
            table = build(call, **params)
            render = spreadsheets.to_csv if _suffix == "csv" else spreadsheets.to_xlsx
            return Download(render(table), f"{table.title}.{_suffix}")

        handler.__name__ = f"export_{suffix}_" + "".join(
            c if c.isalnum() else "_" for c in path).strip("_")
        api_route(bp, spec)(handler)
