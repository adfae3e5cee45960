// End to end: the City CA box of the setup screen (issue 15, docs/security.md). A real
// `vaxsync` serves HTTPS with a certificate signed by a city's private CA that this test makes
// with openssl; HQ (vaxhq) enrolls pinning that CA and publishes a city. A brand-new kiosk then
// enrolls from its setup screen:
//   1. without the CA, the enrollment is refused in words (the certificate is not trusted) and
//      the one-time code is not spent;
//   2. with the CA pasted into the box, the same code enrolls it, the first sync brings the city,
//      and a check-in reaches HQ through the background sync over the pinned TLS link.
// Screenshots go to artifacts/e2e/city-ca-*.png. Ports 4630/4631.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { binary, pinnedClock, screenshots, startApp, stopApp } from './support.js';

const vaxhq = binary('vaxhq');
const vaxsync = binary('vaxsync');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-cityca-'));
const hqLedger = path.join(work, 'hq.sqlite3');
const serverDb = path.join(work, 'server.sqlite3');
const caPem = path.join(work, 'city-ca.pem');

let server;
let serverUrl;
let started;
let browser;
let booked;
let code;
const shoot = screenshots('city-ca-');

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
/** HQ's audit trail of a resident; `vaxhq audit` exits 3 while it holds no entry. */
function auditOf(voucher) {
  try {
    return JSON.parse(hq('--json', 'audit', '--resident', voucher));
  } catch (e) {
    if (e.status === 3) return [];
    throw e;
  }
}
const openssl = (...args) => execFileSync('openssl', args, { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });

/** The city's CA and the server's certificate it signs (for 127.0.0.1 and localhost). */
function makeCityCa() {
  const p256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...p256, '-keyout', 'ca.key', '-out', caPem, '-days', '2',
    '-subj', '/CN=Maizuru City CA', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', ...p256, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(
    path.join(work, 'server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' +
      'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  openssl('x509', '-req', '-in', 'server.csr', '-CA', caPem, '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
}

before(async () => {
  makeCityCa();
  server = spawn(
    vaxsync,
    ['serve', '--db', serverDb, '--listen', '127.0.0.1:0',
      '--tls-cert', path.join(work, 'server.crt'), '--tls-key', path.join(work, 'server.key')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const first = await new Promise((resolve, reject) => {
    readline.createInterface({ input: server.stdout }).once('line', resolve);
    server.once('exit', (status) => reject(new Error(`vaxsync exited with ${status}`)));
  });
  serverUrl = /listening on (\S+)/.exec(first)[1];
  assert.match(serverUrl, /^https:\/\/127\.0\.0\.1:\d+$/);

  hq('demo', '--residents', '800');
  const day = JSON.parse(hq('--json', 'venue-day', 'V01', '--date', clock.today));
  booked = day.bands.flatMap((b) => b.residents).find((r) => r.dose_number === 1);
  assert.ok(booked, 'someone is booked at V01 today');
  const hqCode = execFileSync(vaxsync, ['enrollment', 'create', '--db', serverDb, '--role', 'hq'], { encoding: 'utf8' }).trim();
  hq('sync', 'enroll', '--server', serverUrl, '--code', hqCode, '--name', '本部', '--ca', caPem);
  hq('sync', 'run');
  code = hq('sync', 'code', '--role', 'reception', '--venue', 'V01').trim();

  started = await startApp({
    port: 4630,
    nativePort: 4631,
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
  rmSync(work, { recursive: true, force: true });
});

test('without the city CA the enrollment is refused in words and the code is not spent', async () => {
  const url = await browser.$('#sync-server-url');
  await url.waitForDisplayed({ timeout: 20000 });
  await url.addValue(serverUrl);
  await (await browser.$('#sync-code')).addValue(code);
  await (await browser.$('#sync-device-name')).addValue('V01 受付1');
  await screenshot('enroll-without-ca');
  await (await browser.$('#sync-enroll')).click();

  const error = await browser.$('#setup-error');
  await error.waitForDisplayed({ timeout: 30000 });
  const said = await error.getText();
  assert.match(said, /同期サーバーの証明書を信頼できません/);
  assert.match(said, /市の認証局/);
  assert.equal(await (await browser.$('#sync-enrolled')).isExisting(), false);
  assert.equal(await (await browser.$('#sync-badge')).getText(), '単独運用（同期サーバー未登録）');
  await screenshot('refused-without-ca');
});

test('with the CA pasted into the box the same code enrolls, the city arrives and a check-in reaches HQ', async () => {
  const box = await browser.$('#sync-ca');
  if (!(await box.getAttribute('open'))) await (await box.$('summary')).click();
  const pem = await browser.$('#sync-ca-pem');
  await pem.waitForDisplayed({ timeout: 5000 });
  // Pasted: the whole PEM at once, as a paste puts it in the field.
  await browser.execute(
    (text) => {
      const area = document.querySelector('#sync-ca-pem');
      area.value = text;
      area.dispatchEvent(new Event('input', { bubbles: true }));
    },
    readFileSync(caPem, 'utf8'),
  );
  assert.match(await pem.getValue(), /^-----BEGIN CERTIFICATE-----/);
  await screenshot('ca-pasted');
  await (await browser.$('#sync-enroll')).click();

  const scan = await browser.$('#scan');
  await scan.waitForDisplayed({ timeout: 60000 }).catch(async (e) => {
    await screenshot('enroll-with-ca-failed');
    throw e;
  });
  assert.match(await (await browser.$('#venue-name')).getText(), /受付/);
  const badge = await browser.$('#sync-badge');
  await browser.waitUntil(async () => (await badge.getAttribute('class')).includes('green'), { timeout: 20000 });
  await screenshot('enrolled-with-ca');

  const before = hqOps();
  await scan.click();
  await scan.addValue(`11262021${booked.voucher}`);
  await browser.keys('Enter');
  const name = await browser.$('#resident-name');
  await name.waitForDisplayed({ timeout: 10000 });
  assert.equal(await name.getText(), booked.name, 'the kiosk knows the resident from the sync');
  await (await browser.$('#check-in')).click();
  await (await browser.$('#checked-in')).waitForDisplayed({ timeout: 10000 });

  // The background sync (every 2 s here) sends the check-in over the pinned link; HQ pulls it.
  let trail = [];
  for (let i = 0; i < 30 && !trail.some((r) => r.action === 'check_in'); i += 1) {
    await new Promise((r) => setTimeout(r, 1000));
    hq('sync', 'run');
    trail = auditOf(booked.voucher);
  }
  assert.ok(trail.some((r) => r.action === 'check_in'), 'HQ holds the kiosk’s check-in');
  assert.ok(hqOps() > before);
  await browser.waitUntil(async () => /未送信 0件/.test(await (await browser.$('#sync-waiting')).getText()), {
    timeout: 20000,
    interval: 500,
    timeoutMsg: 'the badge never showed the check-in as sent',
  });
  await screenshot('checked-in-synced');
});
