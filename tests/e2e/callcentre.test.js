// End to end: the call centre and the HQ dashboard in the real app (issue 16; docs/call-centre.md).
// HQ (vaxhq) loads a small demo city whose campaign starts today, gives two of today's V01
// residents their first dose at the desk (enrolled as V01's manager for that), logs an earlier call for one of them, and
// enrolls as headquarters. In the real app window an operator with an elderly caller on the
// line finds her by voucher number and by kana name then birth date, reads her history, logs
// the call with a follow-up, rebooks her second dose into an offered band, asks for transport,
// puts her on the standby list and corrects her phone number — each checked in the ledger
// with vaxhq. Then the HQ dashboard: the figures on screen (tables and the charts' data-values)
// equal `vaxhq report …` on the same ledger, a CSV export lands in reports/, and so does
// the daily report (日報) PDF; each venue's stock on hand and last contact (freshness).
// HQ also plans today's buses: a rider's history page says when and where the bus comes.
// Last, HQ joins a real vaxsync and the operator logs her next call in the app, which syncs it;
// a new kiosk at the venue of her new booking, enrolled as its reception, syncs and is opened
// in the app: her card at the desk shows the booking the call centre made and the open
// follow-up logged on screen (call → reception, after sync).
// Screenshots go to artifacts/e2e/callcentre-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, screenshots, startApp, startServer, stopApp, todayJst } from './support.js';

const vaxhq = binary('vaxhq');
const vaxsync = binary('vaxsync');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-callcentre-'));
const hqLedger = path.join(work, 'hq.sqlite3');
const port = 4480;
const nativePort = 4481;

/** `date` (YYYY-MM-DD) plus `n` days. */
function plusDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

const today = todayJst();
const firstDay = today;

let started;
let browser;
let caller; // the resident on the line: dosed today at V01, dose 2 booked later
let dosed; // the two residents given dose 1 today
let rider; // someone HQ's bus fetches today: { venue, voucher, name, at_door }
let rebooked; // the caller's dose 2 after the call centre moved it
let server; // vaxsync, started for the last test
const shoot = screenshots('callcentre-');
const screenshot = (name) => shoot(browser, name);
const show = (el, block = 'start') => browser.execute((e, b) => e.scrollIntoView({ block: b }), el, block);
const hq = (...args) => execFileSync(vaxhq, ['--ledger', hqLedger, ...args], { encoding: 'utf8' });
const lookup = (voucher) => JSON.parse(hq('--json', 'lookup', '--voucher', voucher))[0];

/** Sets an input as typing would (an `input` event, which Svelte's bind:value listens to). */
async function fill(selector, value) {
  await browser.execute(
    (s, v) => {
      const el = document.querySelector(s);
      el.value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    },
    selector,
    value,
  );
}

async function search(text) {
  await fill('#cc-search', text);
  await (await browser.$('form.search button[type=submit]')).click();
}

/** Parses CSV text (no quoted cells in these reports) into rows of cells, header dropped. */
function csvRows(text) {
  return text
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter((l) => l !== '')
    .slice(1)
    .map((l) => l.split(','));
}

