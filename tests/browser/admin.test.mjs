// An admin runs the server from the browser while another person chats: channels created,
// renamed, reordered and deleted; a message found and deleted (gone from the other screen);
// a ban the other person sees, then a pardon; a rate limit changed and biting at once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertClean, launchBrowser, messages, newPerson, openChannel, say, seeOnce, shot,
         signInDev, startNatter } from './harness.mjs';

let natter, browser, ada, uma;
before(async () => {
  natter = await startNatter(['--dev', '--channels', 'general']);
  browser = await launchBrowser();
  ada = await newPerson(browser);
  uma = await newPerson(browser);
  await signInDev(ada.page, natter.url, 'ada', { admin: true });
  await signInDev(uma.page, natter.url, 'uma');
  await openChannel(uma.page, 'general');
  await ada.page.getByRole('link', { name: 'Admin' }).click();
});
after(async () => {
  await browser?.close();
  await natter?.stop();
});

const section = (name) => ada.page.getByRole('navigation', { name: 'Admin sections' })
  .getByRole('link', { name }).click();
const umaChannels = () => uma.page.getByRole('navigation', { name: 'Channels' }).getByRole('link');
const dialog = () => ada.page.getByRole('dialog');

test('every admin page opens', async () => {
  for (const name of ['Overview', 'Channels', 'Messages', 'Users', 'Bans', 'Settings']) {
    await section(name);
    await ada.page.getByRole('heading', { level: 1, name }).waitFor();
    await shot(ada.page, `admin-${name.toLowerCase()}`);
  }
});

test('channels: create, rename, reorder, delete', async () => {
  await section('Channels');
  await ada.page.getByRole('textbox', { name: 'Channel name' }).fill('lobby');
  await ada.page.getByRole('button', { name: 'Create' }).click();
  await umaChannels().filter({ hasText: 'lobby' }).waitFor();

  await ada.page.getByRole('button', { name: 'Rename lobby' }).click();
  await dialog().getByRole('textbox', { name: 'New name' }).fill('hall');
  await dialog().getByRole('button', { name: 'Save' }).click();
  await uma.page.getByRole('navigation', { name: 'Channels' }).getByRole('link', { name: 'hall' }).waitFor();
  assert.equal(await umaChannels().filter({ hasText: 'lobby' }).count(), 0);

  assert.deepEqual(await umaChannels().allInnerTexts().then((t) => t.map((s) => s.replace(/\s.*/s, ''))),
                   ['#general', '#hall']);
  await ada.page.getByRole('button', { name: 'Move hall up' }).click();
  await waitFor(async () => (await umaChannels().first().innerText()).startsWith('#hall'));

  await ada.page.getByRole('button', { name: 'Delete hall' }).click();
  await dialog().getByRole('button', { name: 'Delete' }).click();
  await waitFor(async () => (await umaChannels().count()) === 1);
  await shot(ada.page, 'admin-channels-after');
});

test('messages: search and delete, gone from the other screen', async () => {
  await say(uma.page, 'an unwanted remark');
  await say(uma.page, 'a kind remark');
  await seeOnce(uma.page, 'an unwanted remark');
  await seeOnce(uma.page, 'a kind remark');
  await section('Messages');
  await ada.page.getByRole('searchbox', { name: 'Keyword' }).fill('unwanted');
  await ada.page.getByRole('button', { name: 'Search' }).click();
  const found = ada.page.getByRole('row').filter({ hasText: 'an unwanted remark' });
  await found.getByRole('checkbox').check();
  await ada.page.getByRole('button', { name: 'Delete selected' }).click();
  await dialog().getByRole('button', { name: 'Delete' }).click();
  await waitFor(async () => (await messages(uma.page).filter({ hasText: 'unwanted' }).count()) === 0);
  await seeOnce(uma.page, 'a kind remark');
});

test('a ban shows on the banned person\'s screen, a pardon lets them back', async () => {
  await section('Users');
  await ada.page.getByRole('searchbox', { name: 'Username' }).fill('uma');
  await ada.page.getByRole('button', { name: 'Search' }).click();
  await ada.page.getByRole('list', { name: 'Users found' }).getByRole('button', { name: 'uma' }).click();
  await ada.page.getByRole('textbox', { name: 'Reason' }).fill('testing bans');
  await ada.page.getByRole('button', { name: 'Ban', exact: true }).click();
  await uma.page.getByRole('heading', { name: 'You are banned' }).waitFor();
  await shot(uma.page, 'chat-banned');

  await section('Bans');
  await ada.page.getByRole('button', { name: 'Pardon uma' }).click();
  await ada.page.getByRole('status').filter({ hasText: 'uma is pardoned' }).waitFor();
  await uma.page.getByRole('button', { name: 'Try again' }).click();
  await uma.page.getByRole('navigation', { name: 'Channels' }).waitFor();
  await openChannel(uma.page, 'general');
  await say(uma.page, 'back again');
  await seeOnce(uma.page, 'back again');
});

test('a new rate limit bites at once', async () => {
  await section('Settings');
  const limit = ada.page.getByRole('spinbutton', { name: 'Message limit' });
  // The form shows the limit in force once it has loaded; typing before that races the load.
  await waitFor(async () => (await limit.inputValue()) !== '');
  await ada.page.getByRole('button', { name: 'Save' }).waitFor();
  await waitFor(async () => await ada.page.getByRole('button', { name: 'Save' }).isEnabled());
  await limit.fill('2');
  await ada.page.getByRole('spinbutton', { name: 'Window (seconds)' }).fill('60');
  await ada.page.getByRole('button', { name: 'Save' }).click();
  // The save's own note, not the connection indicator (also a status): the limit is in force.
  await ada.page.getByRole('status').filter({ hasText: /^Saved: 2 messages per 60 s/ }).waitFor();
  // Someone who has sent nothing yet in this window.
  const rita = await newPerson(browser);
  await signInDev(rita.page, natter.url, 'rita');
  await openChannel(rita.page, 'general');
  for (const text of ['limit one', 'limit two']) {
    await say(rita.page, text);
    await seeOnce(rita.page, text);
  }
  await say(rita.page, 'limit three');
  await rita.page.getByRole('alert').filter({ hasText: /Too many messages/ }).waitFor();
  assert.equal(await messages(rita.page).filter({ hasText: 'limit three' }).count(), 0);
  await shot(rita.page, 'chat-rate-limited');
  assertClean(rita);
});

test('no console errors and no CSP violation on either screen', () => {
  // uma's socket is closed by the ban (4003): the browser may log that close.
  assertClean(ada);
  assertClean(uma, [/WebSocket/i]);
});

async function waitFor(check, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((ok) => setTimeout(ok, 100));
  }
}
