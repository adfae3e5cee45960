// End to end: bus transport (issue 13). A real `vaxsync` server on loopback; HQ (vaxhq) loads
// a city whose campaign starts tomorrow, imports its fleet, enrolls and publishes; V03's
// reception enrolls on its own ledger. In the real app window on the HQ ledger, HQ plans
// V03's buses for tomorrow, looks at the route sketch and writes the manifests PDF (rendered
// with pdftoppm). The app's background sync sends the plan; the venue's ledger holds the
// trips. Then the app opens on the venue's ledger: the reception's bus list shows the trips
// and marks a rider arrived. After sync HQ sees the mark.
// Screenshots go to artifacts/e2e/transport-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, startServer, root, screenshots, startApp, stopApp, todayJst } from './support.js';

const vaxhq = binary('vaxhq');
const vaxsync = binary('vaxsync');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-transport-'));
const hqLedger = path.join(work, 'hq.sqlite3');
const venueLedger = path.join(work, 'v03.sqlite3');
const serverDb = path.join(work, 'server.sqlite3');
const port = 4470;
const nativePort = 4471;
const venueCode = 'V03';

function nextDay(date) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
const day = nextDay(todayJst());

let server;
let started;
let browser;
const shoot = screenshots('transport-');
const screenshot = (name) => shoot(browser, name);
const show = (el, block = 'start') => browser.execute((e, b) => e.scrollIntoView({ block: b }), el, block);

const run = (ledger, ...args) => execFileSync(vaxhq, ['--ledger', ledger, ...args], { encoding: 'utf8' });
const hq = (...args) => run(hqLedger, ...args);
const venue = (...args) => run(venueLedger, ...args);
const buses = (ledger) => JSON.parse(run(ledger, '--json', 'transport', 'buses', '--venue', venueCode, '--date', day));

/** Sets an input's value the way typing does (Svelte's bind:value listens to `input`). */
async function setInput(selector, value) {
  const el = await browser.$(selector);
  await browser.execute(
    (e, v) => {
      e.value = v;
      e.dispatchEvent(new Event('input', { bubbles: true }));
      e.dispatchEvent(new Event('change', { bubbles: true }));
    },
    el,
    value,
  );
}

before(async () => {
  let serverUrl;
  ({ server, url: serverUrl } = await startServer(serverDb));

  hq('demo', '--residents', '3000', '--start', day);
  const fleet = path.join(work, 'fleet.csv');
  writeFileSync(
    fleet,
    '車両,座席,始業,終業,車庫緯度,車庫経度,運転手\n' +
      '1号車,8,07:30,18:00,35.4747,135.3859,舞鶴 太郎\n' +
      '2号車,8,07:30,18:00,35.4747,135.3859,西 花子\n' +
      '福祉タクシー,4,07:30,18:00,35.4747,135.3859,\n',
  );
  hq('transport', 'fleet', fleet);
  const hqCode = execFileSync(vaxsync, ['enrollment', 'create', '--db', serverDb, '--role', 'hq'], { encoding: 'utf8' }).trim();
  hq('sync', 'enroll', '--server', serverUrl, '--code', hqCode, '--name', '本部');
  hq('sync', 'run');

  const code = hq('sync', 'code', '--role', 'reception', '--venue', venueCode).trim();
  venue('sync', 'enroll', '--server', serverUrl, '--code', code, '--name', `${venueCode} 受付1`);
  venue('sync', 'run');
  assert.equal(buses(venueLedger).trips.length, 0, 'no buses before HQ plans');

  started = await startApp({
    port,
    nativePort,
    env: { VAXLEDGER_DB: hqLedger, VAXLEDGER_SYNC_SECONDS: '2', VAXLEDGER_PRINT_OPEN: '0' },
  });
  browser = started.browser;
});

after(async () => {
  await stopApp(started);
  server?.kill('SIGTERM');
});

