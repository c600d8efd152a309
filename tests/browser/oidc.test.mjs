// Signing in with an identity provider: the app runs the authorization code flow with PKCE
// against a test provider (oidc_provider.mjs), natter verifies the provider's token, and the
// person chats, all under the Content-Security-Policy natter sends.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertClean, launchBrowser, newPerson, openChannel, say, seeOnce, shot,
         startNatter } from './harness.mjs';
import { OidcProvider } from './oidc_provider.mjs';

let provider, natter, browser;
before(async () => {
  provider = await new OidcProvider({ clientId: 'natter-web' }).start();
  natter = await startNatter(['--oidc-issuer', provider.issuer, '--web-client-id', 'natter-web']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await natter?.stop();
  await provider?.stop();
});

test('sign in with the authorization code flow and PKCE, then chat', async () => {
  const olivia = await newPerson(browser);
  const { page } = olivia;
  await page.goto(`${natter.url}/chat`);
  assert.equal(await page.getByRole('textbox', { name: 'Username' }).count(), 0,
               'no dev form with an identity provider');
  const csp = (await page.request.get(`${natter.url}/chat`)).headers()['content-security-policy'];
  assert.match(csp, new RegExp(`connect-src 'self' ${provider.origin}`));
  await shot(page, 'oidc-sign-in');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Channels' }).waitFor();
  assert.ok(provider.log.includes('GET /realms/natter/protocol/openid-connect/auth'));
  const [exchange] = provider.tokenRequests;
  assert.equal(exchange.grant_type, 'authorization_code');
  assert.ok(exchange.code_verifier?.length >= 43, 'the app sent a PKCE code_verifier');
  assert.equal(exchange.redirect_uri, `${natter.url}/chat/callback`);
  assert.ok(!page.url().includes('code='), 'the code is gone from the address bar');

  await openChannel(page, 'general');
  await say(page, 'signed in through the provider');
  await seeOnce(page, 'signed in through the provider');
  const cookies = await olivia.context.cookies();
  assert.deepEqual(cookies, [], 'no token in a cookie');
  const stored = await page.evaluate(() => JSON.stringify(localStorage));
  assert.equal(stored, '{}', 'nothing in local storage');
  await shot(page, 'oidc-chat');
  assertClean(olivia);
  await olivia.context.close();
});