before(async () => {
  hq('demo', '--residents', '400', '--start', firstDay);
  // Two of today's V01 residents get dose 1 at the desk, so the history and the dashboard
  // have check-ins and doses to show.
  hq('enroll', '--venue', 'V01', '--role', 'venue_manager');
  const day = JSON.parse(hq('--json', 'venue-day', 'V01', '--date', today));
  const firsts = day.bands.flatMap((b) => b.residents).filter((r) => r.dose_number === 1);
  assert.ok(firsts.length >= 2, 'residents are booked for dose 1 at V01 today');
  hq('desk', 'open-lot', '--product', 'comirnaty', '--lot', 'FA5765');
  dosed = firsts.slice(0, 2);
  for (const r of dosed) {
    hq('desk', 'check-in', r.voucher);
    hq('desk', 'dose', r.voucher, '--dose', '1', '--lot', 'FA5765', '--vaccinator', '舞鶴 太郎');
  }
  // V01 takes delivery of 10 vials after the doses (the dashboard's stock on hand).
  hq('stock', 'record', JSON.stringify({ action: 'receive', product: 'comirnaty', lot: 'FA5765', vials: 10, expires_on: plusDays(today, 60), from: '卸A' }));
  caller = lookup(dosed[0].voucher);
  hq('enroll', '--venue', 'V01', '--role', 'headquarters');
  // Today's buses, planned by HQ for each venue until one has a rider.
  const fleet = path.join(work, 'fleet.csv');
  writeFileSync(fleet, '車両,座席,始業,終業,車庫緯度,車庫経度,運転手\n1号車,8,07:30,18:00,35.4747,135.3859,舞鶴 太郎\n');
  hq('transport', 'fleet', fleet);
  for (const venue of ['V01', 'V02', 'V03', 'V04', 'V05']) {
    try {
      hq('transport', 'plan', '--venue', venue, '--date', today, '--seconds', '2');
    } catch {
      continue; // no such venue, or nobody to fetch there today
    }
    const buses = JSON.parse(hq('--json', 'transport', 'buses', '--venue', venue, '--date', today));
    const trip = buses.trips.find((t) => t.direction === 'to_venue' && t.riders.length > 0);
    if (!trip) continue;
    const show = JSON.parse(hq('--json', 'transport', 'show', '--venue', venue, '--date', today));
    const line = show.runs.flatMap((r) => r.stops).find((l) => l.resident_id === trip.riders[0].resident_id);
    rider = { venue, voucher: line.rider.split('-').pop(), name: trip.riders[0].name, at_door: trip.riders[0].at_door, vehicle: trip.vehicle };
    break;
  }
  assert.ok(rider, 'someone rides the bus today');
  started = await startApp({ port, nativePort, env: { VAXLEDGER_DB: hqLedger, VAXLEDGER_PRINT_OPEN: '0' } });
  browser = started.browser;
});

after(async () => {
  await stopApp(started);
  server?.kill('SIGTERM');
});

test('the operator finds the caller by voucher number and sees her whole history', async () => {
  const nav = await browser.$('#nav-callcentre');
  await nav.waitForDisplayed({ timeout: 30000 }).catch(async (e) => {
    await screenshot('start-failed');
    throw e;
  });
  await nav.click();
  await (await browser.$('#cc-search')).waitForDisplayed({ timeout: 10000 });
  await screenshot('empty');

  const r = caller.resident.resident;
  await search(r.voucher);
  const name = await browser.$('#cc-name');
  await name.waitForDisplayed({ timeout: 10000 });
  assert.equal(await name.getText(), r.name);
  const bookings = await (await browser.$('#cc-bookings')).getText();
  assert.match(bookings, /1回目/);
  assert.match(bookings, /2回目/);
  const history = await (await browser.$('#cc-history')).getText();
  assert.match(history, /FA5765/, 'the dose given today is in the history');
  assert.match(history, new RegExp(`受付 ${today} \\d{2}:\\d{2} · 1回目`), "today's check-in is in the history");
  await screenshot('history');
});

test('and by kana name, then picking her birth date among the namesakes', async () => {
  const r = caller.resident.resident;
  await search(r.name_kana.split(/[\s　]/)[0]);
  // One match opens at once; several are listed with their birth dates.
  const name = await browser.$('#cc-name');
  const results = await browser.$$('button.result');
  if ((await results.length) > 0) {
    await screenshot('kana-results');
    let picked = false;
    for (const b of results) {
      const text = await b.getText();
      if (text.includes(r.birth_date) && text.includes(r.voucher)) {
        await b.click();
        picked = true;
        break;
      }
    }
    assert.ok(picked, 'the caller is among the kana matches, with her birth date');
  }
  await name.waitForDisplayed({ timeout: 10000 });
  assert.equal(await name.getText(), r.name);

  await search(r.birth_date);
  await browser.waitUntil(async () => (await browser.$$('button.result').length) > 0 || (await name.isDisplayed()), { timeout: 10000 });
  const byBirth = await browser.$$('button.result');
  for (const b of byBirth) {
    if ((await b.getText()).includes(r.voucher)) {
      await b.click();
      break;
    }
  }
  await browser.waitUntil(async () => (await name.getText()) === r.name, { timeout: 10000 });
});