test('HQ plans the day in the app, sees the routes and writes the manifests', async () => {
  const nav = await browser.$('#nav-transport');
  await nav.waitForDisplayed({ timeout: 30000 });
  await nav.click();
  const select = await browser.$('#transport-venue');
  await select.waitForDisplayed({ timeout: 10000 });
  await select.selectByAttribute('value', venueCode);
  await setInput('#transport-date', day);
  await (await browser.$('#transport-none')).waitForDisplayed({ timeout: 10000 });
  await screenshot('before-plan');

  await (await browser.$('#transport-plan')).click();
  const planned = await browser.$('#transport-planned');
  await planned.waitForDisplayed({ timeout: 60000 }).catch(async (e) => {
    await screenshot('plan-failed');
    throw e;
  });
  assert.match(await planned.getText(), /計画しました/);
  await (await browser.$('#transport-summary')).waitForDisplayed({ timeout: 10000 }).catch(async (e) => {
    await screenshot('planned-failed');
    throw e;
  });
  const sketch = await browser.$('#transport-sketch');
  assert.ok(await sketch.isExisting(), 'the route sketch is drawn');
  assert.ok((await sketch.$$('polyline')).length > 0, 'a route is drawn per run');
  const runs = await browser.$$('#hq-transport article.run');
  assert.ok(runs.length > 0, 'runs are listed');
  await show(await browser.$('#hq-transport'));
  await screenshot('planned');
  await show(sketch, 'center');
  await screenshot('sketch');

  await (await browser.$('#transport-manifests')).click();
  const printed = await browser.$('#transport-printed');
  await printed.waitForDisplayed({ timeout: 30000 });
  const pdf = /: (\/\S+\.pdf)/.exec(await printed.getText())[1];
  assert.ok(existsSync(pdf), `the manifests exist at ${pdf}`);
  const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
  assert.match(text, /送迎運行表/);
  const png = path.join(root, 'artifacts/e2e/transport-manifest');
  execFileSync('pdftoppm', ['-png', '-r', '70', '-f', '1', '-l', '1', '-singlefile', pdf, png]);
  assert.ok(existsSync(`${png}.png`), 'the first manifest page is rendered');
});

test('after sync the venue holds the trips, without other venues’ riders', async () => {
  const planned = JSON.parse(hq('--json', 'transport', 'show', '--venue', venueCode, '--date', day));
  let list = buses(venueLedger);
  for (let i = 0; i < 30 && list.trips.length === 0; i += 1) {
    await new Promise((r) => setTimeout(r, 1000));
    venue('sync', 'run');
    list = buses(venueLedger);
  }
  assert.equal(list.trips.length, planned.runs.length, 'one trip per planned run');
  // Trip by trip (vehicle, direction, band and time at the venue: a vehicle may make two
  // runs for one band), the same riders in the same stop order.
  const key = (vehicle, direction, band, at) => `${vehicle}/${direction}/${band}/${at}`;
  const atVenue = new Map(list.trips.map((t) => [key(t.vehicle, t.direction, t.band_start, t.at_venue), t.riders.map((r) => r.name)]));
  for (const run of planned.runs) {
    assert.deepEqual(atVenue.get(key(run.vehicle, run.direction, run.band_start, run.at_venue)), run.stops.map((s) => s.name));
  }
  assert.ok(list.trips.some((t) => t.driver === '舞鶴 太郎' || t.driver === '西 花子'), 'drivers travel');
});

test('the reception ticks a rider arrived in the app and HQ sees it', async () => {
  await stopApp(started);
  started = await startApp({
    port,
    nativePort,
    env: { VAXLEDGER_DB: venueLedger, VAXLEDGER_SYNC_SECONDS: '2', VAXLEDGER_PRINT_OPEN: '0' },
  });
  browser = started.browser;
  const nav = await browser.$('#nav-buses');
  await nav.waitForDisplayed({ timeout: 30000 });
  await nav.click();
  await setInput('#bus-date', day);
  const trip = await browser.$('#bus-list article.trip[data-direction="to_venue"]');
  await trip.waitForDisplayed({ timeout: 10000 }).catch(async (e) => {
    await screenshot('bus-list-failed');
    throw e;
  });
  await screenshot('bus-list');
  const rider = await trip.$('li.rider');
  const residentId = await rider.getAttribute('data-resident');
  await (await rider.$('button.tick')).click();
  await browser.waitUntil(async () => (await rider.getAttribute('class')).includes('boarded'), {
    timeout: 10000,
    timeoutMsg: 'the rider is not shown arrived',
  });
  assert.match(await (await browser.$('#bus-counts')).getText(), /乗車 1人/);
  await screenshot('arrived');

  const name = (await rider.$('.name').then((n) => n.getText())).trim();
  let seen;
  for (let i = 0; i < 30; i += 1) {
    hq('sync', 'run');
    seen = buses(hqLedger)
      .trips.flatMap((t) => t.riders)
      .find((r) => r.name === name && r.mark === 'boarded');
    if (seen) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.ok(seen, `HQ sees ${name} (${residentId} at the venue) arrived`);
});
