// What the browser tests share: the natter process (the built binary, a fresh database each
// time), Debian's Chromium driven by playwright-core, pages that record console errors and
// Content-Security-Policy violations, screenshots kept as artifacts, and signing in.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const binary = process.env.NATTER_BINARY ?? join(repo, 'build/release/natter');
export const artifacts = process.env.NATTER_BROWSER_ARTIFACTS ??
  join(repo, 'build/release/browser-artifacts');
const chromiumPath = process.env.NATTER_CHROMIUM ?? '/usr/bin/chromium';

export async function freePort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

/** Starts natter on a free loopback port with its own database and waits for /healthz. */
export async function startNatter(args = [], { env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'natter-browser-'));
  const port = await freePort();
  const log = join(dir, 'natter.log');
  const cleanEnv = Object.fromEntries(Object.entries(process.env)
    .filter(([k]) => !k.startsWith('NATTER_') && !/_proxy$/i.test(k)));
  const webRoot = process.env.NATTER_BROWSER_WEB_ROOT;  // to try an app build without rebuilding
  const proc = spawn(binary, ['--listen', `127.0.0.1:${port}`, '--threads', '2',
                              '--database-url', `sqlite:${join(dir, 'natter.db')}`,
                              ...(webRoot ? ['--web-root', webRoot] : []), ...args],
                     { env: { ...cleanEnv, ...env }, stdio: ['ignore', openSync(log, 'w'), openSync(log, 'a')] });
  const natter = {
    port, url: `http://127.0.0.1:${port}`, proc, log,
    logText: () => readFileSync(log, 'utf8'),
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((ok) => proc.once('exit', ok));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`natter exited early:\n${natter.logText()}`);
    try {
      if ((await fetch(`${natter.url}/healthz`)).ok) return natter;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`natter not ready:\n${natter.logText()}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

/** A TCP relay in front of natter whose connections the test can cut, and refuse for a while:
 * to the page it is the network failing under a WebSocket. */
export async function startRelay(targetPort) {
  const sockets = new Set();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) return client.destroy();
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const drop = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    cut({ refuse }) {
      refusing = refuse;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() { refusing = false; },
    close: () => { for (const s of sockets) s.destroy(); return new Promise((ok) => server.close(ok)); },
  };
}

export function launchBrowser() {
  // Playwright gives each launch a fresh temporary profile (user-data-dir).
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page in its own browser context (its own session storage: another person), recording
 * console errors, uncaught exceptions and CSP violations into `problems`. */
export async function newPerson(browser, { viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ viewport, colorScheme: 'light' });
  const problems = [];
  await context.exposeBinding('natterCspViolation', (_source, text) => problems.push(`CSP: ${text}`));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.natterCspViolation(`${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  return { context, page, problems };
}

/** No console errors and no CSP violations, except those matching `allowed`. */
export function assertClean(person, allowed = []) {
  const left = person.problems.filter((p) => !allowed.some((re) => re.test(p)));
  assert.deepEqual(left, [], 'the page reported problems');
  assert.ok(!person.problems.some((p) => p.startsWith('CSP')), 'no CSP violation');
}

export async function shot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

/** Signs in with --dev's form and waits for the chat to be connected. */
export async function signInDev(page, baseUrl, username, { admin = false } = {}) {
  await page.goto(`${baseUrl}/chat`);
  await page.getByRole('textbox', { name: 'Username' }).fill(username);
  if (admin) await page.getByRole('checkbox', { name: 'Admin' }).check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Channels' }).waitFor();
}

export const messages = (page) => page.getByRole('log', { name: 'Messages' }).getByRole('article');

/** Opens a channel from the Channels navigation. */
export async function openChannel(page, name) {
  await page.getByRole('navigation', { name: 'Channels' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
}

export async function say(page, text) {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('textbox', { name: 'Message' }).press('Enter');
}

/** Waits until exactly one message article holds `text`. */
export async function seeOnce(page, text) {
  const found = messages(page).filter({ hasText: text });
  await found.first().waitFor();
  assert.equal(await found.count(), 1, `"${text}" is shown once`);
}