test('she asks about her second dose: the call is logged with a follow-up and shows in the work list', async () => {
  await (await browser.$('#cc-topic')).selectByAttribute('value', 'rebooking');
  await fill('#cc-operator', '舞鶴 コール');
  await fill('#cc-note', '2回目の日程を早めたい。娘さんに折り返し');
  await (await browser.$('#cc-follow-up')).click();
  await (await browser.$('#cc-follow-up-by')).waitForDisplayed({ timeout: 5000 });
  await fill('#cc-follow-up-by', '田中');
  await (await browser.$('#cc-log')).click();
  const msg = await browser.$('#cc-message');
  await msg.waitForDisplayed({ timeout: 10000 });
  assert.match(await msg.getText(), /通話を記録しました/);
  const inquiries = await (await browser.$('#cc-inquiries')).getText();
  assert.match(inquiries, /2回目の日程を早めたい/);
  assert.match(inquiries, /未対応 · 田中/);
  assert.match(await (await browser.$('#cc-worklist')).getText(), new RegExp(caller.resident.resident.name));
  await screenshot('call-logged');

  const card = lookup(caller.resident.resident.voucher);
  const logged = card.inquiries.find((q) => q.note.startsWith('2回目の日程を早めたい'));
  assert.ok(logged, 'the ledger has the call');
  assert.equal(logged.topic, 'rebooking');
  assert.equal(logged.operator, '舞鶴 コール');
  assert.equal(logged.follow_up_needed, true);
});

test('the operator offers the next free bands and rebooks her second dose; the ledger shows the move', async () => {
  const before = lookup(caller.resident.resident.voucher).bookings.find((b) => b.dose_number === 2);
  assert.ok(before, 'dose 2 is booked');
  const offers = await browser.$$('#cc-offers button.offer');
  assert.ok((await offers.length) > 0, 'free bands are offered');
  const offerText = await (await browser.$('#cc-offers li')).getText();
  await show(await browser.$('#cc-actions'));
  await screenshot('offers');
  await offers[0].click();
  const apply = await browser.$('#cc-rebook-apply');
  await apply.waitForDisplayed({ timeout: 10000 });
  await show(await browser.$('#cc-preview'), 'center');
  await browser.pause(300); // the scroll settles before the picture
  await screenshot('rebook-preview');
  await apply.click();
  const msg = await browser.$('#cc-message');
  await msg.waitForDisplayed({ timeout: 10000 });
  assert.match(await msg.getText(), /予約を変更しました/);

  const after = lookup(caller.resident.resident.voucher).bookings.find((b) => b.dose_number === 2);
  rebooked = after;
  const [, offeredDate] = /2回目 · (\d{4}-\d{2}-\d{2})/.exec(offerText) ?? [];
  assert.equal(after.band.date, offeredDate, 'dose 2 moved to the offered day');
  assert.notDeepEqual(after.band, before.band);
  assert.match(await (await browser.$('#cc-bookings')).getText(), new RegExp(offeredDate));
  await screenshot('rebooked');
});

