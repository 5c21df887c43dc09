//! Sign-in at an OpenID Connect provider, against a real one: `oidc-provider` (a certified
//! implementation) run by Node from `tests/oidc-provider/`, on loopback. Each test starts its own
//! provider and server. A small cookie-keeping client plays the browser: Samskriv's redirect to
//! the provider, the provider's login form, its redirect back. The provider can be told to
//! misbehave (an expired, wrongly signed, wrong-audience, wrong-issuer or wrong-nonce ID token),
//! or be stopped, and every such case must sign nobody in.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;

use samskriv::access::Role;
use samskriv::storage::accounts as store;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::*;

const CLIENT_ID: &str = "samskriv-test";
const PROVIDER_NAME: &str = "Testleverandør";

/// What the provider is told at start.
#[derive(Clone)]
pub struct ProviderSetup {
    /// Who can sign in: subject → claims (`email`, `email_verified`, `name`, …).
    pub accounts: Value,
    /// How the token endpoint misbehaves ("" for not at all).
    pub mode: &'static str,
    /// The person's claims in the ID token (else only at the userinfo endpoint).
    pub id_token_claims: bool,
}

impl ProviderSetup {
    pub fn with(accounts: Value) -> ProviderSetup {
        ProviderSetup {
            accounts,
            mode: "",
            id_token_claims: true,
        }
    }
}

/// The test provider: a Node process, ended when dropped.
pub struct TestProvider {
    pub issuer: String,
    child: tokio::process::Child,
    stdin: Option<tokio::process::ChildStdin>,
    stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl TestProvider {
    /// Starts the provider; it answers once [`TestProvider::configure`] told it the client.
    async fn launch() -> TestProvider {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "the test provider's packages are missing: run `npm ci --prefix tests/oidc-provider`"
        );
        let mut child = tokio::process::Command::new("node")
            .arg(dir.join("provider.mjs"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs tests/oidc-provider/provider.mjs (install Node.js 20)");
        // The provider's own errors are shown; its start-up warnings (an in-memory store, a
        // Node release it was not tested on) are known and left out.
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = stderr.next_line().await {
                if !line.starts_with("oidc-provider WARNING") {
                    eprintln!("provider: {line}");
                }
            }
        });
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let line = tokio::time::timeout(WAIT, stdout.next_line())
            .await
            .expect("the provider starts in time")
            .expect("provider output")
            .expect("the provider prints its issuer");
        let issuer = line
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("unexpected provider output: {line}"))
            .to_owned();
        TestProvider {
            issuer,
            child,
            stdin,
            stdout,
        }
    }

    /// Tells the provider the client (Samskriv at `base`) and the people, and waits until ready.
    async fn configure(&mut self, base: &str, secret: &str, setup: &ProviderSetup) {
        let line = json!({
            "client_id": CLIENT_ID,
            "client_secret": secret,
            "redirect_uri": format!("{base}/login/oidc/callback"),
            "post_logout_redirect_uri": format!("{base}/login"),
            "accounts": setup.accounts,
            "mode": setup.mode,
            "id_token_claims": setup.id_token_claims,
        });
        let stdin = self.stdin.as_mut().expect("stdin");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("configure the provider");
        stdin.flush().await.expect("flush");
        let ready = tokio::time::timeout(WAIT, self.stdout.next_line())
            .await
            .expect("the provider gets ready in time")
            .expect("provider output");
        assert_eq!(ready.as_deref(), Some("ready"));
    }

    /// Stops the provider: from now on it cannot be reached. Its port stays taken by a listener
    /// that closes every connection at once, so no other test's provider can answer there.
    pub async fn stop(&mut self) {
        self.stdin.take();
        let _ = self.child.kill().await;
        let _ = self.child.wait().await;
        let address = self.issuer.trim_start_matches("http://").to_owned();
        let squatter = tokio::net::TcpListener::bind(&address)
            .await
            .unwrap_or_else(|e| panic!("the stopped provider's port {address} is free: {e}"));
        tokio::spawn(async move {
            while let Ok((connection, _)) = squatter.accept().await {
                drop(connection);
            }
        });
    }
}

