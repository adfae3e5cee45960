// End to end: replication. A real `vaxsync` server on loopback; HQ (vaxhq) loads a city, enrolls,
// publishes it and files its snapshot; a brand-new kiosk enrolls from its setup screen with a
// code HQ created, receives the city by its first sync from that snapshot (the server's log
// says it served it), checks a resident in, and the check-in reaches HQ through the background
// sync. Screenshots go to artifacts/e2e/sync-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { binary, pinnedClock, screenshots, startApp, stopApp } from './support.js';

const vaxhq = binary('vaxhq');
const vaxsync = binary('vaxsync');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-sync-'));
const hqLedger = path.join(work, 'hq.sqlite3');
const serverDb = path.join(work, 'server.sqlite3');
const port = 4448;

let server;
let serverUrl;
let started;
let browser;
let booked;
// The server's log lines (also passed on to this process's stderr).
const serverLog = [];
const shoot = screenshots('sync-');

async function screenshot(name) {
  await shoot(browser, name);
}

// One day for the whole file, also across midnight in Japan.
const clock = pinnedClock();
const hq = (...args) =>
  execFileSync(vaxhq, ['--ledger', hqLedger, ...args], {
    encoding: 'utf8',
    env: { ...process.env, VAXLEDGER_NOW: clock.now },
  });
const hqOps = () => JSON.parse(hq('--json', 'sync', 'status')).ops_held;

before(async () => {
  server = spawn(vaxsync, ['serve', '--db', serverDb, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  readline.createInterface({ input: server.stderr }).on('line', (line) => {
    serverLog.push(line);
    process.stderr.write(`${line}\n`);
  });
  const first = await new Promise((resolve, reject) => {
    readline.createInterface({ input: server.stdout }).once('line', resolve);
    server.once('exit', (code) => reject(new Error(`vaxsync exited with ${code}`)));
  });
  serverUrl = /listening on (\S+)/.exec(first)[1];

  hq('demo', '--residents', '800');
  const day = JSON.parse(hq('--json', 'venue-day', 'V01', '--date', clock.today));
  booked = day.bands.flatMap((b) => b.residents).find((r) => r.dose_number === 1);
  assert.ok(booked, 'someone is booked at V01 today');
  const hqCode = execFileSync(vaxsync, ['enrollment', 'create', '--db', serverDb, '--role', 'hq'], { encoding: 'utf8' }).trim();
  hq('sync', 'enroll', '--server', serverUrl, '--code', hqCode, '--name', '本部');
  hq('sync', 'run');
  assert.match(hq('sync', 'snapshot'), /snapshot of the whole ledger filed with the server/);

  started = await startApp({
    port,
    nativePort: 4449,
    env: {
      VAXLEDGER_DB: path.join(work, 'kiosk.sqlite3'),
      VAXLEDGER_NOW: clock.now,
      VAXLEDGER_SYNC_SECONDS: '2',
      VAXLEDGER_PRINT_OPEN: '0',
    },
  });
  browser = started.browser;
});

after(async () => {
  await stopApp(started);
  server?.kill('SIGTERM');
});

test('a new kiosk enrolls from its setup screen and receives the city by its first sync', async () => {
  const code = hq('sync', 'code', '--role', 'reception', '--venue', 'V01').trim();
  const url = await browser.$('#sync-server-url');
  await url.waitForDisplayed({ timeout: 20000 });
  assert.equal(await (await browser.$('#sync-badge')).getText(), '単独運用（同期サーバー未登録）');
  await url.addValue(serverUrl);
  await (await browser.$('#sync-code')).addValue(code);
  await (await browser.$('#sync-device-name')).addValue('V01 受付1');
  await screenshot('setup-enroll');
  await (await browser.$('#sync-enroll')).click();

  // The first sync brought the city and enrolled the desk to V01's reception.
  const scan = await browser.$('#scan');
  await scan.waitForDisplayed({ timeout: 60000 }).catch(async (e) => {
    await screenshot('setup-enroll-failed');
    throw e;
  });
  assert.match(await (await browser.$('#venue-name')).getText(), /受付/);
  const badge = await browser.$('#sync-badge');
  await browser.waitUntil(async () => (await badge.getAttribute('class')).includes('green'), { timeout: 10000 });
  assert.match(await (await browser.$('#sync-waiting')).getText(), /未送信 0件/);
  assert.ok(serverLog.some((l) => /snapshot served/.test(l)), 'the first sync took HQ\'s snapshot');
  await screenshot('reception-synced');
});

test('a check-in at the kiosk reaches HQ through the background sync', async () => {
  const before = hqOps();
  const scan = await browser.$('#scan');
  await scan.click();
  await scan.addValue(`11262021${booked.voucher}`);
  await browser.keys('Enter');
  const name = await browser.$('#resident-name');
  await name.waitForDisplayed({ timeout: 10000 });
  assert.equal(await name.getText(), booked.name, 'the kiosk knows the resident from the sync');
  await (await browser.$('#check-in')).click();
  await (await browser.$('#checked-in')).waitForDisplayed({ timeout: 10000 });

  // The background sync (every 2 s here) sends it without anyone asking; HQ pulls it.
  let held = before;
  for (let i = 0; i < 30 && held < before + 4; i += 1) {
    await new Promise((r) => setTimeout(r, 1000));
    hq('sync', 'run');
    held = hqOps();
  }
  // The check-in, and the audit trail's entries: the lookup, the check-in, and the card shown
  // again after it.
  assert.equal(held, before + 4, 'HQ holds exactly the four new ops');
  const trail = JSON.parse(hq('--json', 'audit', '--resident', booked.voucher));
  assert.deepEqual(trail.map((r) => r.action).reverse(), ['lookup', 'check_in', 'lookup']);
  await browser.waitUntil(async () => /未送信 0件/.test(await (await browser.$('#sync-waiting')).getText()), {
    timeout: 20000,
    interval: 500,
    timeoutMsg: 'the badge never showed the check-in as sent',
  });
  await screenshot('reception-checked-in-synced');
});
