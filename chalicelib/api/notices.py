"""Maintenance notices over REST (R-OPS-4, docs/notices.md): every app and person reads the
current ones; operators publish, list and cancel them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import PAGING, Call, RouteSpec, WireModels, api_route, page_limit

if TYPE_CHECKING:
    from chalicelib.domain.notice_schemas import CurrentNotices, NoticePage, NoticeView

models = WireModels("chalicelib.domain.notice_schemas")

notices_api = Blueprint(__name__)


@api_route(notices_api, RouteSpec(
    "GET", "/v1/notices", "Maintenance notices now: active ones, then those starting within "
    "7 days (R-OPS-4)", models.CurrentNotices, errors=(401,), people=True))
def current_notices(call: Call) -> CurrentNotices:
    from chalicelib.services import notices
    return notices.current(call.deps)


@api_route(notices_api, RouteSpec(
    "POST", "/v1/admin/notices", "Operators: publish a maintenance notice; every unit online "
    "is told at once (R-OPS-4)", models.NoticeView, status=201, request=models.NoticeRequest,
    errors=(400, 401, 403, 409),
    before_retry="Look for the notice in GET /v1/admin/notices."))
def publish_notice(call: Call) -> NoticeView:
    from chalicelib.services import notices
    return notices.publish(call.deps, call.who, call.body)


@api_route(notices_api, RouteSpec(
    "GET", "/v1/admin/notices", "Operators: every notice, newest first", models.NoticePage,
    query=PAGING, errors=(400, 401, 403)))
def list_notices(call: Call) -> NoticePage:
    from chalicelib.services import notices
    return notices.list_all(call.deps, call.who, limit=page_limit(call),
                            cursor=call.query("cursor"))


@api_route(notices_api, RouteSpec(
    "POST", "/v1/admin/notices/{notice_id}/cancel", "Operators: call off an upcoming or "
    "active notice; every unit online is told (cancelling twice is harmless)", models.NoticeView,
    errors=(401, 403, 404, 409), idempotent=True))
def cancel_notice(call: Call, notice_id: str) -> NoticeView:
    from chalicelib.services import notices
    return notices.cancel(call.deps, call.who, notice_id)
