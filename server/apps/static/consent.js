// The consent screen of the authorization code flow: shows which app asks for what, and lets the
// signed-in resident approve or decline. No inline script (strict CSP); the access token stays in memory.
const params = new URLSearchParams(location.search);
const lang = (params.get("lang") || navigator.language || "vi").toLowerCase().startsWith("en") ? "en" : "vi";
const TEXT = {
  vi: { asks: "muốn được làm những việc sau thay bạn:", approve: "Cho phép", decline: "Từ chối",
        title: "Cấp quyền cho ứng dụng", signin: "Đăng nhập", intro: "Đăng nhập để tiếp tục.",
        phone: "Số điện thoại", password: "Mật khẩu", back: "Sau đó bạn sẽ được chuyển về: " },
  en: { asks: "asks to do the following for you:", approve: "Allow", decline: "Decline",
        title: "Allow an app", signin: "Sign in", intro: "Sign in to continue.",
        phone: "Phone number", password: "Password", back: "You will then return to: " },
}[lang];
const $ = (id) => document.getElementById(id);
let accessToken = null;

const input = {
  clientId: params.get("client_id") || "",
  redirectUri: params.get("redirect_uri") || "",
  codeChallenge: params.get("code_challenge") || "",
  codeChallengeMethod: params.get("code_challenge_method") || "",
  scope: params.get("scope"),
  state: params.get("state"),
};

async function graphql(query, variables) {
  const headers = { "Content-Type": "application/json", "Accept-Language": lang };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  const response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = await response.json();
  if (body.errors && body.errors.length) throw new Error(body.errors[0].message);
  return body.data;
}

function showProblem(message) {
  const box = $("problem");
  box.textContent = message;
  box.hidden = false;
  box.focus();
}

function translateStatic() {
  document.documentElement.lang = lang;
  $("title").textContent = TEXT.title;
  $("asks").textContent = TEXT.asks;
  $("approve").textContent = TEXT.approve;
  $("decline").textContent = TEXT.decline;
  $("signin-button").textContent = TEXT.signin;
  $("signin-intro").textContent = TEXT.intro;
  $("phone-label").textContent = TEXT.phone;
  $("password-label").textContent = TEXT.password;
}

async function describe() {
  const data = await graphql(
    `query($input: AuthorizeAppInput!) { appAuthorizationRequest(input: $input) {
       appName redirectUri scopes { name description } } }`, { input });
  const request = data.appAuthorizationRequest;
  $("app-name").textContent = request.appName;
  $("scopes").replaceChildren(...request.scopes.map((s) => {
    const item = document.createElement("li");
    item.textContent = `${s.description} (${s.name})`;
    return item;
  }));
  $("redirect-note").textContent = TEXT.back + new URL(request.redirectUri).origin;
}

async function decide(approve) {
  try {
    const data = await graphql(
      `mutation($input: AuthorizeAppInput!) { authorizeApp(input: $input) { redirectUrl errors { message } } }`,
      { input: { ...input, approve } });
    const payload = data.authorizeApp;
    if (payload.errors.length) return showProblem(payload.errors[0].message);
    location.assign(payload.redirectUrl);
  } catch (error) {
    showProblem(error.message);
  }
}

$("signin").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const data = await graphql(
      `mutation($input: LoginInput!) { login(input: $input) { accessToken errors { message } } }`,
      { input: { phone: $("phone").value, password: $("password").value } });
    if (data.login.errors.length) return showProblem(data.login.errors[0].message);
    accessToken = data.login.accessToken;
    $("signin").hidden = true;
    $("problem").hidden = true;
    $("request").hidden = false;
    $("approve").focus();
  } catch (error) {
    showProblem(error.message);
  }
});
$("approve").addEventListener("click", () => decide(true));
$("decline").addEventListener("click", () => decide(false));

translateStatic();
describe().then(() => { $("signin").hidden = false; $("phone").focus(); }, (error) => showProblem(error.message));
