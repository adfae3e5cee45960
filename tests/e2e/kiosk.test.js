// End to end: the real vaxledger app in a real window (under Xvfb), driven through
// tauri-driver and WebKitWebDriver as a reception clerk and a booth nurse would use it.
// Screenshots of every screen go to artifacts/e2e/.
//
// Needs: target/debug/vaxledger and target/debug/vaxhq built, tauri-driver on PATH,
// WebKitWebDriver (Debian webkit2gtk-driver) and a DISPLAY. scripts/e2e.sh sets all up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, screenshots, startApp, stopApp, todayJst } from './support.js';

const vaxhq = binary('vaxhq');
const ledger = path.join(mkdtempSync(path.join(tmpdir(), 'vaxledger-e2e-')), 'venue.sqlite3');
const port = 4444;

let started;
let browser;
const shoot = screenshots('');

async function screenshot(name) {
  await shoot(browser, name);
}

before(async () => {
  started = await startApp({ port, env: { VAXLEDGER_DB: ledger, VAXLEDGER_PRINT_OPEN: '0' } });
  browser = started.browser;
});

after(async () => {
  await stopApp(started);
});

test('a new installation loads the demo city and opens on the reception screen', async () => {
  const load = await browser.$('#load-demo');
  await load.waitForDisplayed({ timeout: 20000 });
  await screenshot('setup');
  await load.click();
  const scan = await browser.$('#scan');
  await scan.waitForDisplayed({ timeout: 120000 });
  assert.match(await (await browser.$('#venue-name')).getText(), /デモ市総合文化会館/, 'enrolled to venue V01');
  await screenshot('reception-empty');
});

test('a kiosk without a camera says so in Japanese and keeps the scan field for the USB scanner', async () => {
  // This machine has no camera (and the app runs without VAXLEDGER_FAKE_CAMERA here).
  await (await browser.$('#camera-toggle')).click();
  const error = await browser.$('#camera-error');
  await error.waitForDisplayed({ timeout: 20000 });
  assert.equal(await error.getAttribute('data-code'), 'NO_CAMERA');
  assert.match(await error.getText(), /カメラが見つかりません。USBスキャナーで読み取ってください/);
  assert.equal(await (await browser.$('#camera')).isExisting(), false, 'no preview without a camera');
  assert.equal(await (await browser.$('#scan')).isFocused(), true, 'the scan field has the focus back');
  await screenshot('reception-no-camera');
  await (await browser.$('#lang-toggle')).click();
  await browser.waitUntil(async () => /No camera found — use the USB scanner/.test(await error.getText()), {
    timeout: 5000,
    timeoutMsg: 'the English message',
  });
  await (await browser.$('#lang-toggle')).click();
  await (await browser.$('#scan')).click();
});

test('reception scans a voucher by keystrokes, sees the card, and checks the resident in', async () => {
  const day = JSON.parse(
    execFileSync(vaxhq, ['--ledger', ledger, '--json', 'venue-day', 'V01', '--date', todayJst()], { encoding: 'utf8' }),
  );
  const booked = day.bands.flatMap((b) => b.residents).find((r) => r.dose_number === 1);
  assert.ok(booked, 'someone is booked at V01 today');
  const line = `11262021${booked.voucher}`;

  // A USB scanner types the digits and Enter into the focused field. (WebKitWebDriver
  // drops repeated keys in one action chain, so the digits go as element keystrokes.)
  const scan = await browser.$('#scan');
  assert.equal(await scan.isFocused(), true, 'the scan field has the focus');
  await scan.addValue(line);
  await browser.keys('Enter');

  const name = await browser.$('#resident-name');
  await name.waitForDisplayed({ timeout: 10000 });
  assert.equal(await name.getText(), booked.name, 'the scanned resident is shown');
  assert.equal(await (await browser.$('#due-dose')).getText(), '1回目');
  await screenshot('reception-card');

  await (await browser.$('#check-in')).click();
  const checked = await browser.$('#checked-in');
  await checked.waitForDisplayed({ timeout: 10000 });
  await screenshot('reception-checked-in');

  // The 予診票 is reissued as a PDF beside the ledger.
  await (await browser.$('#print-yoshinhyo')).click();
  const printed = await browser.$('#printed');
  await printed.waitForDisplayed({ timeout: 20000 });
  const pdf = (await printed.getText()).split(': ').pop();
  assert.ok(existsSync(pdf), `the PDF exists: ${pdf}`);
  assert.match(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }), /Pages:\s+1/, 'one A4 page');

  // Scanning the same voucher again says so, loudly.
  await scan.addValue(line);
  await browser.keys('Enter');
  const warning = await browser.$('#warnings li[data-code="already_checked_in"]');
  await warning.waitForDisplayed({ timeout: 10000 });
});

