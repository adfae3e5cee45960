// End to end (issue 17): the relay inside the app, on screen. A real centre (vaxsync), HQ
// and a booth driven by vaxhq; the app under tauri-driver is the venue manager's kiosk. The
// manager enrolls the relay with HQ's relay code and starts it on the Relay screen; the join
// code it shows is scanned (typed) by the booth, which syncs through it every second. The
// screens show the live state: the booth in the venue's devices, both lights green; the
// centre stopped — the centre light red, a check-in at the manager still reaching the booth;
// the centre back — green again; the app restarted — the relay running again under the same
// join code. Screenshots: artifacts/e2e/relay-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { binary, screenshots, startApp, stopApp, todayJst } from './support.js';

const vaxhq = binary('vaxhq');
const vaxsync = binary('vaxsync');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-relay-'));
const centreDb = path.join(work, 'centre.db');
const hqLedger = path.join(work, 'hq', 'hq.sqlite3');
const manager = path.join(work, 'manager', 'kiosk.sqlite3');
const booth = path.join(work, 'booth', 'kiosk.sqlite3');
const shoot = screenshots('relay-');

let centre;
let centrePort;
let relayPort;
let started;
let browser;
let boothLoop;
let joinCode;

const run = (bin, args) => execFileSync(bin, args, { encoding: 'utf8', env: { ...process.env, VAXLEDGER_NOW: '' } });
const hq = (ledger, ...args) => run(vaxhq, ['--ledger', ledger, ...args]);
/**
 * vaxhq on a ledger another process writes at the same time (the app, the booth's sync loop):
 * SQLite may refuse at once ("database is locked"); such a refusal changed nothing, so retry.
 */
