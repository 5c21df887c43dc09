// A real OpenID Connect provider on loopback for Samskriv's sign-in tests: the certified
// `oidc-provider` package, with a plain login form of its own (the "interaction") and a switch
// that makes its token endpoint misbehave, so the tests can show that Samskriv refuses what a
// broken or hostile provider sends.
//
// Start-up, driven by tests/api/oidc.rs (and tests/e2e/oidc.mjs through it):
//   1. it listens on 127.0.0.1 (a free port) and prints `issuer http://127.0.0.1:PORT`;
//   2. it reads one JSON line on standard input: the client Samskriv is (its redirect URI is
//      known only once Samskriv listens), and the people who can sign in:
//        {"client_id", "client_secret", "redirect_uri", "post_logout_redirect_uri",
//         "accounts": {"<sub>": {"email", "email_verified", "name", ...}},
//         "mode": "" | "expired" | "wrong-key" | "wrong-audience" | "wrong-issuer" | "wrong-nonce",
//         "id_token_claims": true | false}
//   3. it prints `ready` and serves until standard input closes or it is killed.
//
// `mode` re-signs the ID token of every token response, after the provider made it: with the
// provider's own key but an expiry in the past, another audience, another issuer or another
// nonce; or, for `wrong-key`, with a key that is not in the provider's published key set (same
// key id). `id_token_claims: false` keeps the person's claims out of the ID token (the
// provider's certified default), so Samskriv must read them from the userinfo endpoint.

import http from 'node:http';
import readline from 'node:readline';
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';
import { CompactSign, exportJWK, generateKeyPair, importJWK, decodeProtectedHeader } from 'jose';

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

async function signingKey(kid) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid, alg: 'RS256', use: 'sig' };
}

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
console.log(`issuer ${issuer}`);

const lines = readline.createInterface({ input: process.stdin });
const setup = JSON.parse(await new Promise((resolve) => lines.once('line', resolve)));
const accounts = setup.accounts ?? {};
const mode = setup.mode ?? '';

const kid = 'test-key';
const key = await signingKey(kid);
// Same key id, other key: a token signed with it names a published key but fails its check.
const rogue = await importJWK(await signingKey(kid), 'RS256');
const own = await importJWK(key, 'RS256');

const provider = new Provider(issuer, {
  clients: [{
    client_id: setup.client_id,
    client_secret: setup.client_secret,
    redirect_uris: [setup.redirect_uri],
    post_logout_redirect_uris: [setup.post_logout_redirect_uri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [key] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  },
  conformIdTokenClaims: !(setup.id_token_claims ?? true),
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Logge ut?', `${form}<button type="submit" form="op.logoutForm" value="yes" name="logout">Ja, logg meg ut</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Logget ut hos testleverandøren', '');
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const claims = accounts[sub];
    if (!claims) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...claims }) };
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Feil hos testleverandøren', `<pre>${escape(JSON.stringify(out))}</pre>`);
  },
});

// The misbehaving token endpoint: the provider's answer, its ID token re-signed.
provider.use(async (ctx, next) => {
  await next();
  if (!mode || ctx.path !== '/token' || ctx.status !== 200 || !ctx.body?.id_token) return;
  const [header64, payload64] = ctx.body.id_token.split('.');
  const header = decodeProtectedHeader(ctx.body.id_token);
  const claims = JSON.parse(Buffer.from(payload64, 'base64url').toString('utf8'));
  const now = Math.floor(Date.now() / 1000);
  let signWith = own;
  switch (mode) {
    case 'expired': claims.iat = now - 7200; claims.exp = now - 3600; break;
    case 'wrong-audience': claims.aud = 'a-different-client'; break;
    case 'wrong-issuer': claims.iss = 'http://127.0.0.1:9/another-issuer'; break;
    case 'wrong-nonce': claims.nonce = 'not-the-nonce-samskriv-sent'; break;
    case 'wrong-key': signWith = rogue; break;
    default: throw new Error(`unknown mode ${mode}`);
  }
  void header64;
  ctx.body = {
    ...ctx.body,
    id_token: await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader(header)
      .sign(signWith),
  };
});

function form(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 10_000) reject(new Error('form too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

// The provider's own sign-in page: who are you (one of `accounts`), then consent is given
// without asking.
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  if (req.method === 'POST' && prompt.name === 'login') {
    const login = (await form(req)).get('login') ?? '';
    if (!accounts[login]) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page('Logg inn hos testleverandøren', `<p role="alert">Ukjent bruker</p>${loginForm(uid)}`));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return;
  }
  if (prompt.name === 'login') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page('Logg inn hos testleverandøren', loginForm(uid)));
    return;
  }
  if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    if (prompt.details.missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes)) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  res.writeHead(400, { 'content-type': 'text/plain' });
  res.end(`unexpected prompt ${prompt.name}`);
}

function loginForm(uid) {
  return `<form method="post" action="/interaction/${escape(uid)}">`
    + '<label for="login">Bruker</label> <input id="login" name="login" autocomplete="off" required>'
    + ' <button type="submit">Logg inn</button></form>';
}

const callback = provider.callback();
server.on('request', (req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((e) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`interaction failed: ${e.message}`);
    });
    return;
  }
  callback(req, res);
});

console.log('ready');
lines.on('close', () => process.exit(0));
