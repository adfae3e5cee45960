// End to end: the reception desk reads a voucher with the (fake) camera, and headquarters
// prints the city's vouchers from the app. The app runs with VAXLEDGER_FAKE_CAMERA pointing
// at a folder holding a picture of a real 予診票 printed by vaxhq — the voucher QR as the
// camera would see a form held up to it. Screenshots go to artifacts/e2e/camera-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, pinnedClock, screenshots, startApp, stopApp } from './support.js';

const vaxhq = binary('vaxhq');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-camera-'));
const ledger = path.join(work, 'desk.sqlite3');
const camera = path.join(work, 'camera');
const port = 4446;

let started;
let browser;
const shoot = screenshots('camera-');
let booked;

async function screenshot(name) {
  await shoot(browser, name);
}

// One day for the whole file, also across midnight in Japan.
const clock = pinnedClock();
const hq = (...args) =>
  execFileSync(vaxhq, ['--ledger', ledger, ...args], {
    encoding: 'utf8',
    env: { ...process.env, VAXLEDGER_NOW: clock.now },
  });

before(async () => {
  mkdirSync(camera, { recursive: true });
  // A small city with bookings from today, this installation at V01's reception.
  hq('demo', '--residents', '800');
  hq('enroll', '--venue', 'V01', '--role', 'reception');
  const day = JSON.parse(hq('--json', 'venue-day', 'V01', '--date', clock.today));
  booked = day.bands.flatMap((b) => b.residents).find((r) => r.dose_number === 1);
  assert.ok(booked, 'someone is booked at V01 today');
  // The resident's 予診票 as vaxhq prints it, photographed: the part of the page around the
  // voucher box at 150 dpi, 640×480 like a webcam frame.
  const pdf = path.join(work, 'yoshinhyo.pdf');
  hq('print', 'yoshinhyo', '--voucher', `11262021${booked.voucher}`, '--out', pdf);
  execFileSync('pdftoppm', [
    '-png', '-r', '150', '-x', '600', '-y', '100', '-W', '640', '-H', '480', '-singlefile',
    pdf, path.join(camera, 'frame-0001'),
  ]);
  assert.ok(existsSync(path.join(camera, 'frame-0001.png')), 'the camera picture exists');

  started = await startApp({ port, nativePort: 4447, env: { VAXLEDGER_DB: ledger, VAXLEDGER_NOW: clock.now, VAXLEDGER_FAKE_CAMERA: camera, VAXLEDGER_PRINT_OPEN: '0' } });
  browser = started.browser;
});

after(async () => {
  await stopApp(started);
});

test('reception reads the voucher with the camera and shows the resident card', async () => {
  const toggle = await browser.$('#camera-toggle');
  await toggle.waitForDisplayed({ timeout: 20000 });
  assert.equal(await toggle.getText(), 'カメラで読む');
  await toggle.click();

  // The card, or the reason there is none.
  const name = await browser.$('#resident-name');
  await browser.waitUntil(
    async () =>
      (await name.isDisplayed()) ||
      (await (await browser.$('#camera-error')).isDisplayed()) ||
      (await (await browser.$('#camera-problem')).isDisplayed()) ||
      (await (await browser.$('#scan-error')).isDisplayed()),
    { timeout: 30000, interval: 250, timeoutMsg: 'no card and no message after 30 s' },
  ).catch(async (e) => {
    await screenshot('reception-camera-timeout');
    throw e;
  });
  if (!(await name.isDisplayed())) {
    await screenshot('reception-camera-failed');
    assert.fail(`the camera showed a message instead of the card: ${await (await browser.$('main')).getText()}`);
  }
  assert.equal(await name.getText(), booked.name, 'the card of the voucher in front of the camera');
  assert.equal(await (await browser.$('#due-dose')).getText(), '1回目');
  const preview = await browser.$('#camera-preview');
  await preview.waitForDisplayed({ timeout: 10000 });
  await browser.waitUntil(async () => Number(await preview.getAttribute('data-frames')) >= 3, {
    timeout: 10000,
    timeoutMsg: 'the live preview shows frames',
  });
  const panel = await browser.$('#camera');
  assert.equal(await panel.getAttribute('data-reads'), '1', 'one read for one card held up');
  await screenshot('reception-camera-card');

  // The card stays in front of the camera: still one read, no second beep.
  await browser.pause(2000);
  assert.equal(await panel.getAttribute('data-reads'), '1', 'debounced: one read per presentation');
  assert.equal(await (await browser.$('#scan')).isFocused(), true, 'the USB scanner still has its field');

  await (await browser.$('#camera-toggle')).click();
  await panel.waitForDisplayed({ reverse: true, timeout: 10000 });
  assert.equal(await (await browser.$('#camera-toggle')).getText(), 'カメラで読む', 'the camera is off');
});

test('headquarters prints every voucher from the app with a progress bar', async () => {
  hq('enroll', '--venue', 'V01', '--role', 'headquarters');
  await browser.refresh();
  const run = await browser.$('#vouchers-print');
  await run.waitForDisplayed({ timeout: 20000 });
  const sender = await browser.$('#vouchers-sender');
  await browser.waitUntil(async () => (await sender.getValue()) === 'デモ市 健康づくり課', {
    timeout: 10000,
    timeoutMsg: "the demo city's sender is filled in",
  });
  // Without a sender nothing is printed, and the screen says why.
  await sender.setValue(' ');
  await run.click();
  const refused = await browser.$('#vouchers-error');
  await refused.waitForDisplayed({ timeout: 10000 });
  assert.equal(await refused.getAttribute('data-code'), 'NO_SENDER');
  assert.match(await refused.getText(), /差出人/);
  await sender.setValue('舞鶴市 健康づくり課');
  await (await browser.$('#vouchers-contact')).setValue('接種コールセンター 0773-00-0000');
  await run.click();
  await (await browser.$('#vouchers-progress')).waitForDisplayed({ timeout: 10000 });
  const result = await browser.$('#vouchers-result');
  await result.waitForDisplayed({ timeout: 120000 });
  assert.equal(await result.getAttribute('data-state'), 'done', await result.getText());
  assert.match(await result.getText(), /800枚を2個のPDFに出力しました/);
  const dir = (await (await browser.$('#vouchers-dir')).getText()).replace(/^出力先フォルダ: /, '');
  assert.deepEqual(readdirSync(dir).sort(), ['vouchers-0001.pdf', 'vouchers-0002.pdf'], `files in ${dir}`);
  assert.match(
    execFileSync('pdfinfo', [path.join(dir, 'vouchers-0002.pdf')], { encoding: 'utf8' }),
    /Pages:\s+300/,
    '500 pages per file, the rest in the second',
  );
  const sheet = execFileSync('pdftotext', ['-l', '1', path.join(dir, 'vouchers-0001.pdf'), '-'], { encoding: 'utf8' });
  assert.match(sheet, /舞鶴市 健康づくり課/, 'the sender typed on the screen is on the sheet');
  assert.match(sheet, /接種コールセンター 0773-00-0000/, 'and the contact line');
  await browser.execute(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await browser.pause(300);
  await screenshot('hq-vouchers-printed');
});
