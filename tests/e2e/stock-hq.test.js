// End to end: cold chain to HQ (issue 14). A real `vaxsync` server on loopback; HQ (vaxhq)
// loads a city whose campaign starts today; V01's manager, on its own ledger, receives 10
// vials, wastes a broken one, thaws two, and checks the fridge logger's CSV: an excursion,
// so the lot is quarantined. After sync, in the real app window on the HQ ledger, HQ's stock
// screen shows the quarantine with the bookings it leaves short, the venue's stock, the
// waste and the daily report; HQ previews the reshuffle of those bookings and applies it,
// and saves the report as CSV. Screenshots go to artifacts/e2e/stock-hq-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, startServer, screenshots, startApp, stopApp, todayJst } from './support.js';

const vaxhq = binary('vaxhq');
const vaxsync = binary('vaxsync');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-stock-hq-'));
const hqLedger = path.join(work, 'hq.sqlite3');
const venueLedger = path.join(work, 'v01.sqlite3');
const serverDb = path.join(work, 'server.sqlite3');
const port = 4460;
const LOT = 'FA1234';
const today = todayJst();

let server;
let started;
let browser;
const shoot = screenshots('stock-hq-');

async function screenshot(name) {
  await shoot(browser, name);
}

async function show(el, block = 'start') {
  await browser.execute((e, b) => e.scrollIntoView({ block: b }), el, block);
}

const run = (ledger, ...args) => execFileSync(vaxhq, ['--ledger', ledger, ...args], { encoding: 'utf8' });
const hq = (...args) => run(hqLedger, ...args);
const venue = (...args) => run(venueLedger, ...args);
const stock = (action) => venue('stock', 'record', JSON.stringify({ product: 'comirnaty', lot: LOT, ...action }));

before(async () => {
  let serverUrl;
  ({ server, url: serverUrl } = await startServer(serverDb));

  hq('demo', '--residents', '800', '--start', today);
  const hqCode = execFileSync(vaxsync, ['enrollment', 'create', '--db', serverDb, '--role', 'hq'], { encoding: 'utf8' }).trim();
  hq('sync', 'enroll', '--server', serverUrl, '--code', hqCode, '--name', '本部');
  hq('sync', 'run');

  const code = hq('sync', 'code', '--role', 'venue_manager', '--venue', 'V01').trim();
  venue('sync', 'enroll', '--server', serverUrl, '--code', code, '--name', 'V01 会場責任者');
  venue('sync', 'run');

  // The venue's morning: a delivery, a vial dropped, two thawed.
  const expires = `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`;
  stock({ action: 'receive', vials: 10, expires_on: expires, from: '舞鶴市保健センター', thawed_use_by: null });
  stock({ action: 'waste_vials', vials: 1, from: 'frozen', reason: 'broken' });
  stock({ action: 'thaw', vials: 2 });
  // The fridge's logger overnight: 8.6–11.2 °C for 20 minutes.
  const temps = [4.8, 5.0, 5.1, 6.9, 8.6, 11.2, 9.4, 7.8, 5.6, 5.2];
  const rows = temps.map((t, i) => `${i + 1},${today} 02:${String(i * 5).padStart(2, '0')}:00,${t.toFixed(1)}`);
  const log = path.join(work, 'fridge.csv');
  writeFileSync(log, `Device Name,RC-5\nSerial Number,EF21050017\n\nNo.,Time,Temperature(°C)\n${rows.join('\n')}\n`);
  const checked = JSON.parse(venue('--json', 'stock', 'logger', log, '--product', 'comirnaty', '--lot', LOT, '--place', 'fridge'));
  assert.equal(checked.excursions.length, 1, 'the logger shows one excursion');
  assert.ok(checked.quarantine, 'the lot is quarantined');
  venue('sync', 'run');
  hq('sync', 'run');

  started = await startApp({
    port,
    nativePort: 4461,
    env: { VAXLEDGER_DB: hqLedger, VAXLEDGER_SYNC_SECONDS: '3600', VAXLEDGER_PRINT_OPEN: '0' },
  });
  browser = started.browser;
});

