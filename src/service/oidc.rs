//! Sign-in with the municipality's identity provider: OpenID Connect's authorization code flow
//! with PKCE (S256), `state` and `nonce`, the provider found by discovery, the ID token checked
//! against the provider's published keys (signature, issuer, audience, expiry, nonce) by the
//! `openidconnect` crate. Then the rules of accounts: who may sign in, which account they get,
//! and when an existing account is linked rather than refused.
//!
//! A sign-in under way lives in the database, found by a random cookie of the browser that
//! started it ([`FLOW_COOKIE`]) and deleted when its callback reads it: one use, any node of
//! the cluster can finish it, and at most [`MAX_OPEN_FLOWS`] are under way at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdToken, IdTokenFields,
    IssuerUrl, LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope,
    StandardErrorResponse, StandardTokenResponse, SubjectIdentifier, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};

use super::{Error, Services};
use crate::config::OidcConfig;
use crate::storage::StorageError;
use crate::storage::accounts::User;
use crate::storage::oidc::{self as store, Flow};

/// The path that starts a sign-in at the provider.
pub const START_PATH: &str = "/login/oidc";
/// The path the provider sends the browser back to (the redirect URI is the public URL + this).
pub const CALLBACK_PATH: &str = "/login/oidc/callback";
/// The cookie that ties a sign-in under way to the browser that started it.
pub const FLOW_COOKIE: &str = "samskriv_oidc";
/// How long a sign-in may take at the provider.
pub const FLOW_TTL: Duration = Duration::from_secs(10 * 60);
/// Most sign-ins under way at once (each is a row until used or expired).
pub const MAX_OPEN_FLOWS: i64 = 10_000;
/// How long the provider's discovery document and keys are used before they are fetched again.
const METADATA_TTL: Duration = Duration::from_secs(5 * 60);
/// The longest any request to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the server cannot start with these settings.
#[derive(Debug, thiserror::Error)]
pub enum OidcConfigError {
    #[error("--oidc-issuer is set but --oidc-client-id is not")]
    NoClientId,
    #[error("--oidc-client-id or --oidc-client-secret is set but --oidc-issuer is not")]
    NoIssuer,
    #[error("--local-passwords false needs --oidc-issuer: nobody could sign in")]
    NobodyCouldSignIn,
    #[error("--oidc-issuer must be an https:// URL (http:// only on this machine): {0}")]
    Issuer(String),
    #[error("the public URL does not make a valid redirect URI: {0}")]
    PublicUrl(String),
    #[error("--oidc-allowed-domains: «{0}» is not a domain")]
    Domain(String),
    #[error("cannot build the HTTP client for the provider: {0}")]
    Http(String),
}

/// Why a sign-in at the provider did not sign anybody in. Each is logged once, by the page that
/// shows it.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("sign-in with a provider is not configured")]
    NotConfigured,
    #[error("the provider could not be reached or answered wrongly: {0}")]
    ProviderUnavailable(String),
    #[error("too many sign-ins under way")]
    Busy,
    #[error("the provider sent the browser back with an error: {0}")]
    ProviderRefused(String),
    #[error("no sign-in under way for this browser (no flow cookie, or it was used)")]
    NoFlow,
    #[error("the sign-in under way expired")]
    FlowExpired,
    #[error("the callback's state does not match the sign-in under way")]
    WrongState,
    #[error("the callback carries no code")]
    NoCode,
    #[error("the provider refused the code: {0}")]
    CodeRefused(String),
    #[error("the ID token was refused: {0}")]
    IdToken(String),
    #[error("the provider names no e-mail address in the claim «{0}»")]
    NoAddress(String),
    #[error("the address's domain is not among the allowed domains")]
    DomainNotAllowed,
    #[error("the account is deactivated")]
    Deactivated,
    #[error("an account has this address, and the provider does not say the address is verified")]
    UnverifiedAddress,
    #[error("an account has this address, but its own address was never confirmed")]
    AccountUnconfirmed,
    #[error("the account with this address is linked to another identity at this provider")]
    LinkedToAnother,
    #[error(transparent)]
    Service(#[from] Error),
}

