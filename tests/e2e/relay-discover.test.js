// End to end (issue 17): a booth finds its venue's relay on the LAN (mDNS) on screen, with no
// QR. A real centre (vaxsync) and HQ; V01's relay runs headless on the manager's ledger
// (`vaxhq relay host`), and V02's relay too, both advertised by mDNS on a test port. The app
// under tauri-driver is a booth of V01 that has joined no relay: its Relay screen lists V01's
// relay only; a wrong pairing code is refused in Japanese and English and joins nothing; the
// pairing code the relay prints joins it, pinning the whole certificate fingerprint (the same
// join code as the relay's QR), and both lights turn green.
//
// mDNS here: the relays listen on 127.0.0.1, so their advertisements carry 127.0.0.1, and the
// mdns-sd daemons publish an address only on the interface of its subnet — loopback, which the
// daemons join like any interface (multicast on lo stays inside this machine). Ports: 4640/4641
// (webdriver), 4642 and 4644 (the relays), 4643 (mDNS, UDP; never the real 5353).
// Screenshots: artifacts/e2e/discover-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { binary, screenshots, startApp, startServer, stopApp, todayJst } from './support.js';

const vaxhq = binary('vaxhq');
const vaxsync = binary('vaxsync');
const MDNS_PORT = 4643;
const V01_RELAY = 4642;
const V02_RELAY = 4644;
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-discover-'));
const centreDb = path.join(work, 'centre.db');
const ledgerOf = (name) => path.join(work, name, 'kiosk.sqlite3');
const hqLedger = ledgerOf('hq');
const booth = ledgerOf('booth');
const shoot = screenshots('discover-');

let centre;
let started;
let browser;
const relays = [];
let v01; // what V01's relay printed: { url, join, pairing, mdns }

const run = (bin, args) => execFileSync(bin, args, { encoding: 'utf8', env: { ...process.env, VAXLEDGER_NOW: '' } });
const hq = (ledger, ...args) => run(vaxhq, ['--ledger', ledger, ...args]);
/** vaxhq on the app's ledger: SQLite may refuse at once while the app writes; that changed nothing. */
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

/** A kiosk ledger (in `dir`) enrolled with the centre as `role` at `venue`, the city synced in. */
function kiosk(dir, role, venue, url, name = dir) {
  const ledger = ledgerOf(dir);
  mkdirSync(path.dirname(ledger), { recursive: true });
  hq(ledger, 'sync', 'enroll', '--server', url, '--code', code(role, venue), '--name', name);
  hq(ledger, 'sync', 'run');
  return ledger;
}

/**
 * The venue relay of `venue` run headless on its manager's ledger, advertised by mDNS on the
 * test port; resolves with what it printed (listening, join, pairing, mdns).
 */
