// Every GraphQL document the PWA sends, verbatim: server/pwa_assets.py hashes them into
// ../persisted-queries.json (the hub's allow-list). No interpolation here, or the hashes would lie.

export const VIEWER = `query Viewer { viewer { account { id fullName phone email role language nationalIdMasked agency { id name } homeUnit { id name } } } }`;

export const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { accessToken refreshToken account { id fullName phone role language agency { id name } } errors { field message code } } }`;

export const LOGIN = `mutation Login($input: LoginInput!) { login(input: $input) { accessToken refreshToken account { id fullName phone role language agency { id name } } errors { field message code } } }`;

export const REFRESH = `mutation Refresh($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken refreshToken account { id fullName phone role language agency { id name } } errors { field message code } } }`;

export const LOGOUT = `mutation Logout($input: LogoutInput!) { logout(input: $input) { ok errors { field message code } } }`;

export const ANNOUNCEMENTS = `query Announcements($first: Int) { announcements(first: $first) { edges { node { id title body severity publishedAt expiresAt issuer { name } } } } }`;

export const SECTORS = `query Sectors { sectors { id code name procedureCount } }`;

export const SEARCH_PROCEDURES = `query SearchProcedures($search: String, $sectorId: ID, $first: Int, $after: String) { procedures(search: $search, sectorId: $sectorId, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id code name level processingTime sector { name } agency { name } } } } }`;

export const PROCEDURE = `query Procedure($code: String!) { procedure(code: $code) { id code name level processingTime processingDays fee steps legalBasis updatedAt requiredDocuments { name quantity } sector { name } agency { name phone email address } } }`;

export const CATEGORIES = `query Categories { feedbackCategories { id code name slaHours } }`;

export const WARDS = `query Wards { administrativeUnits(level: COMMUNE) { id code name } }`;

export const SIMILAR = `query Similar($categoryId: ID!, $location: GeoPointInput!) { similarFeedbacks(categoryId: $categoryId, location: $location) { id referenceCode title status supportCount createdAt address } }`;

export const SUBMIT_FEEDBACK = `mutation SubmitFeedback($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { feedback { id referenceCode title status } errors { field message code } } }`;

export const MY_FEEDBACKS = `query MyFeedbacks($first: Int, $after: String) { viewer { feedbacks(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id referenceCode title status createdAt supportCount category { name } } } } } }`;

export const PUBLIC_FEED = `query Feed($filter: FeedbackFilter, $orderBy: FeedbackOrder, $first: Int, $after: String) { feedbacks(filter: $filter, orderBy: $orderBy, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id referenceCode title status createdAt supportCount address location { latitude longitude } category { name } } } } }`;

export const FEED_MAP = `query FeedMap($filter: FeedbackFilter, $first: Int) { feedbacks(filter: $filter, first: $first) { totalCount edges { node { id title status location { latitude longitude } } } } }`;

export const FEEDBACK = `query Feedback($id: ID!) { node(id: $id) { ... on Feedback { id referenceCode title description status createdAt updatedAt dueAt isOverdue supportCount rating version address location { latitude longitude } category { id name } unit { name } assignedAgency { id name } author { displayName } photos { url thumbnailUrl width height } } } }`;

export const FEEDBACK_VIEWER = `query FeedbackViewer($id: ID!) { node(id: $id) { ... on Feedback { id viewerHasSupported viewerIsFollowing timeline { kind status message createdAt actor { displayName role } photos { thumbnailUrl url } } } } }`;

export const SUPPORT = `mutation Support($input: SetFeedbackFlagInput!) { supportFeedback(input: $input) { feedback { id supportCount viewerHasSupported } errors { field message code } } }`;

export const FOLLOW = `mutation Follow($input: SetFeedbackFlagInput!) { followFeedback(input: $input) { feedback { id viewerIsFollowing } errors { field message code } } }`;

export const RATE = `mutation Rate($input: RateFeedbackInput!) { rateFeedback(input: $input) { feedback { id rating status } errors { field message code } } }`;

export const REOPEN = `mutation Reopen($input: ReopenFeedbackInput!) { reopenFeedback(input: $input) { feedback { id status } errors { field message code } } }`;

export const REPLY = `mutation Reply($input: ReplyToFeedbackInput!) { replyToFeedback(input: $input) { feedback { id version } errors { field message code } } }`;

export const TRANSITION = `mutation Transition($input: TransitionFeedbackInput!) { transitionFeedback(input: $input) { feedback { id status version } errors { field message code } } }`;

export const AGENCIES = `query Agencies { agencies { id name } }`;

export const NEARBY_REPORTS = `query NearbyReports($filter: FeedbackFilter, $first: Int) { feedbacks(filter: $filter, orderBy: NEAREST, first: $first) { edges { node { id referenceCode title status } } } }`;

export const ASSIGN = `mutation Assign($input: AssignFeedbackInput!) { assignFeedback(input: $input) { feedback { id status version } errors { field message code } } }`;

export const QUEUE = `query Queue($status: [FeedbackStatus!], $first: Int, $after: String) { viewer { account { agency { name } } assignedFeedbacks(status: $status, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id referenceCode title status createdAt dueAt isOverdue version category { name } } } } } }`;

export const UNREAD_COUNT = `query UnreadCount { viewer { unreadNotificationCount } }`;

export const NOTIFICATIONS = `query Notifications($first: Int, $after: String) { viewer { unreadNotificationCount notifications(first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id kind title body createdAt readAt subject { id __typename } } } } } }`;

export const MARK_READ = `mutation MarkRead($input: MarkNotificationsReadInput!) { markNotificationsRead(input: $input) { unreadCount errors { field message code } } }`;

export const NOTIFICATION_RECEIVED = `subscription NotificationReceived { notificationReceived { id kind title body createdAt readAt subject { id __typename } } }`;

export const DOSSIERS = `query Dossiers($first: Int, $after: String) { viewer { dossiers(first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id code procedureName status receivedAt dueAt completedAt isOverdue agency { name } history { status note occurredAt } } } } } }`;

export const PUSH_KEY = `query PushKey { webPushPublicKey }`;

export const REGISTER_PUSH = `mutation RegisterPush($input: PushSubscriptionInput!) { registerPushSubscription(input: $input) { ok errors { field message code } } }`;

export const UNREGISTER_PUSH = `mutation UnregisterPush($input: UnregisterPushSubscriptionInput!) { unregisterPushSubscription(input: $input) { ok errors { field message code } } }`;