impl From<StorageError> for OidcError {
    fn from(e: StorageError) -> Self {
        OidcError::Service(e.into())
    }
}

/// Every claim the crate does not name itself (`upn`, `xms_edov`, …), for `--oidc-claim` and
/// Entra ID's verified-domain claim.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    claims: HashMap<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

type OidcIdToken = IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

type OidcTokenResponse = StandardTokenResponse<
    IdTokenFields<
        OtherClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

/// A client made from the discovery document: authorization endpoint set, token and userinfo
/// endpoints as the provider published them.
type OidcClient = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    OidcTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The configured provider, with its discovery document once fetched.
pub struct Oidc {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    /// The provider's name on the sign-in button.
    pub name: String,
    scopes: Vec<Scope>,
    claim: String,
    allowed_domains: Vec<String>,
    redirect: RedirectUrl,
    post_logout: PostLogoutRedirectUrl,
    http: reqwest::Client,
    metadata: tokio::sync::Mutex<Option<(Instant, ProviderMetadataWithLogout)>>,
}

impl std::fmt::Debug for Oidc {
    // The client secret stays out of every log and panic message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.issuer.as_str())
            .field("client_id", &self.client_id.as_str())
            .field("name", &self.name)
            .field("claim", &self.claim)
            .field("allowed_domains", &self.allowed_domains)
            .finish_non_exhaustive()
    }
}

/// A loopback host: plain HTTP is accepted there (tests, a provider on the same machine).
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl Oidc {
    /// The provider these settings name, `None` when they name none. `public_url` is where
    /// people reach this server (the redirect URI is built from it).
    pub fn from_config(
        config: &OidcConfig,
        public_url: &str,
    ) -> Result<Option<Arc<Oidc>>, OidcConfigError> {
        let set = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let (issuer, client_id, client_secret) = (
            set(&config.oidc_issuer),
            set(&config.oidc_client_id),
            set(&config.oidc_client_secret),
        );
        let Some(issuer) = issuer else {
            if client_id.is_some() || client_secret.is_some() {
                return Err(OidcConfigError::NoIssuer);
            }
            if !config.local_passwords {
                return Err(OidcConfigError::NobodyCouldSignIn);
            }
            return Ok(None);
        };
        let client_id = client_id.ok_or(OidcConfigError::NoClientId)?;
        let parsed =
            url::Url::parse(&issuer).map_err(|e| OidcConfigError::Issuer(format!("{e}")))?;
        if parsed.scheme() != "https" && !(parsed.scheme() == "http" && is_loopback(&parsed)) {
            return Err(OidcConfigError::Issuer(issuer));
        }
        let issuer = IssuerUrl::new(issuer).map_err(|e| OidcConfigError::Issuer(e.to_string()))?;
        let redirect = RedirectUrl::new(format!("{public_url}{CALLBACK_PATH}"))
            .map_err(|e| OidcConfigError::PublicUrl(e.to_string()))?;
        let post_logout = PostLogoutRedirectUrl::new(format!("{public_url}/login"))
            .map_err(|e| OidcConfigError::PublicUrl(e.to_string()))?;
        let mut scopes: Vec<Scope> = Vec::new();
        for scope in config
            .oidc_scopes
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty() && *s != "openid")
        {
            if !scopes.iter().any(|s| s.as_str() == scope) {
                scopes.push(Scope::new(scope.to_owned()));
            }
        }
        let mut allowed_domains = Vec::new();
        for domain in &config.oidc_allowed_domains {
            let domain = domain.trim().trim_start_matches('@').to_lowercase();
            if domain.is_empty() {
                continue;
            }
            if !domain.contains('.') || domain.contains(|c: char| c.is_whitespace() || c == '@') {
                return Err(OidcConfigError::Domain(domain));
            }
            allowed_domains.push(domain);
        }
        // No redirects: a discovery or token answer comes from the address asked, or not at all.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| OidcConfigError::Http(e.to_string()))?;
        Ok(Some(Arc::new(Oidc {
            issuer,
            client_id: ClientId::new(client_id),
            client_secret: client_secret.map(ClientSecret::new),
            name: config.oidc_name.trim().to_owned(),
            scopes,
            claim: config.oidc_claim.trim().to_owned(),
            allowed_domains,
            redirect,
            post_logout,
            http,
            metadata: tokio::sync::Mutex::new(None),
        })))
    }

    /// The issuer as configured (the identities linked to accounts are recorded under it).
    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// The discovery document and keys, fetched again once [`METADATA_TTL`] old. Concurrent
    /// sign-ins wait for one fetch.
    async fn metadata(&self) -> Result<ProviderMetadataWithLogout, OidcError> {
        let mut cached = self.metadata.lock().await;
        if let Some((fetched, metadata)) = cached.as_ref()
            && fetched.elapsed() < METADATA_TTL
        {
            return Ok(metadata.clone());
        }
        let metadata = ProviderMetadataWithLogout::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| {
                OidcError::ProviderUnavailable(format!("discovery: {}", error_chain(&e)))
            })?;
        *cached = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    fn client(&self, metadata: ProviderMetadataWithLogout) -> OidcClient {
        OidcClient::from_provider_metadata(
            metadata,
            self.client_id.clone(),
            self.client_secret.clone(),
        )
        .set_redirect_uri(self.redirect.clone())
    }

    /// Whether the address's domain may sign in.
    fn domain_allowed(&self, address: &str) -> bool {
        let domain = address.rsplit_once('@').map_or("", |(_, domain)| domain);
        self.allowed_domains.is_empty() || self.allowed_domains.iter().any(|d| d == domain)
    }
}