test('she needs a ride and can come at short notice; her phone number is corrected', async () => {
  const transport = await browser.$('#cc-transport');
  const asked = (await transport.getText()).includes('送迎を依頼');
  await transport.click();
  await browser.waitUntil(async () => (await (await browser.$('#cc-transport')).getText()).includes(asked ? '送迎を取り消す' : '送迎を依頼'), { timeout: 10000 });
  assert.equal(lookup(caller.resident.resident.voucher).resident.survey?.needs_transport, asked);

  await (await browser.$('#cc-standby-toggle')).click();
  await browser.waitUntil(async () => (await (await browser.$('#cc-standby')).getText()) === '登録あり', { timeout: 10000 });

  await fill('#cc-phone', '0773-62-1234');
  await (await browser.$('#cc-phone')).click();
  await browser.keys('Enter');
  await browser
    .waitUntil(async () => (await (await browser.$('#cc-history')).getText()).includes('TEL 0773-62-1234'), { timeout: 10000 })
    .catch(async (e) => {
      await screenshot('phone-not-saved');
      throw e;
    });
  assert.equal(lookup(caller.resident.resident.voucher).resident.resident.phone.display, '0773-62-1234');
  await show(await browser.$('#cc-actions'));
  await screenshot('transport-standby-phone');

  // A malformed number is refused in words, and nothing is lost.
  await fill('#cc-phone', '12');
  await (await browser.$('#cc-phone')).click();
  await browser.keys('Enter');
  const error = await browser.$('#cc-error');
  await error.waitForDisplayed({ timeout: 10000 });
  await show(error, 'center');
  await screenshot('bad-phone');
  assert.ok((await error.getText()).length > 0);
  assert.equal(lookup(caller.resident.resident.voucher).resident.resident.phone.display, '0773-62-1234');

  await (await browser.$('#lang-toggle')).click();
  await browser.waitUntil(async () => (await (await browser.$('#cc-standby')).getText()) === 'On the list', { timeout: 10000 });
  await show(await browser.$('#cc-history'));
  await screenshot('history-english');
  await (await browser.$('#lang-toggle')).click();
});

