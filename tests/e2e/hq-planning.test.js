// End to end: HQ planning (issue 12). A real `vaxsync` server on loopback; HQ (vaxhq) loads a
// city whose campaign starts tomorrow, sends everyone their first notices, enrolls and publishes;
// a V01 reception ledger enrolls and syncs. In the real app window on the HQ ledger, HQ cuts
// V01's day tomorrow (the confirmation says how many bookings lose their place), previews the
// reshuffle, applies it. After the app's background sync the venue sees the day closed and the
// moved resident's new booking, and HQ's next letters hold the change with the new date.
// Screenshots go to artifacts/e2e/hq-planning-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, startServer, screenshots, startApp, stopApp, todayJst } from './support.js';

const vaxhq = binary('vaxhq');
const vaxsync = binary('vaxsync');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-hq-planning-'));
const hqLedger = path.join(work, 'hq.sqlite3');
const venueLedger = path.join(work, 'v01.sqlite3');
const serverDb = path.join(work, 'server.sqlite3');
const port = 4450;

/** The day after `date` (YYYY-MM-DD). */
function nextDay(date) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

// The day HQ cuts: tomorrow in Japan, the campaign's first day.
const cutDay = nextDay(todayJst());

let server;
let started;
let browser;
let booked; // a resident booked for dose 1 at V01 on the cut day
let affected; // bookings at V01 on the cut day
const shoot = screenshots('hq-planning-');

async function screenshot(name) {
  await shoot(browser, name);
}

/** Scrolls the page so that `el` is at the top of the window (`block`: 'start', 'center'). */
async function show(el, block = 'start') {
  await browser.execute((e, b) => e.scrollIntoView({ block: b }), el, block);
}

const run = (ledger, ...args) => execFileSync(vaxhq, ['--ledger', ledger, ...args], { encoding: 'utf8' });
const hq = (...args) => run(hqLedger, ...args);
const venue = (...args) => run(venueLedger, ...args);
const dose1 = (ledger, voucher) =>
  JSON.parse(run(ledger, '--json', 'lookup', '--voucher', voucher))[0].bookings.find((b) => b.dose_number === 1);