after(async () => {
  await stopApp(started);
  server?.kill('SIGTERM');
});

test('HQ sees the quarantine, the venue’s stock, the waste and the daily report', async () => {
  const nav = await browser.$('#nav-hq_stock');
  await nav.waitForDisplayed({ timeout: 30000 });
  await nav.click();
  const alert = await browser.$(`#quarantine-V01-${LOT}`);
  await alert.waitForDisplayed({ timeout: 20000 }).catch(async (e) => {
    await screenshot('failed');
    throw e;
  });
  const text = await alert.getText();
  assert.match(text, /温度逸脱（ロガー）/);
  assert.match(text, /11\.2 °C/);
  assert.match(text, /使えなくなった 54回分/, '9 vials of 6 doses');
  await show(await browser.$('#hq-stock'));
  await screenshot('quarantine');

  const row = await browser.$('#hq-stock-venues tr[data-venue="V01"]');
  assert.match(await row.getText(), /V01/);
  assert.equal(await (await row.$('.usable')).getText(), '0', 'nothing usable is left at V01');
  const waste = await browser.$('#hq-waste tr[data-venue="V01"][data-reason="broken"]');
  assert.match(await waste.getText(), /破損/);
  const delivery = await browser.$('#hq-deliveries tr[data-venue="V01"]');
  assert.ok(await delivery.isExisting(), 'V01 needs a delivery');
  await show(await browser.$('#hq-stock-venues'));
  await screenshot('stock-and-deliveries');
  const report = await browser.$('#hq-report');
  await show(report);
  assert.match(await report.getText(), new RegExp(`${today}\\s*V01`));
  await screenshot('report');

  await (await browser.$('#hq-report-sjis')).click();
  const saved = await browser.$('#hq-report-saved');
  await saved.waitForDisplayed({ timeout: 10000 });
  const file = (await saved.getText()).replace(/^保存しました: /, '');
  const csv = new TextDecoder('shift_jis').decode(readFileSync(file)).split('\r\n');
  assert.equal(csv[0], '日付,会場コード,ワクチン,入庫バイアル,接種回数,廃棄回数,廃棄バイアル,在庫バイアル,開封済み残回数');
  assert.ok(csv.includes(`${today},V01,comirnaty,10,0,0,1,9,0`), csv.join('\n'));
});

test('HQ hands the bookings the quarantine leaves without doses to the reshuffle', async () => {
  const alert = await browser.$(`#quarantine-V01-${LOT}`);
  await show(alert);
  await (await alert.$('.quarantine-preview')).click();
  const preview = await browser.$('#hq-reshuffle-preview');
  await preview.waitForDisplayed({ timeout: 60000 });
  const summary = await (await browser.$('#hq-reshuffle-summary')).getText();
  const moves = Number(/移動 (\d+)件/.exec(summary)?.[1]);
  assert.ok(moves > 0, `bookings move: ${summary}`);
  await show(preview);
  await screenshot('reshuffle-preview');

  await (await browser.$('#hq-reshuffle-apply')).click();
  const applied = await browser.$('#hq-reshuffle-applied');
  await applied.waitForDisplayed({ timeout: 60000 });
  assert.match(await applied.getText(), /振替を確定しました/);
  assert.equal(
    await (await browser.$('#hq-deliveries tr[data-venue="V01"]')).isExisting(),
    false,
    'with its bookings moved past the replacement, V01 needs no delivery this week',
  );
  await show(applied);
  await screenshot('reshuffle-applied');

  // Nobody is left booked at V01 in the quarantine's period: the venue has no doses.
  const day = JSON.parse(hq('--json', 'venue-day', 'V01', '--date', today));
  assert.equal(day.bands.flatMap((b) => b.residents).length, 0, 'V01 has nobody booked today');
});
