"""User-facing messages in Vietnamese (default) and English."""

from __future__ import annotations

from typing import Literal

Lang = Literal["vi", "en"]

MESSAGES: dict[str, dict[str, str]] = {
    "required": {"vi": "Thông tin này là bắt buộc.", "en": "This field is required."},
    "phone.invalid": {
        "vi": "Số điện thoại di động Việt Nam không hợp lệ.",
        "en": "Not a valid Vietnamese mobile phone number.",
    },
    "phone.taken": {
        "vi": "Số điện thoại này đã được đăng ký.",
        "en": "An account with this phone number already exists.",
    },
    "password.too_short": {
        "vi": "Mật khẩu phải có ít nhất {min} ký tự.",
        "en": "The password must have at least {min} characters.",
    },
    "password.too_long": {
        "vi": "Mật khẩu không được dài quá {max} ký tự.",
        "en": "The password must have at most {max} characters.",
    },
    "password.all_digits": {
        "vi": "Mật khẩu không được chỉ gồm chữ số.",
        "en": "The password must not consist of digits only.",
    },
    "password.common": {
        "vi": "Mật khẩu này quá phổ biến, dễ bị đoán. Hãy chọn mật khẩu khác.",
        "en": "This password is too common and easy to guess. Choose another.",
    },
    "password.contains_phone": {
        "vi": "Mật khẩu không được chứa số điện thoại.",
        "en": "The password must not contain the phone number.",
    },
    "name.invalid": {
        "vi": "Họ tên phải có từ 2 đến 200 ký tự.",
        "en": "The full name must have 2 to 200 characters.",
    },
    "email.invalid": {"vi": "Địa chỉ email không hợp lệ.", "en": "Not a valid email address."},
    "national_id.invalid": {
        "vi": "Số định danh cá nhân phải gồm đúng 12 chữ số.",
        "en": "The national ID number must have exactly 12 digits.",
    },
    "unit.not_found": {"vi": "Không tìm thấy đơn vị hành chính.", "en": "No such administrative unit."},
    "id.invalid": {"vi": "Mã định danh không hợp lệ.", "en": "Not a valid ID."},
    "credentials.invalid": {
        "vi": "Số điện thoại hoặc mật khẩu không đúng.",
        "en": "Wrong phone number or password.",
    },
    "login.rate_limited": {
        "vi": "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút.",
        "en": "Too many failed sign-ins. Try again in {minutes} minutes.",
    },
    "refresh.invalid": {
        "vi": "Phiên đăng nhập đã hết hạn hoặc không hợp lệ. Vui lòng đăng nhập lại.",
        "en": "The session has expired or is not valid. Please sign in again.",
    },
    "refresh.reused": {
        "vi": "Phiên đăng nhập đã bị sử dụng lại nên đã bị thu hồi. Vui lòng đăng nhập lại.",
        "en": "This session token was used twice, so the session was revoked. Please sign in again.",
    },
    "agency.not_found": {"vi": "Không tìm thấy cơ quan mã {agency}.", "en": "No agency with code {agency}."},
    "account.not_found": {"vi": "Không tìm thấy tài khoản.", "en": "No such account."},
    "national_id.missing": {
        "vi": "Tài khoản chưa khai báo số định danh cá nhân.",
        "en": "The account has no national ID number.",
    },
    "national_id.taken": {
        "vi": "Số định danh này đã được xác thực cho một tài khoản khác.",
        "en": "This national ID is already verified for another account.",
    },
    "app.scopes": {
        "vi": "Phạm vi quyền không hợp lệ. Dùng: {known}.",
        "en": "Unknown or no scopes. Use: {known}.",
    },
    "app.redirect_uri": {
        "vi": "Địa chỉ chuyển hướng phải là https (http chỉ cho máy cục bộ): {uri}",
        "en": "A redirect URI must be https (http only for loopback hosts): {uri}",
    },
    "app.not_connected": {
        "vi": "Ứng dụng này không có quyền truy cập tài khoản của bạn.",
        "en": "This app has no access to your account.",
    },
    "webhook.events": {
        "vi": "Loại sự kiện không hợp lệ. Dùng: {known}.",
        "en": "Unknown event type. Use: {known}.",
    },
    "webhook.url": {
        "vi": "Địa chỉ webhook phải là https (http chỉ cho máy cục bộ).",
        "en": "A webhook URL must be https (http only for loopback hosts).",
    },
    "webhook.too_many": {"vi": "Mỗi ứng dụng có tối đa 10 webhook.", "en": "An app has at most 10 webhooks."},
    "webhook.not_found": {"vi": "Không tìm thấy webhook.", "en": "No such webhook."},
    "account.disabled": {"vi": "Tài khoản không còn hoạt động.", "en": "The account is no longer active."},
    # ---- feedback (server/feedback)
    "feedback.sign_in": {"vi": "Vui lòng đăng nhập để thực hiện.", "en": "Sign in to do this."},
    "feedback.not_found": {"vi": "Không tìm thấy phản ánh.", "en": "No such feedback."},
    "feedback.forbidden": {
        "vi": "Bạn không có quyền xử lý phản ánh này.",
        "en": "You may not act on this feedback.",
    },
    "feedback.conflict": {
        "vi": "Phản ánh đã được cập nhật (phiên bản {current}). Vui lòng tải lại.",
        "en": "The feedback changed meanwhile (now version {current}). Reload it.",
    },
    "feedback.invalid_transition": {
        "vi": "Không thể chuyển phản ánh từ {current} sang {target}.",
        "en": "The feedback cannot go from {current} to {target}.",
    },
    "feedback.title_length": {
        "vi": "Tiêu đề phải có từ {min} đến {max} ký tự.",
        "en": "The title must have {min} to {max} characters.",
    },
    "feedback.text_length": {
        "vi": "Nội dung phải có từ {min} đến {max} ký tự.",
        "en": "The text must have {min} to {max} characters.",
    },
    "feedback.key_invalid": {
        "vi": "Khóa chống gửi trùng phải có từ 1 đến 100 ký tự.",
        "en": "The idempotency key must have 1 to 100 characters.",
    },
    "feedback.category_not_found": {"vi": "Không tìm thấy lĩnh vực phản ánh.", "en": "No such category."},
    "feedback.agency_not_found": {"vi": "Không tìm thấy cơ quan.", "en": "No such agency."},
    "feedback.coordinate_invalid": {"vi": "Tọa độ không hợp lệ.", "en": "Not a valid coordinate."},
    "feedback.out_of_area": {
        "vi": "Vị trí nằm ngoài địa bàn thành phố.",
        "en": "The location lies outside the city.",
    },
    "feedback.too_many_photos": {
        "vi": "Chỉ được gửi tối đa {max} ảnh.",
        "en": "At most {max} photos can be sent.",
    },
    "photo.unsupported": {
        "vi": "Tệp không phải ảnh JPEG, PNG hoặc WebP.",
        "en": "The file is not a JPEG, PNG or WebP image.",
    },
    "photo.too_large": {
        "vi": "Ảnh quá lớn (tối đa 10 MB và 40 megapixel).",
        "en": "The image is too large (at most 10 MB and 40 megapixels).",
    },
    "feedback.reason_required": {"vi": "Vui lòng nêu lý do.", "en": "Give a reason."},
    "feedback.duplicate_of_required": {
        "vi": "Vui lòng chọn phản ánh gốc.",
        "en": "Name the original feedback.",
    },
    "feedback.duplicate_of_invalid": {
        "vi": "Phản ánh gốc không hợp lệ.",
        "en": "Not a valid original feedback.",
    },
    "feedback.rating_range": {
        "vi": "Đánh giá phải từ 1 đến 5.",
        "en": "The rating must lie between 1 and 5.",
    },
    "feedback.already_rated": {"vi": "Phản ánh đã được đánh giá.", "en": "The feedback was already rated."},
    "feedback.author_only": {
        "vi": "Chỉ người gửi phản ánh mới thực hiện được.",
        "en": "Only the author of the feedback can do this.",
    },
    "access.contact_details": {"vi": "thông tin liên hệ", "en": "contact details"},
    "access.handling_feedback": {"vi": "xử lý phản ánh {ref}", "en": "handling feedback {ref}"},
    # ---- notifications (server/notify)
    "notify.sign_in": {"vi": "Vui lòng đăng nhập để thực hiện.", "en": "Sign in to do this."},
    "announcement.forbidden": {
        "vi": "Chỉ cán bộ và quản trị viên mới được phát thông báo.",
        "en": "Only cadres and administrators may publish announcements.",
    },
    "announcement.out_of_area": {
        "vi": "Đơn vị này nằm ngoài địa bàn của cơ quan bạn.",
        "en": "This unit lies outside your agency's area.",
    },
    "announcement.severity": {"vi": "Mức độ không hợp lệ.", "en": "Not a valid severity."},
    "announcement.expired": {
        "vi": "Thời điểm hết hiệu lực phải ở tương lai.",
        "en": "The expiry time must lie in the future.",
    },
    "push.endpoint_invalid": {
        "vi": "Địa chỉ nhận thông báo đẩy phải dùng https.",
        "en": "The push endpoint must be an https URL.",
    },
    "push.key_invalid": {"vi": "Khóa mã hóa không hợp lệ.", "en": "Not a valid encryption key."},
    # ---- national identity login (server/identity/national.py)
    "national_login.off": {
        "vi": "Chưa cấu hình đăng nhập bằng định danh quốc gia.",
        "en": "National identity login is not configured.",
    },
    "national_login.invalid": {
        "vi": "Mã định danh không hợp lệ hoặc đã hết hạn.",
        "en": "The identity token is invalid or expired.",
    },
    "national_login.no_national_id": {
        "vi": "Định danh quốc gia không cung cấp số định danh cá nhân.",
        "en": "The national identity did not share a personal identification number.",
    },
    "national_login.no_phone": {
        "vi": "Định danh quốc gia không cung cấp số điện thoại để tạo tài khoản.",
        "en": "The national identity did not share a phone number to create the account with.",
    },
    "national_login.phone_conflict": {
        "vi": "Số điện thoại này thuộc một tài khoản đã xác thực số định danh khác.",
        "en": "This phone number belongs to an account verified with another national ID.",
    },
    "delete_account.phone_mismatch": {
        "vi": "Số điện thoại xác nhận không khớp với tài khoản.",
        "en": "The confirmation phone number does not match the account.",
    },
    # ---- dossier notifications (server/records/notices.py)
    "dossier.status.RECEIVED": {"vi": "Hồ sơ {code}: đã tiếp nhận", "en": "Dossier {code}: received"},
    "dossier.status.PROCESSING": {"vi": "Hồ sơ {code}: đang xử lý", "en": "Dossier {code}: being processed"},
    "dossier.status.SUPPLEMENT_REQUESTED": {
        "vi": "Hồ sơ {code}: cần bổ sung giấy tờ",
        "en": "Dossier {code}: more documents needed",
    },
    "dossier.status.RESULT_READY": {
        "vi": "Hồ sơ {code}: đã có kết quả",
        "en": "Dossier {code}: result ready",
    },
    "dossier.status.COMPLETED": {"vi": "Hồ sơ {code}: đã trả kết quả", "en": "Dossier {code}: completed"},
    "dossier.status.REJECTED": {
        "vi": "Hồ sơ {code}: không được giải quyết",
        "en": "Dossier {code}: rejected",
    },
    "dossier.status.WITHDRAWN": {"vi": "Hồ sơ {code}: đã rút", "en": "Dossier {code}: withdrawn"},
    "dossier.overdue": {
        "vi": "Hồ sơ {code} đã quá hạn trả kết quả",
        "en": "Dossier {code} is past its due time",
    },
    "dossier.overdue_body": {
        "vi": "Hạn trả kết quả là {due}. Cơ quan giải quyết xin lỗi vì sự chậm trễ.",
        "en": "It was due at {due}. The agency apologises for the delay.",
    },
    "dossier.new_due": {
        "vi": "Hồ sơ {code} trễ hạn: hẹn trả kết quả mới {due}",
        "en": "Dossier {code} is late: new due time {due}",
    },
    "dossier.new_due_body": {
        "vi": "Cơ quan giải quyết xin lỗi vì sự chậm trễ và hẹn trả kết quả vào {due}.",
        "en": "The agency apologises for the delay and will return the result by {due}.",
    },
    "access.dossier": {"vi": "hồ sơ hành chính", "en": "administrative dossier"},
    "access.account": {"vi": "thông tin tài khoản", "en": "account details"},
    "access.admin_review": {"vi": "quản trị viên kiểm tra {ref}", "en": "administrator review of {ref}"},
    "access.admin_account_review": {
        "vi": "quản trị viên kiểm tra tài khoản",
        "en": "administrator review of the account",
    },
}


def translate(key: str, lang: Lang, params: dict[str, object] | None = None) -> str:
    texts = MESSAGES.get(key)
    if texts is None:
        return key
    text = texts.get(lang) or texts["vi"]
    return text.format(**params) if params else text


def parse_accept_language(header: str | None) -> Lang:
    """The first of vi/en the client lists; Vietnamese when it names neither."""
    if not header:
        return "vi"
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, rest = part.strip().partition(";")
        quality = 1.0
        if rest.strip().startswith("q="):
            try:
                quality = float(rest.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("vi", "en") and quality > 0:
            ranked.append((-quality, index, primary))
    if not ranked:
        return "vi"
    ranked.sort()
    return "en" if ranked[0][2] == "en" else "vi"
