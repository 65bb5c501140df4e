"""What the hub's pages say, in Vietnamese (the default) and English (`?lang=en`)."""

from __future__ import annotations

VI: dict[str, str] = {
    "hub": "Nền tảng tích hợp, chia sẻ dữ liệu (LGSP)",
    "sso": "Đăng nhập một lần (SSO) của tỉnh",
    "login_title": "Đăng nhập",
    "account": "Tài khoản",
    "account_hint": "tên@mã đơn vị, ví dụ nva@000.00.12.H40",
    "password": "Mật khẩu",
    "login_button": "Đăng nhập",
    "invalid": "Tài khoản hoặc mật khẩu không đúng.",
    "invalid_otp": "Mã xác thực không đúng hoặc đã được dùng.",
    "locked": "Đăng nhập tạm thời bị khóa vì nhập sai nhiều lần. Vui lòng thử lại sau 15 phút.",
    "expired": "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.",
    "bad_form": "Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng thử lại.",
    "otp_title": "Xác thực hai lớp",
    "otp_label": "Mã 6 số trên ứng dụng xác thực",
    "otp_button": "Xác nhận",
    "otp_setup_title": "Cài đặt xác thực hai lớp",
    "otp_setup_text": "Tài khoản quản trị phải dùng xác thực hai lớp. Quét mã QR bằng ứng dụng "
                      "xác thực (Google Authenticator, Microsoft Authenticator, …) hoặc nhập "
                      "khóa bí mật, rồi nhập mã 6 số đang hiển thị.",
    "otp_secret": "Khóa bí mật",
    "setup_title": "Đặt mật khẩu",
    "setup_text": "Đặt mật khẩu cho tài khoản",
    "new_password": "Mật khẩu mới",
    "new_password_again": "Nhập lại mật khẩu mới",
    "passwords_differ": "Hai mật khẩu không giống nhau.",
    "setup_button": "Lưu mật khẩu",
    "setup_done": "Đã đặt mật khẩu. Bạn có thể đăng nhập.",
    "change_title": "Đổi mật khẩu",
    "current_password": "Mật khẩu hiện tại",
    "wrong_current_password": "Mật khẩu hiện tại không đúng.",
    "change_done": "Đã đổi mật khẩu.",
    "back": "Quay lại",
    "link_expired": "Liên kết không còn hiệu lực (đã dùng hoặc quá hạn). Hãy đề nghị quản trị "
                    "đơn vị cấp liên kết mới.",
    "signed_in_as": "Đang đăng nhập với tài khoản",
    "unit": "Đơn vị",
    "logout_button": "Đăng xuất",
    "logged_out": "Bạn đã đăng xuất khỏi SSO và các ứng dụng đã dùng phiên đăng nhập này.",
    "device_title": "Xác nhận đăng nhập cho thiết bị",
    "device_text": "Một ứng dụng dòng lệnh đề nghị được thao tác với danh nghĩa của bạn. Chỉ "
                   "xác nhận nếu mã dưới đây trùng với mã trên màn hình của bạn.",
    "user_code": "Mã thiết bị",
    "approve": "Cho phép",
    "deny": "Từ chối",
    "device_done": "Đã xác nhận. Bạn có thể quay lại cửa sổ dòng lệnh.",
    "device_denied": "Đã từ chối yêu cầu.",
    "device_unknown": "Mã không đúng hoặc đã hết hạn.",
    "error_title": "Không thể tiếp tục",
    "app_request_refused": "Ứng dụng đã gửi yêu cầu đăng nhập không hợp lệ, nên không thể "
                           "đăng nhập vào ứng dụng này. Hãy báo cho bộ phận quản trị ứng "
                           "dụng; chi tiết kỹ thuật ở dưới.",
    "logout_refused": "Yêu cầu đăng xuất không hợp lệ (có thể bị giả mạo), nên chưa đăng "
                      "xuất. Bạn có thể đăng xuất tại trang tài khoản SSO.",
    "other_language": "English",
    "go_login": "Đến trang đăng nhập",
}

EN: dict[str, str] = {
    "hub": "Local Government Service Platform (LGSP)",
    "sso": "Province single sign-on (SSO)",
    "login_title": "Sign in",
    "account": "Account",
    "account_hint": "name@unit code, e.g. nva@000.00.12.H40",
    "password": "Password",
    "login_button": "Sign in",
    "invalid": "The account or password is wrong.",
    "invalid_otp": "The code is wrong or was already used.",
    "locked": "Signing in is locked for a while after too many failures. Try again in 15 "
              "minutes.",
    "expired": "The sign-in has expired. Please sign in again.",
    "bad_form": "The form has expired or is not valid. Please try again.",
    "otp_title": "Two-step verification",
    "otp_label": "6-digit code from your authenticator app",
    "otp_button": "Verify",
    "otp_setup_title": "Set up two-step verification",
    "otp_setup_text": "Admin accounts must use two-step verification. Scan the QR code with "
                      "an authenticator app (or type the secret key), then enter the 6-digit "
                      "code it shows.",
    "otp_secret": "Secret key",
    "setup_title": "Set your password",
    "setup_text": "Set the password of",
    "new_password": "New password",
    "new_password_again": "New password again",
    "passwords_differ": "The two passwords differ.",
    "setup_button": "Save password",
    "setup_done": "Your password is set. You can sign in.",
    "change_title": "Change password",
    "current_password": "Current password",
    "wrong_current_password": "The current password is wrong.",
    "change_done": "Your password is changed.",
    "back": "Back",
    "link_expired": "This link is no longer valid (used or expired). Ask your unit's admin "
                    "for a new one.",
    "signed_in_as": "Signed in as",
    "unit": "Unit",
    "logout_button": "Sign out",
    "logged_out": "You are signed out of the SSO and of the apps that used this session.",
    "device_title": "Confirm a device sign-in",
    "device_text": "A command-line tool asks to act on your behalf. Confirm only if the code "
                   "below matches the one on your screen.",
    "user_code": "Device code",
    "approve": "Allow",
    "deny": "Deny",
    "device_done": "Confirmed. You can return to your terminal.",
    "device_denied": "The request was denied.",
    "device_unknown": "The code is wrong or has expired.",
    "error_title": "Cannot continue",
    "app_request_refused": "The app sent a sign-in request that is not valid, so you cannot "
                           "sign in to it. Tell the app's administrators; the technical "
                           "details are below.",
    "logout_refused": "The sign-out request is not valid (it may be forged), so you were not "
                      "signed out. You can sign out on your SSO account page.",
    "other_language": "Tiếng Việt",
    "go_login": "Go to sign in",
}

TEXTS = {"vi": VI, "en": EN}