/// A provider and a server that signs in at it, with the server's settings changed by
/// `configure` (allowed domains, passwords off, a database).
pub async fn provider_and_server_on(
    setup: ProviderSetup,
    database_url: Option<&str>,
    configure: impl FnOnce(&mut samskriv::config::ServeConfig),
) -> (TestProvider, TestApp) {
    let mut provider = TestProvider::launch().await;
    // A generated secret per test: nothing secret is committed.
    let secret = samskriv::secret::new_token();
    let issuer = provider.issuer.clone();
    let client_secret = secret.clone();
    let with_provider = move |c: &mut samskriv::config::ServeConfig| {
        c.oidc.oidc_issuer = Some(issuer);
        c.oidc.oidc_client_id = Some(CLIENT_ID.into());
        c.oidc.oidc_client_secret = Some(client_secret);
        c.oidc.oidc_name = PROVIDER_NAME.into();
        // The people of these tests sign in by invite or not at all.
        c.open_editing = false;
        configure(c);
    };
    let app = match database_url {
        Some(url) => TestApp::spawn_with_url(url, with_provider).await,
        None => TestApp::spawn_with(with_provider).await,
    };
    // The address the server calls itself by default (`http://localhost:PORT`): another site
    // than the provider's 127.0.0.1, as in production.
    provider.configure(&base(&app), &secret, &setup).await;
    (provider, app)
}

pub async fn provider_and_server(setup: ProviderSetup) -> (TestProvider, TestApp) {
    provider_and_server_on(setup, None, |_| {}).await
}

pub fn base(app: &TestApp) -> String {
    format!("http://localhost:{}", app.addr.port())
}

