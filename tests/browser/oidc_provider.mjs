// A test OpenID Connect provider for the browser tests, on 127.0.0.1: discovery, /authorize
// (authorization code flow; it signs in one fixed test user without asking), /token (checks
// the code, client id, redirect URI and the PKCE code_verifier against the S256 challenge),
// /jwks and /userinfo. Tokens are RS256 JWTs signed with Node's crypto, not natter's code.
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

export class OidcProvider {
  constructor({ clientId, user = { username: 'olivia', sub: randomUUID(), admin: false } }) {
    this.clientId = clientId;
    this.user = user;
    this.codes = new Map(); // code -> {redirectUri, challenge, nonce}
    this.log = []; // "METHOD path" of every request
    this.tokenRequests = [];
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'test-1', alg: 'RS256', use: 'sig' };
    this.server = createServer((req, res) => this.handle(req, res));
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${this.server.address().port}`;
    this.issuer = `${this.origin}/realms/natter`;
    return this;
  }

  stop() {
    this.server.closeAllConnections?.();
    return new Promise((resolve) => this.server.close(resolve));
  }

  jwt(claims) {
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: this.jwk.kid }));
    const body = b64url(JSON.stringify(claims));
    const signature = sign('RSA-SHA256', Buffer.from(`${header}.${body}`), this.privateKey);
    return `${header}.${body}.${b64url(signature)}`;
  }

  tokens(nonce) {
    const now = Math.floor(Date.now() / 1000);
    const roles = ['offline_access', ...(this.user.admin ? ['admin'] : [])];
    const common = { iss: this.issuer, sub: this.user.sub, iat: now, exp: now + 600,
                     preferred_username: this.user.username };
    return {
      access_token: this.jwt({ ...common, aud: 'account', azp: this.clientId, typ: 'Bearer',
                               scope: 'openid profile', realm_access: { roles } }),
      id_token: this.jwt({ ...common, aud: this.clientId, azp: this.clientId, typ: 'ID',
                           ...(nonce ? { nonce } : {}) }),
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'openid profile',
    };
  }

  send(res, status, body, headers = {}) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json',
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type',
      'Cache-Control': 'no-store',
      ...headers,
    });
    res.end(text);
  }

  async handle(req, res) {
    const url = new URL(req.url, this.origin);
    this.log.push(`${req.method} ${url.pathname}`);
    const base = `${this.issuer}/protocol/openid-connect`;
    if (req.method === 'OPTIONS') return this.send(res, 204, '');
    switch (url.pathname) {
      case '/realms/natter/.well-known/openid-configuration':
        return this.send(res, 200, {
          issuer: this.issuer,
          authorization_endpoint: `${base}/auth`,
          token_endpoint: `${base}/token`,
          userinfo_endpoint: `${base}/userinfo`,
          end_session_endpoint: `${base}/logout`,
          jwks_uri: `${base}/certs`,
          response_types_supported: ['code'],
          grant_types_supported: ['authorization_code'],
          code_challenge_methods_supported: ['S256'],
          id_token_signing_alg_values_supported: ['RS256'],
          subject_types_supported: ['public'],
        });
      case '/realms/natter/protocol/openid-connect/certs':
        return this.send(res, 200, { keys: [this.jwk] });
      case '/realms/natter/protocol/openid-connect/auth':
        return this.authorize(url, res);
      case '/realms/natter/protocol/openid-connect/token':
        return this.token(req, res);
      case '/realms/natter/protocol/openid-connect/userinfo':
        return this.send(res, 200, { sub: this.user.sub, preferred_username: this.user.username });
      case '/realms/natter/protocol/openid-connect/logout': {
        const back = url.searchParams.get('post_logout_redirect_uri');
        return back ? this.send(res, 302, '', { Location: back }) : this.send(res, 200, 'signed out');
      }
      default:
        return this.send(res, 404, { error: 'not_found' });
    }
  }

  authorize(url, res) {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri');
    if (q.get('client_id') !== this.clientId || !redirectUri || q.get('response_type') !== 'code') {
      return this.send(res, 400, { error: 'invalid_request' });
    }
    if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
      return this.send(res, 400, { error: 'invalid_request', error_description: 'PKCE S256 required' });
    }
    const code = b64url(randomBytes(24));
    this.codes.set(code, { redirectUri, challenge: q.get('code_challenge'), nonce: q.get('nonce') });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    if (q.get('state')) back.searchParams.set('state', q.get('state'));
    return this.send(res, 302, '', { Location: back.toString() });
  }

  async token(req, res) {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const form = new URLSearchParams(raw);
    this.tokenRequests.push(Object.fromEntries(form));
    const grant = this.codes.get(form.get('code') ?? '');
    this.codes.delete(form.get('code') ?? '');
    const verifier = form.get('code_verifier') ?? '';
    const challenge = b64url(createHash('sha256').update(verifier).digest());
    if (form.get('grant_type') !== 'authorization_code' || !grant ||
        form.get('client_id') !== this.clientId || form.get('redirect_uri') !== grant.redirectUri) {
      return this.send(res, 400, { error: 'invalid_grant' });
    }
    if (challenge !== grant.challenge) {
      return this.send(res, 400, { error: 'invalid_grant', error_description: 'PKCE verifier mismatch' });
    }
    return this.send(res, 200, this.tokens(grant.nonce));
  }
}
