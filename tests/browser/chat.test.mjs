// Two people chat in the browser: in two channels and in a whisper, then one of them loses the
// network under the WebSocket while the other keeps writing, and nothing is missed or doubled.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertClean, launchBrowser, messages, newPerson, openChannel, say, seeOnce, shot,
         signInDev, startNatter, startRelay } from './harness.mjs';

let natter, browser;
before(async () => {
  natter = await startNatter(['--dev', '--channels', 'general,random']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await natter?.stop();
});

test('two people chat in two channels and whisper', async () => {
  const alice = await newPerson(browser);
  const bob = await newPerson(browser);
  await signInDev(alice.page, natter.url, 'alice');
  await signInDev(bob.page, natter.url, 'bob');

  for (const [channel, text] of [['general', 'hello in general'], ['random', 'hello in random']]) {
    await openChannel(alice.page, channel);
    await openChannel(bob.page, channel);
    await say(alice.page, text);
    await seeOnce(bob.page, text);
    await say(bob.page, `bob answers in ${channel}`);
    await seeOnce(alice.page, `bob answers in ${channel}`);
    const article = messages(alice.page).filter({ hasText: text });
    assert.match(await article.innerText(), /alice/, 'the author is shown');
  }
  // Each channel shows only its own messages.
  await openChannel(bob.page, 'general');
  await seeOnce(bob.page, 'hello in general');
  assert.equal(await messages(bob.page).filter({ hasText: 'hello in random' }).count(), 0);

  const online = alice.page.getByRole('list', { name: 'Online' }).getByRole('listitem');
  await online.filter({ hasText: 'bob' }).waitFor();
  assert.equal(await online.count(), 2);

  // Bob clicks alice to whisper; alice finds the conversation under bob's name.
  await bob.page.getByRole('list', { name: 'Online' }).getByRole('button', { name: 'alice' }).click();
  await say(bob.page, 'a secret for alice');
  await seeOnce(bob.page, 'a secret for alice');
  await alice.page.getByRole('navigation', { name: 'Private conversations' })
    .getByRole('link', { name: 'bob' }).click();
  await seeOnce(alice.page, 'a secret for alice');
  await say(alice.page, 'a secret for bob');
  await seeOnce(bob.page, 'a secret for bob');
  await openChannel(alice.page, 'general');
  assert.equal(await messages(alice.page).filter({ hasText: 'a secret' }).count(), 0);

  await shot(alice.page, 'chat-alice');
  await shot(bob.page, 'chat-bob-whisper');
  // The same screen on a phone's width and in the dark scheme, kept for a look.
  await alice.page.setViewportSize({ width: 360, height: 740 });
  await shot(alice.page, 'chat-360px');
  await alice.page.emulateMedia({ colorScheme: 'dark' });
  await shot(alice.page, 'chat-360px-dark');
  assertClean(alice);
  assertClean(bob);
  await alice.context.close();
  await bob.context.close();
});

test('after the network drops under the socket, nothing is missed and nothing shown twice', async () => {
  const relay = await startRelay(natter.port);
  const carol = await newPerson(browser);
  const dave = await newPerson(browser);
  await signInDev(carol.page, relay.url, 'carol');
  await signInDev(dave.page, natter.url, 'dave');
  await openChannel(carol.page, 'general');
  await openChannel(dave.page, 'general');
  await say(dave.page, 'before the cut');
  await seeOnce(carol.page, 'before the cut');

  relay.cut({ refuse: true });
  await carol.page.getByRole('status').filter({ hasText: /reconnect|connecting|offline|disconnected/i })
    .first().waitFor();
  const during = ['while away 1', 'while away 2', 'while away 3'];
  for (const text of during) {
    await say(dave.page, text);
    await seeOnce(dave.page, text);
  }
  relay.restore();
  await carol.page.getByRole('status').filter({ hasText: /^connected$/i }).first()
    .waitFor({ timeout: 30_000 });
  await say(dave.page, 'after the cut');

  for (const text of ['before the cut', ...during, 'after the cut']) await seeOnce(carol.page, text);
  const shown = await messages(carol.page).allInnerTexts();
  const seen = await messages(dave.page).allInnerTexts();
  assert.equal(shown.length, seen.length, 'carol shows as many messages as dave');
  await shot(carol.page, 'chat-after-reconnect');
  // The cut itself may be reported by the browser as a failed WebSocket.
  assertClean(carol, [/WebSocket/i, /ERR_CONNECTION|net::/]);
  assertClean(dave);
  await carol.context.close();
  await dave.context.close();
  await relay.close();
});