async function hostRelay(venue, port, url) {
  const manager = kiosk(`manager-${venue}`, 'venue_manager', venue, url);
  hq(manager, 'relay', 'host-enroll', '--code', code('relay', venue), '--name', `${venue} relay`);
  const relay = spawn(vaxhq, ['--ledger', manager, 'relay', 'host', '--listen', `127.0.0.1:${port}`, '--mdns-port', String(MDNS_PORT)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  relays.push(relay);
  const printed = {};
  await new Promise((resolve, reject) => {
    relay.once('exit', (c) => reject(new Error(`vaxhq relay host (${venue}) exited with ${c}`)));
    readline.createInterface({ input: relay.stdout }).on('line', (line) => {
      const [, key, value] = /^(listening on|join|pairing|mdns) (.*)$/.exec(line) ?? [];
      if (key) printed[key] = value;
      if (key === 'mdns') resolve();
    });
  });
  return printed;
}

before(async () => {
  mkdirSync(path.dirname(hqLedger), { recursive: true });
  const server = await startServer(centreDb);
  centre = server.server;
  hq(hqLedger, 'demo', '--residents', '300', '--start', todayJst());
  hq(hqLedger, 'sync', 'enroll', '--server', server.url, '--code', code('hq'), '--name', '本部');
  hq(hqLedger, 'sync', 'run');
  v01 = await hostRelay('V01', V01_RELAY, server.url);
  const v02 = await hostRelay('V02', V02_RELAY, server.url);
  for (const r of [v01, v02]) assert.equal(r.mdns, 'advertised', `the relay is advertised: ${JSON.stringify(r)}`);
  assert.match(v01.pairing, /^[0-9A-F]{4}(-[0-9A-F]{4}){3}$/);
  kiosk('booth', 'booth', 'V01', server.url, '接種1');
  started = await startApp({
    port: 4640,
    nativePort: 4641,
    env: { VAXLEDGER_DB: booth, VAXLEDGER_MDNS_PORT: String(MDNS_PORT), VAXLEDGER_SYNC_SECONDS: '2', VAXLEDGER_PRINT_OPEN: '0' },
  });
  browser = started.browser;
});

after(async () => {
  await stopApp(started);
  for (const r of relays) r.kill('SIGKILL');
  centre?.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

async function waitFor(what, check, timeout = 20000) {
  await browser.waitUntil(check, { timeout, interval: 250, timeoutMsg: what }).catch(async (e) => {
    await shoot(browser, 'timeout');
    throw e;
  });
}

const lightState = async (id) => (await browser.$(id)).getAttribute('data-state').catch(() => null);
const lightsOfBooth = async () => JSON.parse(await hqShared(booth, 'relay', 'lights'));

async function submitPairing(text) {
  const field = await browser.$('#relay-pairing');
  await field.clearValue();
  await field.setValue(text);
  await (await browser.$('#relay-discover button[type=submit]')).click();
}

test('the booth lists the relay of its venue found on the LAN, and only that one', async () => {
  const nav = await browser.$('#nav-relay');
  await nav.waitForDisplayed({ timeout: 30000 });
  await nav.click();
  await (await browser.$('#relay-none')).waitForDisplayed({ timeout: 10000 });
  assert.equal(await (await browser.$('#relay-lights')).isExisting(), false, 'no lights before a relay is joined');
  assert.equal(await (await browser.$('#relay-host')).isExisting(), false, 'a booth does not run the relay');
  await (await browser.$('#relay-discover-search')).click();
  const list = await browser.$('#relay-discover-list');
  await waitFor('the relays found', () => list.isDisplayed(), 15000);
  const items = await browser.$$('#relay-discover-list li');
  const texts = [];
  for (const li of items) texts.push(await li.getText());
  assert.deepEqual(texts, [`V01 relay — https://127.0.0.1:${V01_RELAY}`], "V01's relay, not V02's");
  assert.equal(await (await browser.$('#relay-discover-list input[type=radio]')).isSelected(), true, 'the only relay is picked');
  await shoot(browser, 'found');
});

test('a wrong pairing code is refused in both languages and joins nothing', async () => {
  // Well formed, but not the relay's certificate: what a laptop pretending to be it would get.
  const first = v01.pairing[0] === 'A' ? 'B' : 'A';
  await submitPairing(first + v01.pairing.slice(1));
  const error = await browser.$('#relay-discover-error');
  await error.waitForDisplayed({ timeout: 15000 });
  assert.equal(await error.getAttribute('data-code'), 'SYNC_REFUSED');
  assert.match(await error.getText(), new RegExp(`https://127\\.0\\.0\\.1:${V01_RELAY} の中継機は確認コードと一致しません`));
  await shoot(browser, 'wrong-pairing');
  await (await browser.$('#lang-toggle')).click();
  await waitFor('the English message', async () => /does not match the pairing code: it is not the venue's relay/.test(await error.getText()), 5000);
  await shoot(browser, 'wrong-pairing-en');
  await (await browser.$('#lang-toggle')).click();
  await waitFor('Japanese again', async () => /確認コードと一致しません/.test(await error.getText()), 5000);

  const lights = await lightsOfBooth();
  assert.equal(lights.reaches_relay, 'off', `nothing joined: ${JSON.stringify(lights)}`);
  assert.equal(lights.relay_url, null);
  assert.equal(await (await browser.$('#relay-joined')).isExisting(), false);
  assert.equal(await (await browser.$('#relay-none')).isDisplayed(), true);
  assert.equal(await (await browser.$('#relay-lights')).isExisting(), false);
});

test('the pairing code the relay shows joins it, pinning its certificate, and both lights turn green', async () => {
  await submitPairing(v01.pairing);
  const joined = await browser.$('#relay-joined');
  await joined.waitForDisplayed({ timeout: 15000 });
  assert.ok((await joined.getText()).includes(`https://127.0.0.1:${V01_RELAY}`), await joined.getText());
  assert.equal(await (await browser.$('#relay-discover-error')).isExisting(), false, 'the refusal is gone');
  // The whole fingerprint is pinned: the booth's join code is the one of the relay's QR.
  const codeText = await browser.$('#relay-join-code');
  await waitFor('the join code of the relay joined', () => codeText.isDisplayed(), 15000);
  assert.equal(await codeText.getText(), v01.join);
  await waitFor('both lights green', async () =>
    (await lightState('#light-relay')) === 'green' && (await lightState('#light-centre')) === 'green', 30000);
  // The relay counts the booth among the venue's devices, with its last contact.
  await waitFor('the booth in the venue devices with a contact time', async () => {
    for (const row of await browser.$$('#relay-devices tbody tr')) {
      const text = await row.getText();
      if (text.includes('接種1') && /\d\d:\d\d/.test(text)) return true;
    }
    return false;
  }, 30000);
  const lights = await lightsOfBooth();
  assert.equal(lights.relay_url, `https://127.0.0.1:${V01_RELAY}`);
  assert.equal(lights.reaches_relay, 'green');
  await shoot(browser, 'joined');
});
