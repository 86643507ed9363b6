// Texts in Vietnamese (the default) and English, and vi-VN / en formatting of dates and numbers.
const vi = {
  appName: 'Cổng công dân', skip: 'Bỏ qua, đến nội dung chính', loading: 'Đang tải…', mainNav: 'Điều hướng chính',
  navHome: 'Trang chủ', navServices: 'Dịch vụ', navReport: 'Phản ánh', navNotifications: 'Thông báo', navMe: 'Của tôi',
  signIn: 'Đăng nhập', register: 'Đăng ký', signOut: 'Đăng xuất', offline: 'Đang ngoại tuyến',
  offlineData: 'Bạn đang ngoại tuyến: đây là dữ liệu của lần truy cập trước.',
  unavailable: 'Chưa tải được nội dung này. Vui lòng thử lại sau.', retry: 'Thử lại', notFound: 'Không tìm thấy trang này.',
  homeTitle: 'Xin chào', homeAnnouncements: 'Thông báo đang có hiệu lực', noAnnouncements: 'Hiện không có thông báo nào.',
  quickActions: 'Việc thường làm', qaReport: 'Gửi phản ánh', qaServices: 'Tra cứu thủ tục', qaMine: 'Phản ánh của tôi',
  qaFeed: 'Phản ánh quanh đây', qaDossiers: 'Hồ sơ của tôi', qaQueue: 'Hàng việc của cơ quan',
  servicesTitle: 'Thủ tục hành chính', searchLabel: 'Tìm thủ tục', searchHint: 'Gõ tên hoặc mã thủ tục, ví dụ: khai sinh',
  sectorLabel: 'Lĩnh vực', allSectors: 'Tất cả lĩnh vực', resultsCount: '{n} thủ tục', noResults: 'Không có thủ tục nào khớp.',
  procCode: 'Mã thủ tục', procSector: 'Lĩnh vực', procAgency: 'Cơ quan thực hiện', procTime: 'Thời hạn giải quyết',
  procFee: 'Lệ phí', procDocs: 'Thành phần hồ sơ', procSteps: 'Trình tự thực hiện', procLegal: 'Căn cứ pháp lý',
  procUpdated: 'Cập nhật', copies: '{n} bản',
  level_INFORMATION: 'Cung cấp thông tin', level_PARTIAL_ONLINE: 'Trực tuyến một phần', level_FULL_ONLINE: 'Trực tuyến toàn trình',
  reportTitle: 'Gửi phản ánh', categoryLabel: 'Loại vấn đề', chooseCategory: 'Chọn loại vấn đề',
  titleLabel: 'Tiêu đề', descriptionLabel: 'Mô tả', descriptionHint: 'Điều gì đang xảy ra, từ khi nào, mức độ ra sao.',
  photosLabel: 'Ảnh (không bắt buộc)', photosHint: 'Chụp mới hoặc chọn từ thư viện; ảnh được thu nhỏ trước khi gửi.',
  cameraLabel: 'Chụp ảnh mới', galleryLabel: 'Chọn ảnh có sẵn', photosChosen: '{n} ảnh đã chọn', locationLegend: 'Vị trí', useGps: 'Dùng vị trí hiện tại', gpsWorking: 'Đang lấy vị trí…',
  gpsFailed: 'Không lấy được vị trí. Hãy chọn phường, xã hoặc chấm trên bản đồ.', gpsNotAvailable: 'Thiết bị không hỗ trợ định vị.',
  wardLabel: 'Hoặc chọn phường, xã', chooseWard: 'Chọn phường, xã', addressLabel: 'Địa chỉ, điểm mốc (không bắt buộc)',
  mapLabel: 'Hoặc chấm vị trí trên bản đồ', mapHint: 'Bản đồ sơ lược quanh vị trí đã chọn; chạm để đặt ghim. Có thể bỏ qua.',
  locationChosen: 'Vị trí đã chọn: {lat}, {lon}', noLocation: 'Chưa chọn vị trí.',
  anonymousLabel: 'Ẩn danh với cộng đồng (cơ quan xử lý vẫn thấy)', submit: 'Gửi phản ánh', sending: 'Đang gửi…',
  similarTitle: 'Đã có phản ánh tương tự gần đây', similarHint: 'Nếu trùng với vấn đề của bạn, hãy bấm “Tôi cũng gặp” thay vì gửi mới.',
  meToo: 'Tôi cũng gặp', meTooDone: 'Đã ghi nhận, cảm ơn bạn', supporters: '{n} người cùng phản ánh',
  errorSummary: 'Có {n} lỗi cần sửa', required: 'Vui lòng nhập {field}.', requiredChoice: 'Vui lòng chọn {field}.', requiredLocation: 'Vui lòng chọn vị trí.',
  submitted: 'Đã gửi phản ánh {code}.', queuedOffline: 'Bạn đang ngoại tuyến. Phản ánh được lưu và sẽ tự gửi khi có mạng.',
  waiting: 'Đang chờ gửi', outboxTitle: 'Chưa gửi được', needSignIn: 'Hãy đăng nhập để dùng chức năng này.',
  myReports: 'Phản ánh của tôi', noReports: 'Bạn chưa gửi phản ánh nào.', feedTitle: 'Phản ánh của cộng đồng',
  listView: 'Danh sách', mapView: 'Bản đồ', loadMore: 'Xem thêm', moreShown: 'Đã hiện thêm {n} mục.', statusFilter: 'Trạng thái', allStatuses: 'Tất cả',
  orderLabel: 'Sắp xếp', order_NEWEST: 'Mới nhất', order_MOST_SUPPORTED: 'Nhiều người quan tâm', mapSummary: 'Bản đồ {n} phản ánh. Danh sách đầy đủ ở chế độ Danh sách.',
  status_SUBMITTED: 'Đã gửi', status_ASSIGNED: 'Đã chuyển xử lý', status_IN_PROGRESS: 'Đang xử lý', status_RESOLVED: 'Đã xử lý',
  status_CLOSED: 'Đã đóng', status_REJECTED: 'Từ chối', status_DUPLICATE: 'Trùng lặp',
  kind_SUBMITTED: 'Gửi phản ánh', kind_ASSIGNED: 'Chuyển cơ quan', kind_STATUS_CHANGED: 'Đổi trạng thái', kind_REPLY: 'Trả lời',
  kind_RATED: 'Đánh giá', kind_REOPENED: 'Mở lại',
  reference: 'Mã', category: 'Loại', agency: 'Cơ quan xử lý', created: 'Gửi lúc', due: 'Hạn xử lý', overdue: 'Quá hạn',
  timeline: 'Diễn biến', support: 'Tôi cũng gặp', supported: 'Đã cùng phản ánh', follow: 'Theo dõi', following: 'Đang theo dõi',
  rateLegend: 'Đánh giá kết quả xử lý', rateStar: '{n} sao', rateComment: 'Nhận xét (không bắt buộc)', rateSend: 'Gửi đánh giá',
  rated: 'Bạn đã đánh giá {n}/5.', reopenLabel: 'Chưa được khắc phục? Nêu lý do', reopenSend: 'Mở lại phản ánh',
  replyLabel: 'Trả lời người dân', replySend: 'Gửi trả lời', moveLabel: 'Chuyển trạng thái',
  reassignLegend: 'Chuyển cho cơ quan khác', agencyLabel: 'Cơ quan xử lý', chooseAgency: 'Chọn cơ quan', reassignSend: 'Chuyển cơ quan',
  duplicateLegend: 'Đánh dấu trùng', duplicateOfLabel: 'Phản ánh gốc', chooseOriginal: 'Chọn phản ánh gốc',
  duplicateHint: 'Phản ánh cùng loại trong bán kính 1 km, gần nhất trước.', noOriginal: 'Không có phản ánh cùng loại nào trong bán kính 1 km.',
  duplicateSend: 'Đánh dấu trùng', moveMessage: 'Ghi chú gửi người dân',
  moveSend: 'Cập nhật', done: 'Đã cập nhật.', anonymous: 'Ẩn danh', photoOf: 'Ảnh {n} của phản ánh',
  notificationsTitle: 'Thông báo', noNotifications: 'Chưa có thông báo.', markAllRead: 'Đánh dấu đã đọc tất cả',
  unreadBadge: '{n} chưa đọc', newNotification: 'Thông báo mới: {title}',
  dossiersTitle: 'Hồ sơ của tôi', noDossiers: 'Chưa có hồ sơ nào liên kết. Hồ sơ hiện ra khi số định danh đã được xác thực.',
  received: 'Tiếp nhận', completed: 'Hoàn thành',
  dstatus_RECEIVED: 'Đã tiếp nhận', dstatus_PROCESSING: 'Đang giải quyết', dstatus_SUPPLEMENT_REQUESTED: 'Cần bổ sung',
  dstatus_RESULT_READY: 'Có kết quả', dstatus_COMPLETED: 'Đã trả kết quả', dstatus_REJECTED: 'Từ chối', dstatus_WITHDRAWN: 'Đã rút',
  meTitle: 'Của tôi', settings: 'Cài đặt', signedInAs: 'Đang đăng nhập: {name}',
  signInTitle: 'Đăng nhập', phoneLabel: 'Số điện thoại', passwordLabel: 'Mật khẩu', fullNameLabel: 'Họ và tên',
  emailLabel: 'Email (không bắt buộc)', passwordHint: 'Ít nhất 8 ký tự, không chỉ gồm chữ số.', noAccount: 'Chưa có tài khoản?',
  haveAccount: 'Đã có tài khoản?', registerTitle: 'Đăng ký tài khoản', signedOut: 'Bạn đã đăng xuất.',
  settingsTitle: 'Cài đặt', languageLabel: 'Ngôn ngữ', pushLabel: 'Nhận thông báo đẩy trên thiết bị này',
  pushOn: 'Đã bật thông báo đẩy.', pushOff: 'Đã tắt thông báo đẩy.', pushDenied: 'Trình duyệt đang chặn thông báo; hãy cho phép trong cài đặt trình duyệt.',
  pushUnsupported: 'Trình duyệt này không hỗ trợ thông báo đẩy.', saved: 'Đã lưu.',
  queueTitle: 'Hàng việc của cơ quan', noQueue: 'Không có phản ánh nào cần xử lý.',
  error_INVALID_CREDENTIALS: 'Số điện thoại hoặc mật khẩu không đúng.', error_RATE_LIMITED: 'Bạn thao tác quá nhanh. Vui lòng đợi một lát.',
  networkError: 'Không kết nối được máy chủ.',
};