/// An error and its causes, on one line (the crate's errors name the cause in `source`).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A sign-in that has begun: where to send the browser, and the flow cookie's value.
#[derive(Debug)]
pub struct Started {
    pub redirect: String,
    pub cookie: String,
}

/// Begins a sign-in: a new state, nonce and PKCE verifier, kept server-side under a new flow
/// cookie, and the provider's authorization URL (code flow, S256). `next` is where the browser
/// goes once signed in (already checked to be a path on this site).
pub async fn start(services: &Services, next: &str) -> Result<Started, OidcError> {
    let oidc = services.oidc.as_ref().ok_or(OidcError::NotConfigured)?;
    let client = oidc.client(oidc.metadata().await?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in &oidc.scopes {
        request = request.add_scope(scope.clone());
    }
    let (url, state, nonce) = request.url();
    let flow = Flow {
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        next_path: next.to_owned(),
        expires_at: 0,
    };
    let cookie = crate::secret::new_token();
    let db = services.storage.db();
    if !store::start_flow(&db, &cookie, &flow, FLOW_TTL, MAX_OPEN_FLOWS).await? {
        return Err(OidcError::Busy);
    }
    Ok(Started {
        redirect: url.to_string(),
        cookie,
    })
}

/// What the provider sent the browser back with.
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// A finished sign-in: the account, the session's cookie token and where to go.
#[derive(Debug)]
pub struct SignedIn {
    pub user: User,
    pub session: String,
    pub next: String,
}

/// What the provider says about the person, from the ID token (or its userinfo endpoint when
/// the ID token leaves the address out).
#[derive(Debug, Default)]
struct Asserted {
    address: Option<String>,
    email_verified: Option<bool>,
    /// Entra ID's `xms_edov`: the address's domain is verified by its owner (Entra sends no
    /// `email_verified`).
    domain_owner_verified: Option<bool>,
    name: Option<String>,
}

/// Reads [`Asserted`] from ID-token or userinfo claims (the same getters on both).
macro_rules! asserted {
    ($claims:expr, $claim:expr) => {{
        let claims = $claims;
        let other = &claims.additional_claims().claims;
        let address = match $claim {
            "email" => claims.email().map(|e| e.as_str().to_owned()),
            "preferred_username" => claims.preferred_username().map(|u| u.as_str().to_owned()),
            other_claim => other
                .get(other_claim)
                .and_then(|v| v.as_str())
                .map(str::to_owned),
        };
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned())
            .or_else(|| {
                let given = claims.given_name().and_then(|n| n.get(None));
                let family = claims.family_name().and_then(|n| n.get(None));
                match (given, family) {
                    (Some(g), Some(f)) => Some(format!("{} {}", g.as_str(), f.as_str())),
                    (Some(g), None) => Some(g.as_str().to_owned()),
                    (None, Some(f)) => Some(f.as_str().to_owned()),
                    (None, None) => None,
                }
            });
        Asserted {
            address,
            email_verified: claims.email_verified(),
            domain_owner_verified: other.get("xms_edov").and_then(|v| {
                v.as_bool().or_else(|| {
                    v.as_str()
                        .map(|s| s.eq_ignore_ascii_case("true") || s == "1")
                })
            }),
            name,
        }
    }};
}

