// Makes the README's screenshots (docs/screenshots/chat.png and admin-overview.png): a short
// conversation between two people on a natter started with --dev, then the admin overview.
// Run by hand after building: node tests/browser/screenshots.mjs
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, newPerson, openChannel, say, seeOnce, signInDev, startNatter } from './harness.mjs';

const out = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'docs/screenshots');
mkdirSync(out, { recursive: true });
const natter = await startNatter(['--dev', '--channels', 'general,random,releases']);
const browser = await launchBrowser();
try {
  const ada = await newPerson(browser);
  const bob = await newPerson(browser);
  await signInDev(ada.page, natter.url, 'ada', { admin: true });
  await signInDev(bob.page, natter.url, 'bob');
  await openChannel(bob.page, 'random');
  await say(bob.page, 'Lunch at noon?');
  await openChannel(ada.page, 'general');
  await openChannel(bob.page, 'general');
  const lines = [
    [bob, 'Morning! The staging deploy is green.'],
    [ada, 'Great. I will tag the release after lunch.'],
    [bob, 'Do we keep the old rate limit for now?'],
    [ada, 'Yes, 10 messages a minute until the load test is done.\nThen we raise it.'],
    [bob, 'Sounds good, thanks.'],
  ];
  for (const [who, text] of lines) {
    await say(who.page, text);
    await seeOnce(who.page, text.split('\n')[0]);
  }
  await seeOnce(ada.page, 'Sounds good');
  await ada.page.screenshot({ path: join(out, 'chat.png') });
  await ada.page.getByRole('link', { name: 'Admin' }).click();
  await ada.page.getByText(/^Updated /).waitFor();
  await ada.page.waitForTimeout(500);
  await ada.page.screenshot({ path: join(out, 'admin-overview.png') });
  console.log(`screenshots written to ${out}`);
} finally {
  await browser.close();
  await natter.stop();
}