before(async () => {
  let serverUrl;
  ({ server, url: serverUrl } = await startServer(serverDb));

  hq('demo', '--residents', '800', '--start', cutDay);
  // Everyone is told their first booking now, so a move later makes a change letter.
  hq('print', 'mailing', '--sender', 'デモ市 健康づくり課', '--contact', '電話 0773-00-0000');
  hq('notices', 'make', '--out', path.join(work, 'notices-first'));
  const hqCode = execFileSync(vaxsync, ['enrollment', 'create', '--db', serverDb, '--role', 'hq'], { encoding: 'utf8' }).trim();
  hq('sync', 'enroll', '--server', serverUrl, '--code', hqCode, '--name', '本部');
  hq('sync', 'run');

  // The venue: V01's reception, on its own ledger.
  const code = hq('sync', 'code', '--role', 'reception', '--venue', 'V01').trim();
  venue('sync', 'enroll', '--server', serverUrl, '--code', code, '--name', 'V01 受付1');
  venue('sync', 'run');
  const day = JSON.parse(venue('--json', 'venue-day', 'V01', '--date', cutDay));
  const residents = day.bands.flatMap((b) => b.residents);
  affected = residents.length;
  booked = residents.find((r) => r.dose_number === 1);
  assert.ok(booked, `the venue sees someone booked at V01 on ${cutDay}`);

  started = await startApp({
    port,
    nativePort: 4451,
    env: {
      VAXLEDGER_DB: hqLedger,
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

test('HQ cuts a venue day in the app, previews the reshuffle and applies it', async () => {
  const grid = await browser.$('#plan-grid');
  await grid.waitForDisplayed({ timeout: 30000 }).catch(async (e) => {
    await screenshot('calendar-failed');
    throw e;
  });
  const cell = await browser.$(`#plan-grid td[data-venue="V01"][data-date="${cutDay}"]`);
  await show(cell);
  await screenshot('calendar');

  await (await cell.$('button.day')).click();
  const confirmation = await browser.$('#plan-affected');
  await confirmation.waitForDisplayed({ timeout: 10000 });
  assert.equal(await confirmation.getAttribute('data-affected'), String(affected));
  assert.match(await confirmation.getText(), new RegExp(String(affected)));
  await show(await browser.$('#plan-confirm'), 'center');
  await screenshot('cut-confirm');
  await (await browser.$('#plan-confirm-yes')).click();
  await (await browser.$('#plan-notice')).waitForDisplayed({ timeout: 10000 });
  await browser.waitUntil(async () => (await cell.getAttribute('class')).includes('cut'), {
    timeout: 10000,
    timeoutMsg: 'the cut day is not shown cut',
  });
  await show(await browser.$('#plan-notice'));
  await screenshot('day-cut');

  // The cut moves nobody: the reshuffle does, after a preview.
  await (await browser.$('#reshuffle-preview')).click();
  const moves = await browser.$('#reshuffle-moves');
  await moves.waitForDisplayed({ timeout: 30000 });
  const summary = await (await browser.$('#reshuffle-summary')).getText();
  assert.match(summary, new RegExp(String(affected)), 'the summary counts the bookings affected');
  const rows = await moves.$$('tbody tr');
  assert.equal(rows.length, affected, 'one move per affected booking');
  const row = await moves.$(`//tbody/tr[td[2][normalize-space()="${booked.voucher}"]]`);
  assert.ok(await row.isExisting(), 'the booked resident is in the table');
  assert.match(await row.getText(), new RegExp(cutDay));
  await show(await browser.$('#planning-reshuffle'));
  await screenshot('reshuffle-preview');

  await (await browser.$('#reshuffle-apply')).click();
  const applied = await browser.$('#reshuffle-applied');
  await applied.waitForDisplayed({ timeout: 30000 }).catch(async (e) => {
    await screenshot('reshuffle-apply-failed');
    throw e;
  });
  assert.match(await applied.getText(), new RegExp(String(affected)));
  await show(await browser.$('#planning-reshuffle'));
  await screenshot('reshuffle-applied');

  const moved = dose1(hqLedger, booked.voucher);
  assert.equal(moved.band.venue_code, 'V01');
  assert.notEqual(moved.band.date, cutDay, 'HQ holds the new booking');
});

test('after sync the venue sees its day cut and the new booking, and the letters hold it', async () => {
  const moved = dose1(hqLedger, booked.voucher);
  // The app's background sync (every 2 s) pushes; the venue pulls.
  let seen = dose1(venueLedger, booked.voucher);
  for (let i = 0; i < 30 && seen.band.date === cutDay; i += 1) {
    await new Promise((r) => setTimeout(r, 1000));
    venue('sync', 'run');
    seen = dose1(venueLedger, booked.voucher);
  }
  assert.deepEqual(seen.band, moved.band, 'the venue sees the new booking');
  const newDay = JSON.parse(venue('--json', 'venue-day', moved.band.venue_code, '--date', moved.band.date));
  assert.ok(
    newDay.bands.some((b) => b.residents.some((r) => r.voucher === booked.voucher && r.dose_number === 1)),
    'the resident is on the new day’s list at the venue',
  );
  const cut = JSON.parse(venue('--json', 'venue-day', 'V01', '--date', cutDay));
  assert.equal(cut.bands.flatMap((b) => b.residents).length, 0, 'nobody is left on the cut day');
  const calendar = JSON.parse(venue('--json', 'calendar', 'show', '--from', cutDay, '--days', '1'));
  const bands = calendar.bands.filter((b) => b.venue_code === 'V01' && b.date === cutDay);
  assert.ok(bands.length > 0);
  assert.ok(bands.every((b) => b.closed && b.booked === 0), 'the cut day’s bands are closed at the venue');

  // HQ's next notices: a change letter with the new date.
  const out = path.join(work, 'notices-change');
  hq('notices', 'make', '--out', out);
  const [batch] = readdirSync(out).filter((f) => f.startsWith('notices-'));
  const letters = readdirSync(path.join(out, batch)).filter((f) => /^letters-\d+\.pdf$/.test(f));
  assert.ok(letters.length > 0, 'letters were made');
  const pages = letters.flatMap((f) =>
    execFileSync('pdftotext', ['-layout', path.join(out, batch, f), '-'], { encoding: 'utf8' }).split('\f'),
  );
  const page = pages.find((p) => p.includes(booked.voucher));
  assert.ok(page, 'a letter for the moved resident');
  assert.match(page, /接種日時変更のお知らせ/);
  const [y, m, d] = moved.band.date.split('-').map(Number);
  assert.ok(page.includes(`${y}年${m}月${d}日`), `the letter holds the new date ${moved.band.date}`);
  assert.match(page, /変更前/);
  assert.ok(page.includes(booked.name.replace(/\s+/g, ' ').split(' ')[0]), 'the letter names the resident');
});
