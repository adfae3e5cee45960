// End to end: staff sign-in and the audit trail (issue 15; docs/audit.md). A real `vaxsync`
// server on loopback; HQ (vaxhq) loads a city, enrolls, and registers a booth nurse for V01 with
// a PIN; V01's kiosk (venue manager) enrolls and syncs. In the real app window on the kiosk,
// nothing can be done before a staff member signs in; the nurse signs in with her PIN, checks a
// resident in and records the dose. After the background sync, HQ's app shows who did it in the
// audit search. Screenshots go to artifacts/e2e/audit-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, pinnedClock, startServer, screenshots, startApp, stopApp } from './support.js';

const vaxhq = binary('vaxhq');
const vaxsync = binary('vaxsync');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-audit-'));
const hqLedger = path.join(work, 'hq.sqlite3');
const venueLedger = path.join(work, 'v01.sqlite3');
const serverDb = path.join(work, 'server.sqlite3');
const port = 4500;
const nativePort = 4501;

let server;
let started;
let browser;
let booked;
const shoot = screenshots('audit-');

async function screenshot(name) {
  await shoot(browser, name);
}

// One day for the whole file, also across midnight in Japan.
const clock = pinnedClock();
const run = (ledger, ...args) =>
  execFileSync(vaxhq, ['--ledger', ledger, ...args], {
    encoding: 'utf8',
    env: { ...process.env, VAXLEDGER_NOW: clock.now },
  });
const hq = (...args) => run(hqLedger, ...args);
const venue = (...args) => run(venueLedger, ...args);
const appEnv = (ledger) => ({
  VAXLEDGER_DB: ledger,
  VAXLEDGER_NOW: clock.now,
  VAXLEDGER_SYNC_SECONDS: '2',
  VAXLEDGER_PRINT_OPEN: '0',
});

let serverUrl;

before(async () => {
  ({ server, url: serverUrl } = await startServer(serverDb));

  hq('demo', '--residents', '800');
  const hqCode = execFileSync(vaxsync, ['enrollment', 'create', '--db', serverDb, '--role', 'hq'], { encoding: 'utf8' }).trim();
  hq('sync', 'enroll', '--server', serverUrl, '--code', hqCode, '--name', '本部');
  // Registered once HQ replicates, so the registration travels as an op.
  execFileSync(vaxhq, ['--ledger', hqLedger, 'staff', 'add', '--code', 'S01', '--name', '舞鶴 花子', '--venue', 'V01', '--role', 'booth'], {
    encoding: 'utf8',
    env: { ...process.env, VAXLEDGER_NOW: clock.now, VAXHQ_STAFF_PIN: '4821' },
  });
  hq('sync', 'run');

  const code = hq('sync', 'code', '--role', 'venue_manager', '--venue', 'V01').trim();
  venue('sync', 'enroll', '--server', serverUrl, '--code', code, '--name', 'V01 会場責任者');
  venue('sync', 'run');
  assert.match(venue('staff', 'list'), /S01\s+舞鶴 花子\s+V01/, 'the venue knows its staff after the sync');
  const day = JSON.parse(venue('--json', 'venue-day', 'V01', '--date', clock.today));
  booked = day.bands.flatMap((b) => b.residents).find((r) => r.dose_number === 1);
  assert.ok(booked, 'someone is booked at V01 today');

  started = await startApp({ port, nativePort, env: appEnv(venueLedger) });
  browser = started.browser;
});

after(async () => {
  await stopApp(started);
  server?.kill('SIGTERM');
});

test('with staff registered for the venue, the kiosk refuses to act until someone signs in', async () => {
  const required = await browser.$('#staff-required');
  await required.waitForDisplayed({ timeout: 30000 }).catch(async (e) => {
    await screenshot('kiosk-failed');
    throw e;
  });
  assert.match(await required.getText(), /職員のサインインが必要です/);
  const scan = await browser.$('#scan');
  await scan.click();
  await scan.addValue(`11262021${booked.voucher}`);
  await browser.keys('Enter');
  const refused = await browser.$('#scan-error');
  await refused.waitForDisplayed({ timeout: 10000 });
  assert.match(await refused.getText(), /サインインしてください/);
  await screenshot('kiosk-sign-in-required');

  // A wrong PIN says nothing about which part was wrong.
  await (await browser.$('#staff-code')).addValue('S01');
  await (await browser.$('#staff-pin')).addValue('0000');
  await (await browser.$('#staff-sign-in')).click();
  const error = await browser.$('#staff-error');
  await error.waitForDisplayed({ timeout: 10000 });
  assert.match(await error.getText(), /職員番号・暗証番号または職員カードが確認できません/);
});