impl Asserted {
    /// Whether the provider vouches for the address: `email_verified: true`, or, from Entra ID
    /// which never sends that claim, `xms_edov: true`. Only the `email` claim can be verified.
    fn verified(&self, claim: &str) -> bool {
        claim == "email"
            && match self.email_verified {
                Some(verified) => verified,
                None => self.domain_owner_verified == Some(true),
            }
    }
}

/// Finishes a sign-in: the flow of this browser's cookie (taken, so it works once), the state
/// compared, the code exchanged with the PKCE verifier, the ID token verified (signature with
/// the provider's keys, issuer, audience, expiry, nonce, access-token hash), then the account
/// found, linked or made, and a session started.
pub async fn finish(
    services: &Services,
    flow_cookie: Option<&str>,
    callback: Callback,
) -> Result<SignedIn, OidcError> {
    let oidc = services.oidc.as_ref().ok_or(OidcError::NotConfigured)?;
    let db = services.storage.db();
    let flow = match flow_cookie.filter(|c| !c.is_empty()) {
        Some(cookie) => store::take_flow(&db, cookie).await?,
        None => None,
    };
    let flow = flow.ok_or(OidcError::NoFlow)?;
    if flow.expires_at <= crate::storage::now_millis() {
        return Err(OidcError::FlowExpired);
    }
    if let Some(error) = callback.error {
        let detail = callback
            .error_description
            .map(|d| format!("{error}: {d}"))
            .unwrap_or(error);
        return Err(OidcError::ProviderRefused(detail));
    }
    let state = callback.state.unwrap_or_default();
    if !crate::secret::same_secret(&state, &flow.state) {
        return Err(OidcError::WrongState);
    }
    let code = callback
        .code
        .filter(|c| !c.is_empty())
        .ok_or(OidcError::NoCode)?;
    let client = oidc.client(oidc.metadata().await?);
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| OidcError::ProviderUnavailable(format!("no token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
        .request_async(&oidc.http)
        .await
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(refusal) => {
                OidcError::CodeRefused(refusal.to_string())
            }
            other => OidcError::ProviderUnavailable(format!("token: {}", error_chain(&other))),
        })?;
    let id_token: &OidcIdToken = tokens
        .id_token()
        .ok_or_else(|| OidcError::IdToken("the token response has no ID token".into()))?;
    let verifier = client.id_token_verifier();
    let nonce = Nonce::new(flow.nonce.clone());
    let claims = id_token
        .claims(&verifier, &nonce)
        .map_err(|e| OidcError::IdToken(error_chain(&e)))?;
    if let Some(expected) = claims.access_token_hash() {
        let algorithm = id_token
            .signing_alg()
            .map_err(|e| OidcError::IdToken(error_chain(&e)))?;
        let key = id_token
            .signing_key(&verifier)
            .map_err(|e| OidcError::IdToken(error_chain(&e)))?;
        let actual = AccessTokenHash::from_token(tokens.access_token(), algorithm, key)
            .map_err(|e| OidcError::IdToken(error_chain(&e)))?;
        if actual != *expected {
            return Err(OidcError::IdToken(
                "the access token hash does not match".into(),
            ));
        }
    }
    let subject = claims.subject().clone();
    let mut asserted = asserted!(claims, oidc.claim.as_str());
    if asserted.address.is_none() {
        asserted = from_userinfo(
            &client,
            &oidc.http,
            tokens.access_token(),
            &subject,
            &oidc.claim,
        )
        .await?;
    }
    let user = account_for(services, oidc, subject.as_str(), &asserted).await?;
    let session = super::accounts::start_session(services, &user).await?;
    store::save_session_token(&db, &session, oidc.issuer(), &id_token.to_string()).await?;
    tracing::info!(user = %user.id, issuer = oidc.issuer(), "signed in at the identity provider");
    Ok(SignedIn {
        user,
        session,
        next: flow.next_path,
    })
}

