"""The console's words, Vietnamese first (the province's language) and English.

Each area of the console keeps its words in its own module (`texts_<area>.py`, two dicts
`VI` and `EN` with the same keys); they are merged here. A test checks that both
languages have every key.
"""

from __future__ import annotations

VI: dict[str, str] = {
    "hub": "Nền tảng tích hợp, chia sẻ dữ liệu (LGSP)",
    "console": "Bảng điều khiển",
    "other_language": "English",
    "skip": "Bỏ qua, đến nội dung chính",
    "menu": "Danh mục",
    "signed_in_as": "Đăng nhập với tài khoản",
    "sign_out": "Đăng xuất",
    "signed_out_title": "Đã đăng xuất",
    "signed_out": "Bạn đã đăng xuất khỏi bảng điều khiển và hệ thống đăng nhập một lần.",
    "sign_in_again": "Đăng nhập lại",
    "login_failed_title": "Không đăng nhập được",
    "login_failed": "Phiên đăng nhập đã hết hạn hoặc không hợp lệ. Hãy đăng nhập lại.",
    "refused_title": "Không thực hiện được",
    "refused_role": "Bảng điều khiển dành cho cán bộ vận hành và quản trị đơn vị. Tài khoản "
                    "của bạn không có vai trò này.",
    "refused_page": "Trang này chỉ dành cho cán bộ vận hành của tỉnh.",
    "refused_csrf": "Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang và gửi lại.",
    "error_code": "Mã lỗi",
    "back": "Quay lại",
    "nav_dashboard": "Tổng quan",
    "operator": "Cán bộ vận hành",
    "unit_admin": "Quản trị đơn vị",
    "notice_banner": "Thông báo bảo trì",
    "none": "Không có",
    "yes": "Có",
    "no": "Không",
    "save": "Lưu",
    "search": "Tìm",
    "filter": "Lọc",
    "next_page": "Trang sau",
    "export_csv": "Tải CSV",
    "export_xlsx": "Tải Excel (XLSX)",
    "chart_table": "Số liệu của biểu đồ",
}

EN: dict[str, str] = {
    "hub": "Local Government Service Platform (LGSP)",
    "console": "Console",
    "other_language": "Tiếng Việt",
    "skip": "Skip to the main content",
    "menu": "Menu",
    "signed_in_as": "Signed in as",
    "sign_out": "Sign out",
    "signed_out_title": "Signed out",
    "signed_out": "You have signed out of the console and of the single sign-on.",
    "sign_in_again": "Sign in again",
    "login_failed_title": "Sign-in failed",
    "login_failed": "The sign-in expired or is not valid. Please sign in again.",
    "refused_title": "Not possible",
    "refused_role": "The console is for the province's operators and unit admins. Your "
                    "account has neither role.",
    "refused_page": "This page is for the province's operators only.",
    "refused_csrf": "The form expired or is not valid. Reload the page and send it again.",
    "error_code": "Error code",
    "back": "Back",
    "nav_dashboard": "Dashboard",
    "operator": "Operator",
    "unit_admin": "Unit admin",
    "notice_banner": "Maintenance notice",
    "none": "None",
    "yes": "Yes",
    "no": "No",
    "save": "Save",
    "search": "Search",
    "filter": "Filter",
    "next_page": "Next page",
    "export_csv": "Download CSV",
    "export_xlsx": "Download Excel (XLSX)",
    "chart_table": "The chart's figures",
}


def _merged() -> dict[str, dict[str, str]]:
    from chalicelib.api.console import (
        texts_dashboard,
        texts_operations,
        texts_registry,
        texts_reports,
        texts_requests,
    )
    vi, en = dict(VI), dict(EN)
    for area in (texts_dashboard, texts_registry, texts_reports, texts_operations,
                 texts_requests):
        vi.update(area.VI)
        en.update(area.EN)
    return {"vi": vi, "en": en}


TEXTS = _merged()