/// A browser as far as sign-in needs one: keeps cookies (by name; every host here is this
/// machine), never follows redirects by itself.
pub struct Browser {
    http: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

impl Browser {
    pub fn new() -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, response: &reqwest::Response) {
        for header in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let Ok(header) = header.to_str() else {
                continue;
            };
            let mut parts = header.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let removed = parts.any(|attribute| {
                let attribute = attribute.trim().to_ascii_lowercase();
                attribute == "max-age=0" || attribute.starts_with("expires=thu, 01 jan 1970")
            });
            if removed || value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    pub async fn get(&mut self, url: &str) -> reqwest::Response {
        let response = self
            .http
            .get(url)
            .header(reqwest::header::COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        self.keep_cookies(&response);
        response
    }

    pub async fn post(&mut self, url: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let response = self
            .http
            .post(url)
            .header(reqwest::header::COOKIE, self.cookie_header())
            .form(fields)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        self.keep_cookies(&response);
        response
    }

    /// Follows redirects from `url` until one leads to an address starting with `stop` (returned
    /// without being visited) or a page answers (its address and text).
    pub async fn follow(&mut self, url: &str, stop: &str) -> Result<String, (String, String)> {
        let mut url = url.to_owned();
        for _ in 0..20 {
            if url.starts_with(stop) {
                return Ok(url);
            }
            let response = self.get(&url).await;
            match location(&response, &url) {
                Some(next) => url = next,
                None => {
                    let text = response.text().await.unwrap_or_default();
                    return Err((url, text));
                }
            }
        }
        panic!("too many redirects from {url}");
    }
}

/// Where a redirect sends the browser, resolved against the address it came from.
pub fn location(response: &reqwest::Response, from: &str) -> Option<String> {
    if !response.status().is_redirection() {
        return None;
    }
    let target = response
        .headers()
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()?;
    Some(
        url::Url::parse(from)
            .and_then(|base| base.join(target))
            .expect("a valid redirect")
            .to_string(),
    )
}

/// Starts a sign-in at Samskriv and goes through the provider's login form as `login`, up to the
/// redirect back: returns the callback's address (not yet visited). The redirect to the provider
/// asks for the code flow with PKCE (S256), a state and a nonce.
pub async fn through_provider(browser: &mut Browser, app: &TestApp, login: &str) -> String {
    let start = browser.get(&format!("{}/login/oidc", base(app))).await;
    assert_eq!(start.status(), 303, "the sign-in starts with a redirect");
    let authorize = location(&start, &base(app)).expect("to the provider");
    let query: HashMap<String, String> = url::Url::parse(&authorize)
        .expect("URL")
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["client_id"], CLIENT_ID);
    for parameter in ["code_challenge", "state", "nonce"] {
        assert!(
            query.get(parameter).is_some_and(|v| v.len() >= 16),
            "{parameter} in {authorize}"
        );
    }
    assert!(query["scope"].split(' ').any(|s| s == "openid"));
    assert!(
        browser.cookies.contains_key("samskriv_oidc"),
        "the flow cookie is set"
    );
    let callback = format!("{}/login/oidc/callback", base(app));
    let (form_url, page) = browser
        .follow(&authorize, &callback)
        .await
        .expect_err("the provider's login form");
    assert!(page.contains("name=\"login\""), "login form: {page}");
    let submitted = browser.post(&form_url, &[("login", login)]).await;
    let next = location(&submitted, &form_url).unwrap_or_else(|| panic!("login {login} accepted"));
    browser
        .follow(&next, &callback)
        .await
        .unwrap_or_else(|(url, page)| panic!("the provider sends the browser back: {url}: {page}"))
}

/// A whole sign-in: the callback's answer.
pub async fn sign_in(browser: &mut Browser, app: &TestApp, login: &str) -> reqwest::Response {
    let callback = through_provider(browser, app, login).await;
    browser.get(&callback).await
}

/// Asserts that the answer is a Norwegian refusal page with `status` and `heading`, and that it
/// signed nobody in.
async fn assert_refused(response: reqwest::Response, status: u16, heading: &str) -> String {
    assert_eq!(
        response.status(),
        status,
        "refused with {status}: {:?}",
        response.headers()
    );
    assert!(
        set_cookie(&response, "samskriv_session").is_none_or(|v| v.is_empty()),
        "no session cookie"
    );
    let page = response.text().await.expect("page");
    assert!(page.contains("<html lang=\"nb\">"), "a page: {page}");
    assert!(page.contains(heading), "«{heading}» in {page}");
    page
}

fn person(email: &str, verified: Option<bool>, name: &str) -> Value {
    let mut claims = json!({"email": email, "name": name});
    if let Some(verified) = verified {
        claims["email_verified"] = json!(verified);
    }
    claims
}

async fn users(app: &TestApp) -> Vec<store::User> {
    store::list_users(&app.storage.db()).await.expect("users")
}

/// The signed-in person's session as the API takes it.
async fn signed_in_as(app: &TestApp, response: &reqwest::Response) -> (store::User, String) {
    let session = set_cookie(response, "samskriv_session").expect("a session cookie");
    let (user, _csrf) = store::session_user(&app.storage.db(), &session)
        .await
        .expect("session read")
        .expect("a live session");
    (user, session)
}

#[tokio::test]
async fn the_first_sign_in_makes_an_account_and_the_next_finds_it() {
    // The certified default: the person's claims at the userinfo endpoint, not in the ID token.
    let mut setup = ProviderSetup::with(json!({
        "kari": person("Kari.Nordmann@Oslo.Kommune.no", Some(true), "Kari Nordmann"),
    }));
    setup.id_token_claims = false;
    let (_provider, app) = provider_and_server(setup).await;
    let before = users(&app).await.len();

    let mut browser = Browser::new();
    let answer = sign_in(&mut browser, &app, "kari").await;
    assert_eq!(answer.status(), 303, "{:?}", answer.text().await);
    assert_eq!(
        location(&answer, &base(&app)).as_deref(),
        Some(&*format!("{}/", base(&app)))
    );
    assert!(
        answer
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .any(|c| c.to_str().is_ok_and(
                |c| c.starts_with("samskriv_oidc=;") || c.starts_with("samskriv_oidc=\"\"")
            )),
        "the flow cookie is removed"
    );
    let (user, session) = signed_in_as(&app, &answer).await;
    assert_eq!(user.email, "kari.nordmann@oslo.kommune.no");
    assert_eq!(user.name, "Kari Nordmann");
    assert!(!user.is_admin);
    assert_eq!(users(&app).await.len(), before + 1);
    assert!(
        store::plans_of(&app.storage.db(), &user.id)
            .await
            .expect("plans")
            .is_empty(),
        "no plans until invited"
    );
    assert!(
        store::email_verified(&app.storage.db(), &user.id)
            .await
            .expect("read")
    );
    // The session works: the plan list greets her.
    let page = reqwest::Client::new()
        .get(format!("{}/", base(&app)))
        .header("cookie", format!("samskriv_session={session}"))
        .send()
        .await
        .expect("GET /")
        .text()
        .await
        .expect("page");
    assert!(page.contains("Kari Nordmann"), "{page}");

    // Another browser, the same person: the same account, found by the identity.
    let mut other = Browser::new();
    let again = sign_in(&mut other, &app, "kari").await;
    assert_eq!(again.status(), 303);
    let (same, _) = signed_in_as(&app, &again).await;
    assert_eq!(same.id, user.id);
    assert_eq!(users(&app).await.len(), before + 1);
}

#[tokio::test]
async fn an_invite_to_the_address_is_accepted_after_signing_in() {
    let (_provider, app) = provider_and_server(ProviderSetup::with(json!({
        "ola": person("ola@oslo.kommune.no", Some(true), "Ola Nordmann"),
    })))
    .await;
    let plan = app.create_plan().await;
    let (_invite, token) = store::create_invite_for(
        &app.storage.db(),
        plan,
        Role::Editor,
        Some("NAV"),
        Some("ola@oslo.kommune.no"),
        None,
        std::time::Duration::from_secs(3600),
    )
    .await
    .expect("invite");

    // Not signed in, the invite offers the provider's button, which comes back to the invite.
    let mut browser = Browser::new();
    let invite_url = format!("{}/invitasjon/{token}", base(&app));
    let page = browser.get(&invite_url).await.text().await.expect("page");
    let button = format!("/login/oidc?neste=%2Finvitasjon%2F{token}");
    assert!(page.contains(&button), "{page}");
    assert!(page.contains(&format!("Logg inn med {PROVIDER_NAME}")));

    let start = browser.get(&format!("{}{button}", base(&app))).await;
    let authorize = location(&start, &base(&app)).expect("to the provider");
    let callback_prefix = format!("{}/login/oidc/callback", base(&app));
    let (form_url, _) = browser
        .follow(&authorize, &callback_prefix)
        .await
        .expect_err("login form");
    let submitted = browser.post(&form_url, &[("login", "ola")]).await;
    let next = location(&submitted, &form_url).expect("redirect");
    let callback = browser.follow(&next, &callback_prefix).await.expect("back");
    let answer = browser.get(&callback).await;
    assert_eq!(
        location(&answer, &base(&app)).as_deref(),
        Some(&*invite_url)
    );
    let (user, session) = signed_in_as(&app, &answer).await;
    let (_, csrf) = store::session_user(&app.storage.db(), &session)
        .await
        .expect("read")
        .expect("session");
    let joined = browser.post(&invite_url, &[("csrf_token", &csrf)]).await;
    assert_eq!(joined.status(), 303, "{:?}", joined.text().await);
    let membership = store::membership(&app.storage.db(), plan, &user.id)
        .await
        .expect("read")
        .expect("a member now");
    assert_eq!(membership.role, Role::Editor);
    assert_eq!(membership.unit.as_deref(), Some("NAV"));
}

/// A password account whose address the provider verifies is linked, never copied; one whose
/// address the provider does not verify (false, or not said) is refused and stays unlinked.
async fn linking(database_url: Option<&str>) {
    let setup = ProviderSetup::with(json!({
        "verified": person("lise@oslo.kommune.no", Some(true), "Lise (leverandøren)"),
        "unverified": person("per@oslo.kommune.no", Some(false), "Per (leverandøren)"),
        "unsaid": person("per@oslo.kommune.no", None, "Per (leverandøren)"),
        "other": person("lise@oslo.kommune.no", Some(true), "En annen Lise"),
    }));
    let (_provider, app) = provider_and_server_on(setup, database_url, |_| {}).await;
    let db = app.storage.db();
    let hash = samskriv::secret::hash_password("et langt nok passord").expect("hash");
    let lise = store::create_user(&db, "lise@oslo.kommune.no", "Lise", Some(&hash), false)
        .await
        .expect("Lise");
    let per = store::create_user(&db, "per@oslo.kommune.no", "Per", Some(&hash), false)
        .await
        .expect("Per");
    let before = users(&app).await.len();

    let answer = sign_in(&mut Browser::new(), &app, "verified").await;
    assert_eq!(answer.status(), 303);
    let (user, _) = signed_in_as(&app, &answer).await;
    assert_eq!(user.id, lise.id, "the existing account, linked");
    assert_eq!(user.name, "Lise", "the account keeps its own name");

    for login in ["unverified", "unsaid"] {
        let answer = sign_in(&mut Browser::new(), &app, login).await;
        let page = assert_refused(answer, 409, "Kontoen kan ikke knyttes").await;
        assert!(page.contains("bekrefter ikke"), "{page}");
    }
    assert_eq!(users(&app).await.len(), before, "no account made or taken");
    // Per's password still signs him in, and nobody else can.
    assert!(app.login(&per.email, "et langt nok passord").await.is_ok());

    // Another subject with Lise's address does not get Lise's account.
    let answer = sign_in(&mut Browser::new(), &app, "other").await;
    assert_refused(answer, 409, "Kontoen kan ikke knyttes").await;
    // Lise herself still can.
    let answer = sign_in(&mut Browser::new(), &app, "verified").await;
    assert_eq!(signed_in_as(&app, &answer).await.0.id, lise.id);
}

#[tokio::test]
async fn a_verified_address_links_an_account_and_an_unverified_one_never_takes_it_over() {
    linking(None).await;
}

#[tokio::test]
async fn linking_accounts_on_postgres() {
    let Some(schema) = postgres_schema().await else {
        return;
    };
    linking(Some(&schema.url())).await;
}

#[tokio::test]
async fn an_address_outside_the_allowed_domains_is_refused() {
    let setup = ProviderSetup::with(json!({
        "inside": person("anne@bsn.oslo.kommune.no", Some(true), "Anne"),
        "outside": person("eve@example.com", Some(true), "Eve"),
        "lookalike": person("eve@evil-bsn.oslo.kommune.no", Some(true), "Eve"),
    }));
    let (_provider, app) = provider_and_server_on(setup, None, |c| {
        c.oidc.oidc_allowed_domains =
            vec!["bsn.oslo.kommune.no".into(), "bfr.oslo.kommune.no".into()];
    })
    .await;
    let before = users(&app).await.len();
    for login in ["outside", "lookalike"] {
        let answer = sign_in(&mut Browser::new(), &app, login).await;
        assert_refused(answer, 403, "Ikke tilgang").await;
    }
    assert_eq!(users(&app).await.len(), before, "no account made");
    let answer = sign_in(&mut Browser::new(), &app, "inside").await;
    assert_eq!(answer.status(), 303);
}

#[tokio::test]
async fn a_deactivated_account_cannot_sign_in_at_the_provider() {
    let setup = ProviderSetup::with(json!({
        "siri": person("siri@oslo.kommune.no", Some(true), "Siri"),
        "tor": person("tor@oslo.kommune.no", Some(true), "Tor"),
    }));
    let (_provider, app) = provider_and_server(setup).await;
    // Linked, then deactivated.
    let answer = sign_in(&mut Browser::new(), &app, "siri").await;
    let (_, session) = signed_in_as(&app, &answer).await;
    samskriv::service::revocation::deactivate_user(app.storage.as_ref(), "siri@oslo.kommune.no")
        .await
        .expect("deactivated");
    assert!(
        store::session_user(&app.storage.db(), &session)
            .await
            .expect("read")
            .is_none(),
        "its session ended"
    );
    let answer = sign_in(&mut Browser::new(), &app, "siri").await;
    assert_refused(answer, 403, "Kontoen er deaktivert").await;

    // A deactivated password account is not revived through the provider either.
    let db = app.storage.db();
    store::create_user(&db, "tor@oslo.kommune.no", "Tor", None, false)
        .await
        .expect("Tor");
    samskriv::service::revocation::deactivate_user(app.storage.as_ref(), "tor@oslo.kommune.no")
        .await
        .expect("deactivated");
    let answer = sign_in(&mut Browser::new(), &app, "tor").await;
    assert_refused(answer, 403, "Kontoen er deaktivert").await;
}

#[tokio::test]
async fn a_wrong_state_or_a_foreign_browser_signs_nobody_in() {
    let (_provider, app) = provider_and_server(ProviderSetup::with(json!({
        "kari": person("kari@oslo.kommune.no", Some(true), "Kari"),
    })))
    .await;
    let mut browser = Browser::new();
    let callback = through_provider(&mut browser, &app, "kari").await;
    let mut url = url::Url::parse(&callback).expect("callback");
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    url.query_pairs_mut().clear();
    for (key, value) in &pairs {
        let value = if key == "state" {
            "not-the-state"
        } else {
            value
        };
        url.query_pairs_mut().append_pair(key, value);
    }

    // The right code in another browser (no flow cookie): login CSRF refused.
    let answer = Browser::new().get(&callback).await;
    assert_refused(answer, 400, "Innloggingen kunne ikke fullføres").await;
    // The right browser, a wrong state: refused, and the sign-in under way is spent.
    let answer = browser.get(url.as_str()).await;
    assert_refused(answer, 400, "Innloggingen kunne ikke fullføres").await;
    browser
        .cookies
        .insert("samskriv_oidc".into(), "a-cookie-of-another-time".into());
    let answer = browser.get(&callback).await;
    assert_refused(answer, 400, "Innloggingen kunne ikke fullføres").await;
    // An error from the provider (the person cancelled).
    let mut browser = Browser::new();
    let callback = through_provider(&mut browser, &app, "kari").await;
    let state = url::Url::parse(&callback)
        .expect("callback")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    let cancelled = format!(
        "{}/login/oidc/callback?error=access_denied&state={state}",
        base(&app)
    );
    assert_refused(
        browser.get(&cancelled).await,
        401,
        "Innloggingen ble avbrutt",
    )
    .await;
    assert!(
        users(&app)
            .await
            .iter()
            .all(|u| u.email != "kari@oslo.kommune.no")
    );
}

#[tokio::test]
async fn a_replayed_code_signs_nobody_in() {
    let (_provider, app) = provider_and_server(ProviderSetup::with(json!({
        "kari": person("kari@oslo.kommune.no", Some(true), "Kari"),
    })))
    .await;
    let mut browser = Browser::new();
    let callback = through_provider(&mut browser, &app, "kari").await;
    let flow_cookie = browser.cookies["samskriv_oidc"].clone();
    assert_eq!(browser.get(&callback).await.status(), 303, "signed in once");

    // The same answer again, even with the flow cookie put back: the flow was used.
    browser.cookies.insert("samskriv_oidc".into(), flow_cookie);
    assert_refused(
        browser.get(&callback).await,
        400,
        "Innloggingen kunne ikke fullføres",
    )
    .await;

    // The old code in a new sign-in of the same browser (its own state): the provider refuses
    // the spent code.
    let start = browser.get(&format!("{}/login/oidc", base(&app))).await;
    let authorize = location(&start, &base(&app)).expect("to the provider");
    let state = url::Url::parse(&authorize)
        .expect("URL")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    let code = url::Url::parse(&callback)
        .expect("callback")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let replay = format!(
        "{}/login/oidc/callback?code={code}&state={state}",
        base(&app)
    );
    let page = assert_refused(
        browser.get(&replay).await,
        400,
        "Innloggingen kunne ikke fullføres",
    )
    .await;
    assert!(page.contains("godtok ikke"), "{page}");
}

#[tokio::test]
async fn id_tokens_a_provider_should_never_send_are_refused() {
    // Each one is re-signed by the provider after it made it: expired, signed by a key it does
    // not publish, for another client, from another issuer, with another nonce.
    for mode in [
        "expired",
        "wrong-key",
        "wrong-audience",
        "wrong-issuer",
        "wrong-nonce",
    ] {
        let mut setup = ProviderSetup::with(json!({
            "kari": person("kari@oslo.kommune.no", Some(true), "Kari"),
        }));
        setup.mode = mode;
        let (_provider, app) = provider_and_server(setup).await;
        let before = users(&app).await.len();
        let answer = sign_in(&mut Browser::new(), &app, "kari").await;
        let status = answer.status();
        assert!(status == 401, "{mode}: refused, not {status}");
        assert_refused(answer, 401, "Innloggingen ble avvist").await;
        assert_eq!(users(&app).await.len(), before, "{mode}: no account made");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_provider_that_is_down_signs_nobody_in() {
    let (mut provider, app) = provider_and_server(ProviderSetup::with(json!({
        "kari": person("kari@oslo.kommune.no", Some(true), "Kari"),
    })))
    .await;
    // Down between the login form and the redirect back: the code cannot be exchanged.
    let mut browser = Browser::new();
    let callback = through_provider(&mut browser, &app, "kari").await;
    provider.stop().await;
    let page = assert_refused(
        browser.get(&callback).await,
        502,
        &format!("{PROVIDER_NAME} svarer ikke"),
    )
    .await;
    assert!(page.contains("ingen er logget inn"), "{page}");
    // Down before the sign-in starts (a server that never fetched its discovery document).
    let (mut provider, app) = provider_and_server(ProviderSetup::with(json!({}))).await;
    provider.stop().await;
    let answer = Browser::new()
        .get(&format!("{}/login/oidc", base(&app)))
        .await;
    assert_refused(answer, 502, &format!("{PROVIDER_NAME} svarer ikke")).await;
}

#[tokio::test]
async fn signing_out_ends_the_session_here_and_at_the_provider() {
    let (provider, app) = provider_and_server(ProviderSetup::with(json!({
        "kari": person("kari@oslo.kommune.no", Some(true), "Kari"),
    })))
    .await;
    let mut browser = Browser::new();
    let answer = sign_in(&mut browser, &app, "kari").await;
    let (_, session) = signed_in_as(&app, &answer).await;
    let (_, csrf) = store::session_user(&app.storage.db(), &session)
        .await
        .expect("read")
        .expect("session");
    let answer = browser
        .post(&format!("{}/logout", base(&app)), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(answer.status(), 200);
    let page = answer.text().await.expect("page");
    assert!(page.contains("Du er logget ut av Samskriv"), "{page}");
    assert!(
        store::session_user(&app.storage.db(), &session)
            .await
            .expect("read")
            .is_none(),
        "the session ended here"
    );
    let raw = page
        .split("<a class=\"knapp\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the provider's logout link");
    assert!(
        page.contains(&format!("http-equiv=\"refresh\" content=\"0; url={raw}\"")),
        "the page goes on by itself: {page}"
    );
    let href = raw.replace("&#38;", "&").replace("&amp;", "&");
    let logout = url::Url::parse(&href).expect("URL");
    assert!(href.starts_with(&provider.issuer), "{href}");
    let query: HashMap<String, String> = logout.query_pairs().into_owned().collect();
    assert_eq!(
        query["post_logout_redirect_uri"],
        format!("{}/login", base(&app))
    );
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["id_token_hint"].split('.').count(), 3, "an ID token");
    // The provider accepts the request: it asks whether to sign out.
    let confirm = browser.get(&href).await;
    assert_eq!(confirm.status(), 200);
    assert!(
        confirm
            .text()
            .await
            .expect("page")
            .contains("op.logoutForm")
    );

    // A session started with a password signs out here only.
    let person = app.person("Passordbruker", None).await;
    let answer = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!("{}/logout", base(&app)))
        .headers(person.headers())
        .form(&[("csrf_token", person.csrf.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(answer.status(), 303);
    assert_eq!(
        location(&answer, &base(&app)).as_deref(),
        Some(&*format!("{}/login", base(&app)))
    );
}

#[tokio::test]
async fn with_passwords_off_only_the_provider_signs_in() {
    let (_provider, app) = provider_and_server_on(
        ProviderSetup::with(json!({"kari": person("kari@oslo.kommune.no", Some(true), "Kari")})),
        None,
        |c| c.oidc.local_passwords = false,
    )
    .await;
    let page = reqwest::get(format!("{}/login?neste=/plans", base(&app)))
        .await
        .expect("GET /login")
        .text()
        .await
        .expect("page");
    assert!(
        page.contains(&format!("Logg inn med {PROVIDER_NAME}")),
        "{page}"
    );
    assert!(
        page.contains("href=\"/login/oidc?neste=%2Fplans\""),
        "{page}"
    );
    assert!(
        !page.contains("type=\"password\""),
        "no password form: {page}"
    );

    let db = app.storage.db();
    let hash = samskriv::secret::hash_password("et langt nok passord").expect("hash");
    store::create_user(&db, "ola@oslo.kommune.no", "Ola", Some(&hash), false)
        .await
        .expect("Ola");
    assert_eq!(
        app.login("ola@oslo.kommune.no", "et langt nok passord")
            .await,
        Err(reqwest::StatusCode::FORBIDDEN),
        "the right password is refused too"
    );
    let answer = sign_in(&mut Browser::new(), &app, "kari").await;
    assert_eq!(answer.status(), 303);

    // An invite offers the provider only, and makes no account with a password.
    let plan = app.create_plan().await;
    let (_, token) = store::create_invite(
        &db,
        plan,
        Role::Reader,
        None,
        None,
        std::time::Duration::from_secs(3600),
    )
    .await
    .expect("invite");
    let invite_url = format!("{}/invitasjon/{token}", base(&app));
    let mut browser = Browser::new();
    let page = browser.get(&invite_url).await.text().await.expect("page");
    assert!(
        page.contains(&format!("Logg inn med {PROVIDER_NAME}")),
        "{page}"
    );
    assert!(
        !page.contains("type=\"password\""),
        "no account form: {page}"
    );
    let login_token = page
        .split("name=\"login_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let refused = browser
        .post(
            &invite_url,
            &[
                ("name", "Mallory"),
                ("email", "mallory@oslo.kommune.no"),
                ("password", "et langt nok passord"),
                ("login_token", &login_token),
            ],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert!(
        store::user_by_email(&db, "mallory@oslo.kommune.no")
            .await
            .expect("read")
            .is_none(),
        "no account made"
    );
    // A one-time link to choose a password is refused as well.
    let (_, link) = samskriv::service::accounts::create_user_with_link(
        &db,
        "nils@oslo.kommune.no",
        "Nils",
        false,
    )
    .await
    .expect("account with link");
    let welcome = browser
        .get(&format!("{}/velkommen/{link}", base(&app)))
        .await;
    assert_eq!(welcome.status(), 403);
    assert!(
        welcome
            .text()
            .await
            .expect("page")
            .contains("Passord er slått av")
    );

    // With passwords on, the login page offers both.
    let (_provider, app) = provider_and_server(ProviderSetup::with(json!({}))).await;
    let page = reqwest::get(format!("{}/login", base(&app)))
        .await
        .expect("GET /login")
        .text()
        .await
        .expect("page");
    assert!(page.contains(&format!("Logg inn med {PROVIDER_NAME}")));
    assert!(page.contains("type=\"password\""));
}

#[tokio::test]
async fn signing_in_at_the_provider_in_a_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let e2e = root.join("tests/e2e");
    crate::browser::check_prerequisites(&e2e);
    let _one_at_a_time = crate::browser::BROWSER.lock().await;
    let (_provider, app) = provider_and_server(ProviderSetup::with(json!({
        "marit": person("marit@oslo.kommune.no", Some(true), "Marit Hansen"),
    })))
    .await;
    // Her account exists already (made by the administrator, a member of the plan): the first
    // sign-in at the provider, which verifies her address, links it.
    let db = app.storage.db();
    let plan = app.create_plan().await;
    let user = store::create_user(&db, "marit@oslo.kommune.no", "Marit Hansen", None, false)
        .await
        .expect("Marit");
    store::set_member(&db, plan, &user.id, Role::Editor, Some("NAV"))
        .await
        .expect("member");
    crate::browser::run_scenario(
        &e2e,
        "oidc.mjs",
        &base(&app),
        &plan.to_string(),
        &root.join("target/e2e-screenshots"),
        &[
            ("SAMSKRIV_E2E_OIDC_LOGIN", "marit".into()),
            ("SAMSKRIV_E2E_OIDC_NAME", "Marit Hansen".into()),
            ("SAMSKRIV_E2E_OIDC_PROVIDER", PROVIDER_NAME.into()),
        ],
    )
    .await;
    assert!(
        samskriv::storage::oidc::account_of_identity(&db, &_provider.issuer, "marit")
            .await
            .expect("read")
            .is_some_and(|account| account.user.id == user.id),
        "linked to her identity"
    );
}