test('the booth records the dose, refuses the same dose again, and starts the observation timer', async () => {
  await (await browser.$('#nav-booth')).click();
  const entry = await browser.$('.queue-entry .select');
  await entry.waitForDisplayed({ timeout: 10000 });
  await entry.click();
  await (await browser.$('#lot-select')).waitForDisplayed({ timeout: 10000 });
  await (await browser.$('#vaccinator')).setValue('舞鶴 太郎');
  await screenshot('booth-form');

  await (await browser.$('#record-dose')).click();
  const ok = await browser.$('#booth-ok');
  await ok.waitForDisplayed({ timeout: 10000 });
  assert.match(await ok.getText(), /観察 (15|30) 分/, 'the observation time is shown');

  await (await browser.$('#record-dose')).click();
  const refused = await browser.$('#booth-error');
  await refused.waitForDisplayed({ timeout: 10000 });
  assert.equal(await refused.getAttribute('data-code'), 'DUPLICATE_DOSE', 'a second dose 1 is refused');
  assert.match(await refused.getText(), /接種済み/);
  assert.ok(await (await browser.$('#record-override')).isDisplayed(), 'a doctor may override, with a reason');
  await screenshot('booth-duplicate-refused');

  const observation = await browser.$('#observations .observation');
  await observation.waitForDisplayed({ timeout: 10000 });
  const timer = await observation.$('.timer');
  assert.match(await timer.getText(), /^\d+:\d\d$/, 'a countdown runs');
  await screenshot('booth-observation');
});

test('the venue day counts the dose, and the whole screen switches to English', async () => {
  await (await browser.$('#nav-day')).click();
  const dosed = await browser.$('#day-dosed');
  await dosed.waitForDisplayed({ timeout: 10000 });
  assert.ok(Number(await dosed.getText()) >= 1, 'the dose shows in the day');
  await screenshot('venue-day');

  await (await browser.$('#lang-toggle')).click();
  await browser.waitUntil(async () => (await (await browser.$('h1')).getText()) === 'vaxledger venue', {
    timeout: 5000,
  });
  await screenshot('venue-day-english');
});

test('headquarters exports the day’s dose to VRS from the app', async () => {
  // HQ provisions this installation as headquarters; the app shows the HQ view on reload.
  execFileSync(vaxhq, ['--ledger', ledger, 'enroll', '--venue', 'V01', '--role', 'headquarters']);
  await browser.refresh();
  await (await browser.$('#lang-toggle')).waitForDisplayed({ timeout: 10000 });
  if ((await (await browser.$('h1')).getText()) !== 'vaxledger 接種会場') await (await browser.$('#lang-toggle')).click();
  const run = await browser.$('#vrs-run');
  await run.waitForDisplayed({ timeout: 10000 });
  await browser.waitUntil(async () => /vrs-export$/.test(await (await browser.$('#vrs-dir')).getValue()), {
    timeout: 5000,
    timeoutMsg: 'a default folder beside the ledger',
  });
  await run.click();
  const result = await browser.$('#vrs-result');
  await result.waitForDisplayed({ timeout: 20000 });
  assert.match(await result.getText(), /バッチ 1：1件/, 'the one dose recorded at the booth is exported');
  await (await browser.$('#vrs-batches')).waitForDisplayed({ timeout: 10000 });
  await screenshot('hq-vrs-export');

  await run.click();
  await browser.waitUntil(async () => /新しい接種記録はありません/.test(await (await browser.$('#vrs-result')).getText()), {
    timeout: 10000,
  });
});
