// End to end (issue 17): the venue's paper fallback. vaxhq prints the day sheets of V01 for
// the day; the first row is rendered (pdftoppm) into the fake camera's folder, as a phone
// held over the printed sheet would see it; the venue manager's kiosk reads the row QR through
// the frame-source camera, back-enters the handwritten fields, and the ledger holds the dose at
// the time written on paper, marked back-entered; typing the same row again is refused on
// screen as a duplicate. The clock is pinned (VAXLEDGER_NOW) to the evening of the venue day,
// when the manager types the paper in. Screenshots: artifacts/e2e/paper-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, root, screenshots, startApp, stopApp, todayJst } from './support.js';

const vaxhq = binary('vaxhq');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-paper-'));
const ledger = path.join(work, 'manager.sqlite3');
const camera = path.join(work, 'camera');
const sheets = path.join(work, 'day-sheets.pdf');
const day = todayJst();
const now = `${day}T17:00:00+09:00`;
const env = { VAXLEDGER_DB: ledger, VAXLEDGER_NOW: now };

let started;
let browser;
const shoot = screenshots('paper-');
let first;

const hq = (...args) =>
  execFileSync(vaxhq, ['--ledger', ledger, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

before(async () => {
  mkdirSync(camera, { recursive: true });
  // A small city, this kiosk the manager of V01 with the demo lot open today.
  hq('demo', '--residents', '800', '--kiosk', 'V01');
  const venueDay = JSON.parse(hq('--json', 'venue-day', 'V01', '--date', day));
  first = venueDay.bands[0].residents[0];
  assert.ok(first, 'someone is booked in the first band at V01 today');

  hq('paper', 'sheets', '--venue', 'V01', '--date', day, '--out', sheets);
  const text = execFileSync('pdftotext', ['-l', '1', sheets, '-'], { encoding: 'utf8' });
  assert.match(text, /接種当日記録票（紙運用）/);
  assert.ok(text.includes(first.name), `the first row names ${first.name}`);
  // The whole first page, to look at, and the first row (its QR at 19–35 mm from the left,
  // 59.5–72.5 mm from the top) as the fake camera's picture, at 200 dpi.
  execFileSync('pdftoppm', ['-png', '-r', '100', '-f', '1', '-l', '1', '-singlefile', sheets, path.join(root, 'artifacts/e2e/paper-00-day-sheet')]);
  const mm = (v) => String(Math.round((v * 200) / 25.4));
  execFileSync('pdftoppm', [
    '-png', '-r', '200', '-f', '1', '-l', '1', '-x', mm(5), '-y', mm(56), '-W', mm(120), '-H', mm(19), '-singlefile',
    sheets, path.join(camera, 'frame-0001'),
  ]);
  assert.ok(existsSync(path.join(camera, 'frame-0001.png')), 'the camera picture exists');

  started = await startApp({
    port: 4510,
    nativePort: 4511,
    env: { ...env, VAXLEDGER_FAKE_CAMERA: camera, VAXLEDGER_PRINT_OPEN: '0' },
  });
  browser = started.browser;
});

after(async () => {
  await stopApp(started);
});

async function fill(id, value) {
  const field = await browser.$(id);
  await field.clearValue();
  await field.setValue(value);
}

test('a row of the printed day sheet is read by the camera and back-entered at the paper time', async () => {
  const nav = await browser.$('#nav-paper');
  await nav.waitForDisplayed({ timeout: 20000 });
  await nav.click();
  const entryDate = await browser.$('#entry-date');
  await entryDate.waitForDisplayed({ timeout: 10000 });
  await browser.waitUntil(async () => (await entryDate.getValue()) === day, {
    timeout: 10000,
    timeoutMsg: "the sheet of the venue's today by default",
  });

  await (await browser.$('#camera-toggle')).click();
  const voucher = await browser.$('#entry-voucher');
  await browser
    .waitUntil(async () => /^\d{18}$/.test(await voucher.getValue()), {
      timeout: 30000,
      interval: 250,
      timeoutMsg: 'the camera did not read the row QR in 30 s',
    })
    .catch(async (e) => {
      await shoot(browser, 'camera-timeout');
      throw e;
    });
  assert.equal(await voucher.getValue(), `11262021${first.voucher}`, "the first row's QR: voucher line, dose 1");
  await shoot(browser, 'row-read');
  await (await browser.$('#camera-toggle')).click();

  await fill('#entry-time', '09:12');
  await fill('#entry-lot', 'DEMO-0001');
  await fill('#entry-vaccinator', '舞鶴 太郎');
  await fill('#entry-observed', '09:27');
  await (await browser.$('#entry-save')).click();
  const row = await browser.$('#entered tbody tr');
  await row.waitForDisplayed({ timeout: 10000 });
  const cells = await row.getText();
  assert.ok(cells.includes(first.name), cells);
  assert.ok(cells.includes(`${day} 09:12`), `the paper's time: ${cells}`);
  await row.scrollIntoView();
  await shoot(browser, 'back-entered');

  // The ledger: the dose at 09:12, and who typed it in (the audit trail, read by HQ's command).
  const card = hq('--json', 'lookup', '--voucher', `11262021${first.voucher}`);
  assert.match(card, new RegExp(`${day}T09:12:00\\+09:00`), 'the dose carries the time on paper');
  const audit = hq('--json', 'audit', '--resident', first.voucher);
  assert.match(audit, /back-entered from the paper day sheet: given [0-9-]+ 09:12, observed until 09:27/);
});

test('the same row typed in again is refused on screen as a duplicate dose', async () => {
  await fill('#entry-voucher', `11262021${first.voucher}`);
  await fill('#entry-time', '09:40');
  await (await browser.$('#entry-save')).click();
  const refused = await browser.$('#entry-error');
  await refused.waitForDisplayed({ timeout: 10000 });
  assert.equal(await refused.getAttribute('data-code'), 'DUPLICATE_DOSE');
  assert.match(await refused.getText(), /1回目は.*09:12に接種済みです/);
  assert.equal((await browser.$$('#entered tbody tr')).length, 1, 'nothing more was recorded');
  await refused.scrollIntoView();
  await shoot(browser, 'duplicate-refused');
});

test('the relay screen says when this kiosk joined no relay, and a join needs the centre first', async () => {
  await (await browser.$('#nav-relay')).click();
  const none = await browser.$('#relay-none');
  await none.waitForDisplayed({ timeout: 10000 });
  assert.equal(await (await browser.$('#relay-lights')).isExisting(), false, 'no lights without a relay');
  // A standalone kiosk (never enrolled with the centre) cannot join: the relay only knows
  // kiosks from the centre's registry.
  await fill('#relay-code', `vaxrelay:?url=https://192.168.1.10:8788&id=0190f5d2-7c3e-7000-8000-000000000001&fp=${'ab'.repeat(32)}`);
  await (await browser.$('#relay-panel button[type="submit"]')).click();
  const refused = await browser.$('#relay-join-error');
  await refused.waitForDisplayed({ timeout: 10000 });
  assert.match(await refused.getText(), /同期サーバー|登録|中継機/);
  await shoot(browser, 'relay-not-joined');
});