/// The claims of the userinfo endpoint, for a provider that keeps them out of the ID token
/// (the subject must be the ID token's).
async fn from_userinfo(
    client: &OidcClient,
    http: &reqwest::Client,
    access_token: &openidconnect::AccessToken,
    subject: &SubjectIdentifier,
    claim: &str,
) -> Result<Asserted, OidcError> {
    let request = client
        .user_info(access_token.clone(), Some(subject.clone()))
        .map_err(|_| OidcError::NoAddress(claim.to_owned()))?;
    let info: UserInfoClaims<OtherClaims, CoreGenderClaim> = request
        .request_async(http)
        .await
        .map_err(|e| OidcError::ProviderUnavailable(format!("userinfo: {}", error_chain(&e))))?;
    Ok(asserted!(&info, claim))
}

/// The account the person signs in to: the one linked to their identity; else an account with
/// their address, linked now when the provider vouches for the address (and the account's own
/// address was confirmed); else a new account, member of no plan.
async fn account_for(
    services: &Services,
    oidc: &Oidc,
    subject: &str,
    asserted: &Asserted,
) -> Result<User, OidcError> {
    let db = services.storage.db();
    let address = asserted
        .address
        .as_deref()
        .map(crate::storage::accounts::normalize_email)
        .filter(|a| super::accounts::check_identity("x", a).is_ok())
        .ok_or_else(|| OidcError::NoAddress(oidc.claim.clone()))?;
    if !oidc.domain_allowed(&address) {
        return Err(OidcError::DomainNotAllowed);
    }
    let issuer = oidc.issuer();
    if let Some(account) = store::account_of_identity(&db, issuer, subject).await? {
        if account.deactivated {
            return Err(OidcError::Deactivated);
        }
        store::touch_identity(&db, issuer, subject).await?;
        return Ok(account.user);
    }
    let verified = asserted.verified(&oidc.claim);
    if let Some(account) = store::account_by_email(&db, &address).await? {
        if account.deactivated {
            return Err(OidcError::Deactivated);
        }
        if !verified {
            return Err(OidcError::UnverifiedAddress);
        }
        if !account.email_verified {
            return Err(OidcError::AccountUnconfirmed);
        }
        if store::has_identity_at(&db, &account.user.id, issuer).await? {
            return Err(OidcError::LinkedToAnother);
        }
        if !store::link_identity(&db, issuer, subject, &account.user.id).await? {
            // Linked meanwhile by a sign-in at the same moment: to this account or another.
            return match store::account_of_identity(&db, issuer, subject).await? {
                Some(linked) if linked.user.id == account.user.id => Ok(account.user),
                _ => Err(OidcError::LinkedToAnother),
            };
        }
        tracing::info!(user = %account.user.id, issuer, "account linked to its identity at the provider");
        return Ok(account.user);
    }
    let name = asserted
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(200).collect::<String>())
        .unwrap_or_else(|| address.split('@').next().unwrap_or_default().to_owned());
    match store::create_linked_user(&db, &address, &name, verified, issuer, subject).await {
        Ok(user) => {
            tracing::info!(user = %user.id, issuer, "account made at first sign-in at the provider");
            Ok(user)
        }
        Err(StorageError::EmailTaken(_)) => Err(Error::Conflict(
            "an account with this address was made at the same moment".into(),
        )
        .into()),
        Err(e) => Err(e.into()),
    }
}