test("the HQ dashboard's figures equal vaxhq report on the same ledger; CSV export writes the file", async () => {
  await (await browser.$('#nav-dashboard')).click();
  const title = await browser.$('#dash-title');
  await title.waitForDisplayed({ timeout: 30000 });
  assert.match(await title.getText(), new RegExp(`全会場の状況 · ${today}`));
  await screenshot('dashboard');

  // Stock on hand and last contact per venue: V01's 10 vials at 6 doses; this HQ ledger
  // does not replicate, so no venue has been heard from (all in the warning colour).
  const v01 = await browser.$('#dash-freshness tr[data-venue=V01]');
  assert.equal(await v01.getAttribute('data-on-hand'), '60');
  // The leftover forecast per venue (the manager's own figure; tests/app/reports.rs checks the
  // two agree): whole numbers of people and doses.
  assert.match(await v01.getAttribute('data-still-booked'), /^\d+$/);
  assert.match(await v01.getAttribute('data-leftover'), /^\d+$/);
  assert.equal(await v01.getAttribute('data-silent'), 'true');
  assert.match(await v01.getText(), /受信なし/);
  await show(await browser.$('#dash-freshness'), 'center');
  await browser.pause(300);
  await screenshot('dashboard-freshness');

  // Doses per venue over the campaign (the table) against `vaxhq report doses`.
  const doses = csvRows(hq('report', 'doses', '--from', firstDay, '--to', today));
  const byVenue = {};
  for (const [, venue, n] of doses) byVenue[venue] = (byVenue[venue] ?? 0) + Number(n);
  assert.equal(byVenue.V01, 2, 'the two doses given today');
  const venueRows = await browser.$$('#dash-venues tbody tr');
  for (const row of venueRows) {
    const code = await row.getAttribute('data-venue');
    const cells = await row.$$('td');
    assert.equal(Number(await cells[4].getText()), byVenue[code] ?? 0, `campaign doses at ${code}`);
  }
  const dosesTotal = await (await browser.$('#dash-totals [data-key=doses]')).getAttribute('data-campaign');
  assert.equal(Number(dosesTotal), 2);

  // Coverage by age band (the table and the chart) against `vaxhq report coverage --city-wide`.
  const coverage = csvRows(hq('report', 'coverage', '--city-wide', '--today', today));
  const onScreen = await browser.execute(() =>
    [...document.querySelectorAll('#dash-coverage tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
  );
  assert.deepEqual(
    onScreen.map((c) => [c[1], c[2], c[4]]),
    coverage.map((c) => [c[2], c[3], c[4]]),
  );
  const coverageChart = await (await browser.$('#chart-coverage')).getAttribute('data-values');
  const firstRates = coverage.map((c) => (c[5] === '' ? 0 : Number(c[5])));
  assert.deepEqual(coverageChart.split(';')[0].split(':')[1].split(',').map(Number), firstRates);

  // Calls by topic (the chart) against `vaxhq report inquiries`.
  const inquiries = csvRows(hq('report', 'inquiries', '--from', plusDays(today, -365), '--to', today));
  const callsChart = await (await browser.$('#chart-calls')).getAttribute('data-values');
  const campaignCalls = callsChart.split(':')[1].split(',').map(Number);
  assert.equal(
    campaignCalls.reduce((a, b) => a + b, 0),
    inquiries.reduce((a, r) => a + Number(r[2]), 0),
  );
  assert.ok(campaignCalls.some((n) => n > 0), 'the call logged above is counted');

  // Doses per day (the chart) against the same report.
  const perDay = await (await browser.$('#chart-per-day')).getAttribute('data-values');
  const dosesSeries = perDay.split(';').find((s) => s.startsWith('接種:'));
  assert.equal(dosesSeries.split(':')[1].split(',').map(Number).reduce((a, b) => a + b, 0), doses.reduce((a, r) => a + Number(r[2]), 0));

  const csv = await browser.$('button[data-table=per_venue]');
  await csv.click();
  const exported = await browser.$('#dash-exported');
  await exported.waitForDisplayed({ timeout: 10000 });
  const file = path.join(work, 'reports', `per_venue-${today}.csv`);
  assert.ok(existsSync(file), `${file} written`);
  const text = readFileSync(file, 'utf8');
  assert.ok(text.startsWith('\uFEFF会場コード,会場名'), 'UTF-8 with a BOM, Japanese header');
  assert.match(text, /\r\nV01,/);
  await screenshot('dashboard-exported');

  // The daily report (日報) for the mayor's office, one A4 page beside the ledger.
  await (await browser.$('#dash-daily-report')).click();
  const nippo = path.join(work, 'reports', `nippo-${today}.pdf`);
  await browser.waitUntil(async () => (await exported.getText()).includes('nippo-'), { timeout: 30000 });
  assert.ok(existsSync(nippo), `${nippo} written`);
  const pdf = execFileSync('pdftotext', ['-layout', nippo, '-'], { encoding: 'utf8' });
  assert.match(pdf, /新型コロナワクチン接種 日報/);
  const v01Booked = await (await browser.$('#dash-venues tr[data-venue=V01] td:nth-child(2)')).getText();
  assert.match(pdf, new RegExp(`V01 デモ市総合文化会館\\s+${v01Booked}\\s+2\\s+2\\s+0\\s`), "V01's line as on the dashboard");
  await show(await browser.$('#dash-venues'));
  await screenshot('dashboard-tables');
});

test("a rider's history page says when and where the bus comes", async () => {
  await (await browser.$('#nav-callcentre')).click();
  await (await browser.$('#cc-search')).waitForDisplayed({ timeout: 10000 });
  await search(rider.voucher);
  const name = await browser.$('#cc-name');
  await browser.waitUntil(async () => (await name.isDisplayed()) && (await name.getText()) === rider.name, { timeout: 10000 });
  const pickup = await browser.$('#cc-rides li[data-direction=to_venue]');
  await pickup.waitForDisplayed({ timeout: 10000 });
  assert.equal(await pickup.getAttribute('data-at-door'), rider.at_door, "the plan's pick-up time");
  const text = await pickup.getText();
  assert.match(text, new RegExp(`${today} · 迎え ${rider.at_door}`));
  assert.match(text, new RegExp(rider.vehicle));
  assert.match(text, new RegExp(`会場着 \\d{2}:\\d{2} ${rider.venue}`));
  await show(await browser.$('#cc-rides'), 'center');
  await browser.pause(300);
  await screenshot('bus-pickup');
});

test("after sync, the venue's reception sees the call centre's booking and open follow-up on the caller's card", async () => {
  // HQ's ledger joins a real vaxsync (publishing the city with the rebooking made on screen);
  // the operator logs her next call in the app, which syncs it; a new kiosk at the venue she
  // was rebooked into, enrolled as its reception, syncs and is opened in the app.
  await stopApp(started);
  const serverDb = path.join(work, 'server.sqlite3');
  let url;
  ({ server, url } = await startServer(serverDb));
  const hqCode = execFileSync(vaxsync, ['enrollment', 'create', '--db', serverDb, '--role', 'hq'], { encoding: 'utf8' }).trim();
  hq('sync', 'enroll', '--server', url, '--code', hqCode, '--name', '本部');
  started = await startApp({ port, nativePort, env: { VAXLEDGER_DB: hqLedger, VAXLEDGER_PRINT_OPEN: '0', VAXLEDGER_SYNC_SECONDS: '2' } });
  browser = started.browser;
  const nav = await browser.$('#nav-callcentre');
  await nav.waitForDisplayed({ timeout: 30000 });
  await nav.click();
  await (await browser.$('#cc-search')).waitForDisplayed({ timeout: 10000 });
  await search(caller.resident.resident.voucher);
  await (await browser.$('#cc-name')).waitForDisplayed({ timeout: 10000 });
  await (await browser.$('#cc-topic')).selectByAttribute('value', 'transport');
  await fill('#cc-operator', '舞鶴 コール');
  await fill('#cc-note', '帰りのバスの時刻を確認したい');
  await (await browser.$('#cc-follow-up')).click();
  await (await browser.$('#cc-follow-up-by')).waitForDisplayed({ timeout: 5000 });
  await fill('#cc-follow-up-by', '山本');
  await (await browser.$('#cc-log')).click();
  await browser.waitUntil(async () => /通話を記録しました/.test(await (await browser.$('#cc-message')).getText()), {
    timeout: 10000,
    timeoutMsg: 'the call is not logged',
  });
  await stopApp(started);
  hq('sync', 'run'); // whatever the app's background sync had not sent yet

  const venueLedger = path.join(work, 'venue.sqlite3');
  const venue = (...args) => execFileSync(vaxhq, ['--ledger', venueLedger, ...args], { encoding: 'utf8' });
  const code = hq('sync', 'code', '--role', 'reception', '--venue', rebooked.band.venue_code).trim();
  venue('sync', 'enroll', '--server', url, '--code', code, '--name', `${rebooked.band.venue_code} 受付1`);
  venue('sync', 'run');
  started = await startApp({ port, nativePort, env: { VAXLEDGER_DB: venueLedger, VAXLEDGER_PRINT_OPEN: '0', VAXLEDGER_SYNC_SECONDS: '3600' } });
  browser = started.browser;
  const scan = await browser.$('#scan');
  await scan.waitForDisplayed({ timeout: 30000 }).catch(async (e) => {
    await screenshot('reception-start-failed');
    throw e;
  });
  await scan.click();
  await scan.addValue(`11262021${caller.resident.resident.voucher}`);
  await browser.keys('Enter');
  const name = await browser.$('#resident-name');
  await name.waitForDisplayed({ timeout: 10000 });
  assert.equal(await name.getText(), caller.resident.resident.name);
  const card = await (await browser.$('article.resident-card')).getText();
  assert.match(
    card,
    new RegExp(`2回目: ${rebooked.band.date} ${rebooked.band.start.slice(0, 5)}`),
    'the rebooked second dose on the reception card',
  );
  const page = await browser.execute(() => document.body.innerText);
  assert.match(page, /コールセンターの折り返し待ち：.*帰りのバスの時刻を確認したい.*担当: 山本/, 'the open follow-up logged on screen reaches the venue by sync');
  await screenshot('reception-after-sync');
});