async function hqShared(ledger, ...args) {
  for (let i = 0; ; i += 1) {
    try {
      return hq(ledger, ...args);
    } catch (e) {
      if (i >= 50 || !String(e.stderr ?? '').includes('database is locked')) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
const code = (role, venue) => run(vaxsync, ['enrollment', 'create', '--db', centreDb, '--role', role, ...(venue ? ['--venue', venue] : [])]).trim();

async function freePort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** vaxsync on a fixed port, so that it comes back where the relay and the kiosks expect it. */
async function startCentre() {
  const server = spawn(vaxsync, ['serve', '--db', centreDb, '--listen', `127.0.0.1:${centrePort}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    readline.createInterface({ input: server.stdout }).once('line', resolve);
    server.once('exit', (c) => reject(new Error(`vaxsync exited with ${c}`)));
  });
  return server;
}

async function stopCentre() {
  const exited = new Promise((r) => centre.once('exit', r));
  centre.kill('SIGKILL');
  await exited;
}

const appEnv = () => ({
  VAXLEDGER_DB: manager,
  VAXLEDGER_RELAY_LISTEN: `127.0.0.1:${relayPort}`,
  VAXLEDGER_SYNC_SECONDS: '2',
  VAXLEDGER_PRINT_OPEN: '0',
});

before(async () => {
  for (const d of ['hq', 'manager', 'booth']) mkdirSync(path.join(work, d), { recursive: true });
  centrePort = await freePort();
  relayPort = await freePort();
  const url = `http://127.0.0.1:${centrePort}`;
  const hqCode = code('hq');
  centre = await startCentre();
  hq(hqLedger, 'demo', '--residents', '300', '--start', todayJst());
  hq(hqLedger, 'sync', 'enroll', '--server', url, '--code', hqCode, '--name', '本部');
  hq(hqLedger, 'sync', 'run');
  hq(manager, 'sync', 'enroll', '--server', url, '--code', code('venue_manager', 'V01'), '--name', '責任者');
  hq(manager, 'sync', 'run');
  hq(booth, 'sync', 'enroll', '--server', url, '--code', code('booth', 'V01'), '--name', '接種1');
  hq(booth, 'sync', 'run');
  started = await startApp({ port: 4510, nativePort: 4511, env: appEnv() });
  browser = started.browser;
});

after(async () => {
  boothLoop?.kill('SIGKILL');
  await stopApp(started);
  centre?.kill('SIGKILL');
});

async function openRelayScreen() {
  const nav = await browser.$('#nav-relay');
  await nav.waitForDisplayed({ timeout: 30000 });
  await nav.click();
  await (await browser.$('#relay-host')).waitForDisplayed({ timeout: 10000 });
}

async function waitFor(what, check, timeout = 20000) {
  await browser
    .waitUntil(check, { timeout, interval: 250, timeoutMsg: what })
    .catch(async (e) => {
      await shoot(browser, 'timeout');
      throw e;
    });
}

const lightState = async (id) => (await browser.$(id)).getAttribute('data-state').catch(() => null);

test('the venue manager makes this kiosk the venue relay from the Relay screen', async () => {
  await openRelayScreen();
  // A kiosk's enrollment code is not a relay's: refused, in the screen's language.
  await (await browser.$('#relay-host-code')).setValue(code('booth', 'V01'));
  await (await browser.$('#relay-host button[type=submit]')).click();
  const error = await browser.$('#relay-host-error');
  await error.waitForDisplayed({ timeout: 10000 });
  assert.match(await error.getText(), /中継機用の登録コードではありません/);
  await shoot(browser, 'not-a-relay-code');

  const field = await browser.$('#relay-host-code');
  await field.clearValue();
  await field.setValue(code('relay', 'V01'));
  await (await browser.$('#relay-host button[type=submit]')).click();
  const startButton = await browser.$('#relay-host-start');
  await startButton.waitForDisplayed({ timeout: 10000 });
  await startButton.click();
  const state = await browser.$('#relay-host-state');
  await waitFor('the relay runs', async () => (await state.getText()).includes(`https://127.0.0.1:${relayPort}`));
  const codeText = await browser.$('#relay-join-code');
  await codeText.waitForDisplayed({ timeout: 10000 });
  joinCode = await codeText.getText();
  assert.match(joinCode, new RegExp(`^vaxrelay:\\?url=https://127\\.0\\.0\\.1:${relayPort}&id=[0-9a-f-]+&fp=[0-9a-f]{64}$`));
  assert.ok(joinCode.endsWith(await (await browser.$('#relay-host-fingerprint')).getText()), 'the QR pins the fingerprint shown');
  await shoot(browser, 'relay-running');
  await (await browser.$('#relay-host')).scrollIntoView();
  await shoot(browser, 'relay-running-controls');
});

test('a booth joins by the code; the screen lists it and both lights are green', async () => {
  hq(booth, 'relay', 'join', joinCode);
  boothLoop = spawn(vaxhq, ['--ledger', booth, 'relay', 'sync', '--every-ms', '1000'], { stdio: 'ignore' });
  const table = await browser.$('#relay-devices');
  await waitFor('the booth in the venue devices with a contact time', async () => {
    if (!(await table.isExisting())) return false;
    const rows = await browser.$$('#relay-devices tbody tr');
    for (const row of rows) {
      const text = await row.getText();
      if (text.includes('接種1') && /\d\d:\d\d/.test(text)) return true;
    }
    return false;
  }, 30000);
  await waitFor('both lights green', async () =>
    (await lightState('#light-relay')) === 'green' && (await lightState('#light-centre')) === 'green', 30000);
  const devices = await table.getText();
  assert.ok(devices.includes('責任者'), `the manager's own kiosk syncs through its relay: ${devices}`);
  // The contact times are Japan's clock, as the header's: the booth synced within the minute.
  const jstNow = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit' }).format(new Date());
  const [h, m] = jstNow.split(':').map(Number);
  const minutes = (s) => { const [a, b] = s.split(':').map(Number); return a * 60 + b; };
  const boothRow = (await table.getText()).split('\n').find((l) => l.includes('接種1'));
  const shown = /(\d\d:\d\d)/.exec(boothRow)[1];
  assert.ok(Math.abs(minutes(shown) - (h * 60 + m)) <= 2 || Math.abs(minutes(shown) - (h * 60 + m)) >= 24 * 60 - 2, `JST contact time: ${boothRow} vs ${jstNow}`);
  await table.scrollIntoView();
  await shoot(browser, 'booth-joined');
});

test('the centre stops: the centre light turns red and the venue keeps going through the relay', async () => {
  await stopCentre();
  await waitFor('the centre light red', async () => (await lightState('#light-centre')) === 'red', 30000);
  assert.equal(await lightState('#light-relay'), 'green', 'the relay itself is still reached');
  // A check-in at the manager's desk (vaxhq on the app's ledger) reaches the booth's queue
  // through the relay in the app.
  await hqShared(manager, 'desk', 'check-in', '0000100001');
  await waitFor('the check-in in the booth queue', async () =>
    (await hqShared(booth, '--json', 'desk', 'queue')).includes('"voucher":"0000100001"'), 15000);
  await (await browser.$('#relay-lights')).scrollIntoView();
  await shoot(browser, 'centre-down');
});

test('the centre comes back: the centre light is green again', async () => {
  centre = await startCentre();
  await waitFor('the centre light green again', async () => (await lightState('#light-centre')) === 'green', 30000);
  await shoot(browser, 'centre-back');
});

test('the app restarted: the relay runs again under the same join code', async () => {
  await stopApp(started);
  await new Promise((r) => setTimeout(r, 2000)); // the old process gone, its port free
  started = await startApp({ port: 4510, nativePort: 4511, env: appEnv() });
  browser = started.browser;
  await openRelayScreen();
  const state = await browser.$('#relay-host-state');
  await waitFor('the relay running again', async () =>
    (await state.isExisting()) && (await state.getText()).includes(`https://127.0.0.1:${relayPort}`), 30000);
  const codeText = await browser.$('#relay-join-code');
  await codeText.waitForDisplayed({ timeout: 10000 });
  assert.equal(await codeText.getText(), joinCode, 'the booth needs to scan nothing again');
  await waitFor('both lights green after the restart', async () =>
    (await lightState('#light-relay')) === 'green' && (await lightState('#light-centre')) === 'green', 30000);
  await waitFor('the venue devices listed again', async () => (await browser.$('#relay-devices')).isExisting());
  await shoot(browser, 'after-restart');
});