test('the nurse signs in with her PIN, checks the resident in and records the dose', async () => {
  await (await browser.$('#staff-code')).setValue('S01');
  await (await browser.$('#staff-pin')).setValue('4821');
  const started = Date.now();
  await (await browser.$('#staff-sign-in')).click();
  const who = await browser.$('#staff-signed-in');
  await who.waitForDisplayed({ timeout: 10000 });
  const tookMs = Date.now() - started;
  assert.ok(tookMs < 2000, `signed in within two seconds (${tookMs} ms)`);
  assert.match(await who.getText(), /担当: 舞鶴 花子（S01）/);
  await screenshot('kiosk-signed-in');

  const scan = await browser.$('#scan');
  await scan.click();
  await scan.setValue(`11262021${booked.voucher}`);
  await browser.keys('Enter');
  const name = await browser.$('#resident-name');
  await name.waitForDisplayed({ timeout: 10000 });
  assert.equal(await name.getText(), booked.name);
  await (await browser.$('#check-in')).click();
  await (await browser.$('#checked-in')).waitForDisplayed({ timeout: 10000 });

  await (await browser.$('#nav-booth')).click();
  await (await browser.$('#lot-number')).waitForDisplayed({ timeout: 10000 });
  await (await browser.$('#lot-number')).setValue('FA5765');
  await (await browser.$('#open-lot')).click();
  const entry = await browser.$('.queue-entry .select');
  await entry.waitForDisplayed({ timeout: 10000 });
  await entry.click();
  await (await browser.$('#lot-select')).waitForDisplayed({ timeout: 10000 });
  await (await browser.$('#vaccinator')).setValue('舞鶴 太郎');
  await (await browser.$('#record-dose')).click();
  await (await browser.$('#booth-ok')).waitForDisplayed({ timeout: 10000 }).catch(async (e) => {
    await screenshot('booth-failed');
    throw e;
  });
  await screenshot('booth-recorded');
});

test("HQ's audit search shows who recorded the dose, where and on which device", async () => {
  // The kiosk's background sync sends it; HQ pulls until the dose's entry is there.
  let trail = [];
  for (let i = 0; i < 30 && !trail.some((r) => r.action === 'dose'); i += 1) {
    await new Promise((r) => setTimeout(r, 1000));
    hq('sync', 'run');
    trail = JSON.parse(hq('--json', 'audit', '--resident', booked.voucher));
  }
  const actions = trail.map((r) => [r.action, r.staff_code, r.venue_code]).reverse();
  assert.deepEqual(actions.filter(([a]) => a === 'check_in' || a === 'dose'), [
    ['check_in', 'S01', 'V01'],
    ['dose', 'S01', 'V01'],
  ]);
  assert.ok(actions.some(([a, s]) => a === 'lookup' && s === 'S01'), 'the lookup is in the trail');

  // HQ's own window: the audit screen.
  await stopApp(started);
  started = await startApp({ port, nativePort, env: appEnv(hqLedger) });
  browser = started.browser;
  const nav = await browser.$('#nav-audit');
  await nav.waitForDisplayed({ timeout: 30000 });
  await nav.click();
  await (await browser.$('#audit-resident')).setValue(booked.voucher);
  await (await browser.$('#audit-search')).click();
  const results = await browser.$('#audit-results');
  await results.waitForDisplayed({ timeout: 10000 });
  const text = await results.getText();
  assert.match(text, /接種記録/);
  assert.match(text, /舞鶴 花子 \(S01\)/);
  await screenshot('hq-audit-search');
  assert.match(await (await browser.$('#staff-list')).getText(), /S01/);
});

test("HQ files its city's snapshot from its window, and a new device takes it", async () => {
  await (await browser.$('#nav-hq')).click();
  const button = await browser.$('#publish-snapshot');
  await button.waitForDisplayed({ timeout: 20000 });
  await button.click();
  const done = await browser.$('#snapshot-published');
  await done.waitForDisplayed({ timeout: 120000 });
  assert.match(await done.getText(), /スナップショットを登録しました（[\d,]+件の記録、[\d.]+ MB）/);
  await done.scrollIntoView();
  await screenshot('hq-snapshot-filed');

  // A brand-new venue device's first sync is that snapshot, then whatever came after it.
  const fresh = path.join(work, 'fresh.sqlite3');
  const code = hq('sync', 'code', '--role', 'reception', '--venue', 'V01').trim();
  run(fresh, 'sync', 'enroll', '--server', serverUrl, '--code', code, '--name', 'V01 受付2');
  assert.match(run(fresh, 'sync', 'run'), /took HQ's snapshot: \d+ ops/);
  const day = JSON.parse(run(fresh, '--json', 'venue-day', 'V01', '--date', clock.today));
  assert.ok(day.bands.flatMap((b) => b.residents).some((r) => r.voucher === booked.voucher));
});