const en = {
  appName: 'Citizen hub', skip: 'Skip to main content', loading: 'Loading…', mainNav: 'Main navigation',
  navHome: 'Home', navServices: 'Services', navReport: 'Report', navNotifications: 'Notifications', navMe: 'Mine',
  signIn: 'Sign in', register: 'Register', signOut: 'Sign out', offline: 'Offline',
  offlineData: 'You are offline: this is the data of your last visit.',
  unavailable: 'This could not be loaded. Please try again later.', retry: 'Try again', notFound: 'This page does not exist.',
  homeTitle: 'Welcome', homeAnnouncements: 'Announcements in force', noAnnouncements: 'No announcements right now.',
  quickActions: 'Quick actions', qaReport: 'Report a problem', qaServices: 'Find a procedure', qaMine: 'My reports',
  qaFeed: 'Reports nearby', qaDossiers: 'My dossiers', qaQueue: "Agency's queue",
  servicesTitle: 'Public services', searchLabel: 'Search procedures', searchHint: 'Type a name or a code, e.g. birth',
  sectorLabel: 'Sector', allSectors: 'All sectors', resultsCount: '{n} procedures', noResults: 'No procedure matches.',
  procCode: 'Procedure code', procSector: 'Sector', procAgency: 'Handled by', procTime: 'Processing time',
  procFee: 'Fee', procDocs: 'Documents', procSteps: 'Steps', procLegal: 'Legal basis', procUpdated: 'Updated', copies: '{n} copies',
  level_INFORMATION: 'Information only', level_PARTIAL_ONLINE: 'Partly online', level_FULL_ONLINE: 'Fully online',
  reportTitle: 'Report a problem', categoryLabel: 'Kind of problem', chooseCategory: 'Choose a kind of problem',
  titleLabel: 'Title', descriptionLabel: 'Description', descriptionHint: 'What is happening, since when, how bad.',
  photosLabel: 'Photos (optional)', photosHint: 'Take new ones or pick from the gallery; they are made smaller before sending.',
  cameraLabel: 'Take a photo', galleryLabel: 'Choose photos', photosChosen: '{n} photos chosen', locationLegend: 'Location', useGps: 'Use my current location', gpsWorking: 'Finding you…',
  gpsFailed: 'Your location could not be found. Choose a ward or put a pin on the map.', gpsNotAvailable: 'This device cannot tell its location.',
  wardLabel: 'Or choose the ward or commune', chooseWard: 'Choose a ward or commune', addressLabel: 'Address or landmark (optional)',
  mapLabel: 'Or put a pin on the map', mapHint: 'A sketch around the chosen place; tap to set the pin. You can skip it.',
  locationChosen: 'Chosen location: {lat}, {lon}', noLocation: 'No location chosen yet.',
  anonymousLabel: 'Anonymous to the public (the agency still sees you)', submit: 'Send report', sending: 'Sending…',
  similarTitle: 'Similar open reports nearby', similarHint: 'If one is your problem, press “Me too” instead of sending a new one.',
  meToo: 'Me too', meTooDone: 'Counted, thank you', supporters: '{n} people affected',
  errorSummary: 'There are {n} problems to fix', required: 'Please enter {field}.', requiredChoice: 'Please choose {field}.', requiredLocation: 'Please choose a location.',
  submitted: 'Report {code} sent.', queuedOffline: 'You are offline. The report is saved and will be sent when you are back online.',
  waiting: 'Waiting to send', outboxTitle: 'Not sent yet', needSignIn: 'Please sign in to use this.',
  myReports: 'My reports', noReports: 'You have not reported anything yet.', feedTitle: 'Community reports',
  listView: 'List', mapView: 'Map', loadMore: 'Show more', moreShown: '{n} more shown.', statusFilter: 'Status', allStatuses: 'All',
  orderLabel: 'Order', order_NEWEST: 'Newest', order_MOST_SUPPORTED: 'Most supported', mapSummary: 'Map of {n} reports. The full list is in List view.',
  status_SUBMITTED: 'Submitted', status_ASSIGNED: 'Assigned', status_IN_PROGRESS: 'In progress', status_RESOLVED: 'Resolved',
  status_CLOSED: 'Closed', status_REJECTED: 'Rejected', status_DUPLICATE: 'Duplicate',
  kind_SUBMITTED: 'Submitted', kind_ASSIGNED: 'Assigned', kind_STATUS_CHANGED: 'Status changed', kind_REPLY: 'Reply',
  kind_RATED: 'Rated', kind_REOPENED: 'Reopened',
  reference: 'Reference', category: 'Kind', agency: 'Handled by', created: 'Sent', due: 'Due', overdue: 'Overdue',
  timeline: 'Timeline', support: 'Me too', supported: 'You support this', follow: 'Follow', following: 'Following',
  rateLegend: 'Rate how it was handled', rateStar: '{n} stars', rateComment: 'Comment (optional)', rateSend: 'Send rating',
  rated: 'You rated it {n}/5.', reopenLabel: 'Not fixed? Say why', reopenSend: 'Reopen the report',
  replyLabel: 'Reply to the resident', replySend: 'Send reply', moveLabel: 'Move to status',
  reassignLegend: 'Hand to another agency', agencyLabel: 'Agency', chooseAgency: 'Choose an agency', reassignSend: 'Hand over',
  duplicateLegend: 'Mark as a duplicate', duplicateOfLabel: 'Original report', chooseOriginal: 'Choose the original report',
  duplicateHint: 'Reports of the same kind within 1 km, nearest first.', noOriginal: 'No report of the same kind within 1 km.',
  duplicateSend: 'Mark as duplicate', moveMessage: 'Note to the resident',
  moveSend: 'Update', done: 'Updated.', anonymous: 'Anonymous', photoOf: 'Photo {n} of the report',
  notificationsTitle: 'Notifications', noNotifications: 'No notifications yet.', markAllRead: 'Mark all as read',
  unreadBadge: '{n} unread', newNotification: 'New notification: {title}',
  dossiersTitle: 'My dossiers', noDossiers: 'No dossiers linked yet. They appear once your national ID is verified.',
  received: 'Received', completed: 'Completed',
  dstatus_RECEIVED: 'Received', dstatus_PROCESSING: 'Processing', dstatus_SUPPLEMENT_REQUESTED: 'More documents needed',
  dstatus_RESULT_READY: 'Result ready', dstatus_COMPLETED: 'Completed', dstatus_REJECTED: 'Rejected', dstatus_WITHDRAWN: 'Withdrawn',
  meTitle: 'Mine', settings: 'Settings', signedInAs: 'Signed in as {name}',
  signInTitle: 'Sign in', phoneLabel: 'Phone number', passwordLabel: 'Password', fullNameLabel: 'Full name',
  emailLabel: 'Email (optional)', passwordHint: 'At least 8 characters, not only digits.', noAccount: 'No account yet?',
  haveAccount: 'Already registered?', registerTitle: 'Create an account', signedOut: 'You are signed out.',
  settingsTitle: 'Settings', languageLabel: 'Language', pushLabel: 'Push notifications on this device',
  pushOn: 'Push notifications are on.', pushOff: 'Push notifications are off.', pushDenied: 'The browser blocks notifications; allow them in its settings.',
  pushUnsupported: 'This browser does not support push notifications.', saved: 'Saved.',
  queueTitle: "Agency's queue", noQueue: 'Nothing to handle.',
  error_INVALID_CREDENTIALS: 'Wrong phone number or password.', error_RATE_LIMITED: 'Too many attempts. Please wait a moment.',
  networkError: 'The server cannot be reached.',
};