/// Where to send the browser to end its session at the provider too (RP-initiated logout), for a
/// session started there, when the provider publishes an end-session endpoint. Read before the
/// session ends (its ID token goes with it). A provider that cannot be reached costs only its
/// own logout: the local one happens regardless.
pub async fn provider_logout(services: &Services, session: &str) -> Option<String> {
    let oidc = services.oidc.as_ref()?;
    let (issuer, id_token) = match store::session_token(&services.storage.db(), session).await {
        Ok(found) => found?,
        Err(e) => {
            tracing::warn!(error = %e, "the session's ID token could not be read");
            return None;
        }
    };
    if issuer != oidc.issuer() {
        return None;
    }
    let metadata = match oidc.metadata().await {
        Ok(metadata) => metadata,
        Err(e) => {
            tracing::warn!(reason = %e, "signed out here only: the provider's logout is unknown");
            return None;
        }
    };
    let endpoint = metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()?;
    let id_token: OidcIdToken = match id_token.parse() {
        Ok(token) => token,
        Err(e) => {
            tracing::warn!(error = %e, "the session's ID token does not parse");
            return None;
        }
    };
    Some(
        LogoutRequest::from(endpoint)
            .set_id_token_hint(&id_token)
            .set_client_id(oidc.client_id.clone())
            .set_post_logout_redirect_uri(oidc.post_logout.clone())
            .http_get_url()
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(issuer: Option<&str>) -> OidcConfig {
        OidcConfig {
            oidc_issuer: issuer.map(str::to_owned),
            oidc_client_id: Some("samskriv".into()),
            ..OidcConfig::default()
        }
    }

    #[test]
    fn settings_are_checked_at_start() {
        let base = "https://samskriv.oslo.kommune.no";
        assert!(matches!(
            Oidc::from_config(&config(None), base),
            Err(OidcConfigError::NoIssuer)
        ));
        assert!(matches!(
            Oidc::from_config(&config(Some("http://idp.example.no")), base),
            Err(OidcConfigError::Issuer(_))
        ));
        assert!(
            Oidc::from_config(&config(Some("http://127.0.0.1:4000")), base)
                .expect("loopback")
                .is_some()
        );
        let no_passwords = OidcConfig {
            local_passwords: false,
            ..OidcConfig::default()
        };
        assert!(matches!(
            Oidc::from_config(&no_passwords, base),
            Err(OidcConfigError::NobodyCouldSignIn)
        ));
        assert!(
            Oidc::from_config(&OidcConfig::default(), base)
                .expect("none")
                .is_none()
        );
        let bad_domain = OidcConfig {
            oidc_allowed_domains: vec!["localhost".into()],
            ..config(Some("https://idp.example.no"))
        };
        assert!(matches!(
            Oidc::from_config(&bad_domain, base),
            Err(OidcConfigError::Domain(_))
        ));
    }

    #[test]
    fn the_client_secret_is_never_printed() {
        let config = OidcConfig {
            oidc_client_secret: Some("hemmelig-klientnokkel".into()),
            ..config(Some("https://idp.example.no"))
        };
        assert!(!format!("{config:?}").contains("hemmelig"));
        let oidc = Oidc::from_config(&config, "https://s.no")
            .expect("valid")
            .expect("configured");
        assert!(!format!("{oidc:?}").contains("hemmelig"));
    }

    #[test]
    fn domains_match_exactly() {
        let config = OidcConfig {
            oidc_allowed_domains: vec!["Oslo.Kommune.no".into(), " @bydel.no ".into()],
            ..config(Some("https://idp.example.no"))
        };
        let oidc = Oidc::from_config(&config, "https://s.no")
            .expect("valid")
            .expect("configured");
        assert!(oidc.domain_allowed("kari@oslo.kommune.no"));
        assert!(oidc.domain_allowed("ola@bydel.no"));
        assert!(!oidc.domain_allowed("kari@evil-oslo.kommune.no.example"));
        assert!(!oidc.domain_allowed("kari@sub.oslo.kommune.no"));
        assert!(!oidc.domain_allowed("kari@kommune.no"));
    }

    #[test]
    fn only_a_vouched_email_claim_is_verified() {
        let asserted = |email_verified, edov| Asserted {
            email_verified,
            domain_owner_verified: edov,
            ..Asserted::default()
        };
        assert!(asserted(Some(true), None).verified("email"));
        assert!(!asserted(Some(false), Some(true)).verified("email"));
        assert!(!asserted(None, None).verified("email"));
        assert!(asserted(None, Some(true)).verified("email"));
        assert!(!asserted(Some(true), None).verified("upn"));
    }
}