const TEXTS = { vi, en };
let language = 'vi';

export function setLanguage(code) {
  language = code === 'en' ? 'en' : 'vi';
  document.documentElement.lang = language;
}

export const lang = () => language;

export function t(key, params = {}) {
  const text = TEXTS[language][key] ?? vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

const locale = () => (language === 'vi' ? 'vi-VN' : 'en-GB');

// Intl formatters are costly to build (locale data): one per locale and style, reused.
const formatters = new Map();
function formatter(kind, options) {
  const key = `${kind}|${locale()}|${JSON.stringify(options)}`;
  if (!formatters.has(key)) {
    formatters.set(key, kind === 'date' ? new Intl.DateTimeFormat(locale(), options) : new Intl.NumberFormat(locale(), options));
  }
  return formatters.get(key);
}

// The first date formatter costs 20-40 ms (ICU's locale and time zone data). A screen that will show dates
// calls this before it waits for the hub, so that the cost falls in the network wait, as a task of its own,
// instead of inside the rendering of the answer.
export function prepareDates() {
  setTimeout(() => formatDate(0), 0);
}

export function formatDate(value, withTime = true) {
  if (!value) return '';
  const options = withTime ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'medium' };
  return formatter('date', { ...options, timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date(value));
}

export function formatNumber(value, digits = 0) {
  // Whole numbers below 1000 look the same in every locale here: spare building the formatter.
  if (digits === 0 && Number.isInteger(value) && Math.abs(value) < 1000) return String(value);
  return formatter('number', { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
}

// Texts in the static shell (index.html) carry data-i18n keys.
export function translateShell(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
}
