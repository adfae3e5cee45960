// End to end: moving a bus rider by hand on HQ's transport screen (issue 13). HQ (vaxhq)
// loads the demo city with the transport test's fleet of three and a one-seat car, and plans
// V03's buses for tomorrow. In the real app window HQ picks a rider on a trip to the venue and
// asks to move them: to a full trip (refused: the seat count), to a trip arriving after their
// band starts (refused: the arrival time); a rider on a bus home is sent their own way
// (自力で来場) and shown among the riders not served. Screenshots go to
// artifacts/e2e/transport-move-*.png.
//
// The plan is searched under a wall-clock budget from the demo data of that day, so which
// trips come out full differs from run to run and machine to machine: the trips and riders
// are chosen from the stored plan by the rules the move checks
// (crates/vax-app/src/transport_move.rs), never assumed. The one-seat car makes a full trip
// certain: any trip it makes is full, and it makes one whenever riders are left without a
// seat (the planner serves as many riders as it can before it saves vehicles; on the demo day
// each band's 50 to 60 riders to the venue share the 21 seats).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, screenshots, startApp, stopApp, todayJst } from './support.js';

const vaxhq = binary('vaxhq');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-transport-move-'));
const hqLedger = path.join(work, 'hq.sqlite3');
const port = 4600;
const nativePort = 4601;
const venueCode = 'V03';

function nextDay(date) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
const day = nextDay(todayJst());

let started;
let browser;
const shoot = screenshots('transport-move-');
const screenshot = (name) => shoot(browser, name);
const show = (el, block = 'start') => browser.execute((e, b) => e.scrollIntoView({ block: b }), el, block);
const hq = (...args) => execFileSync(vaxhq, ['--ledger', hqLedger, ...args], { encoding: 'utf8' });
const planShown = () => JSON.parse(hq('--json', 'transport', 'show', '--venue', venueCode, '--date', day));
const key = (r) => JSON.stringify([r.direction, r.band_start, r.observation_minutes, r.run, r.vehicle]);
/** A trip in a test's diagnostics: vehicle, band, run, arrival and seats. */
const label = (r) => `${r.vehicle} ${r.band_start} run ${r.run} (at ${r.at_venue}, ${r.seats_used}/${r.seats})`;
/** The move targets of `from` as the screen lists them (lib/transport.ts moveTargets). */
const targetsOf = (runs, from) => runs.filter((r) => r.direction === from.direction && key(r) !== key(from));

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

/** The run's article on the screen. */
const article = (r) =>
  browser.$(`#hq-transport article.run[data-vehicle="${r.vehicle}"][data-direction="${r.direction}"][data-band="${r.band_start}"][data-run="${r.run}"]`);

/** Opens the move panel for the rider on `run` and chooses target `value` ('own' or an index). */
async function openMove(run, residentId, value) {
  const a = await article(run);
  const stop = await a.$(`li.stop[data-resident="${residentId}"]`);
  await show(stop, 'center');
  await (await stop.$('button.move')).click();
  const select = await browser.$('#transport-move-to');
  await select.waitForDisplayed({ timeout: 10000 });
  await select.selectByAttribute('value', value);
}

before(async () => {
  hq('demo', '--residents', '3000', '--start', day);
  hq('enroll', '--venue', 'V01', '--role', 'headquarters');
  const fleet = path.join(work, 'fleet.csv');
  writeFileSync(
    fleet,
    '車両,座席,始業,終業,車庫緯度,車庫経度,運転手\n' +
      '1号車,8,07:30,18:00,35.4747,135.3859,舞鶴 太郎\n' +
      '2号車,8,07:30,18:00,35.4747,135.3859,西 花子\n' +
      '福祉タクシー,4,07:30,18:00,35.4747,135.3859,\n' +
      // One seat: every trip it makes is full.
      '小型車,1,07:30,18:00,35.4747,135.3859,\n',
  );
  hq('transport', 'fleet', fleet);
  hq('transport', 'plan', '--venue', venueCode, '--date', day, '--seconds', '3');
  started = await startApp({
    port,
    nativePort,
    env: { VAXLEDGER_DB: hqLedger, VAXLEDGER_PRINT_OPEN: '0' },
  });
  browser = started.browser;
});

after(async () => {
  await stopApp(started);
  rmSync(work, { recursive: true, force: true });
});

test('HQ moves a rider by hand: a full trip and a late trip are refused in words and nothing changes', async (t) => {
  const nav = await browser.$('#nav-transport');
  await nav.waitForDisplayed({ timeout: 30000 });
  await nav.click();
  const select = await browser.$('#transport-venue');
  await select.waitForDisplayed({ timeout: 10000 });
  await select.selectByAttribute('value', venueCode);
  await setInput('#transport-date', day);
  await (await browser.$('#transport-summary')).waitForDisplayed({ timeout: 10000 }).catch(async (e) => {
    await screenshot('summary-failed');
    throw e;
  });
  await screenshot('planned');

  const plan = planShown();
  const toVenue = plan.runs.filter((r) => r.direction === 'to_venue');
  const walker = (r) => r.stops.find((s) => !s.wheelchair);

  // A full trip, and a rider (one seat: not in a wheelchair) on another trip to the venue of
  // the same band or a later one: the full trip arrives by its band's start (a first run
  // earlier still), in time for the rider's band, so the seat count is what refuses the move.
  const sourceFor = (f) => toVenue.find((s) => key(s) !== key(f) && s.band_start >= f.band_start && walker(s));
  const full = toVenue.find((r) => r.seats_used === r.seats && sourceFor(r));
  assert.ok(full, 'a full trip to move to');
  const source = sourceFor(full);
  const rider = walker(source);
  t.diagnostic(`seat count: ${rider.name} on ${label(source)} to ${label(full)}`);
  await openMove(source, rider.resident_id, String(targetsOf(plan.runs, source).findIndex((r) => key(r) === key(full))));
  await (await browser.$('#transport-move-go')).click();
  const refusal = await browser.$('#transport-move-error');
  await refusal.waitForDisplayed({ timeout: 10000 });
  assert.match(await refusal.getText(), /座席数を超えます/);
  await screenshot('refused-seats');

  // A trip arriving after the rider's band starts: refused for the arrival time. The same
  // rider when such a trip is among their targets (a band later than theirs), else a rider on
  // a trip of an earlier band.
  const lateFor = (r) => targetsOf(plan.runs, r).findIndex((x) => x.at_venue > r.band_start);
  const lateSource = lateFor(source) >= 0 ? source : toVenue.find((r) => r.stops.length > 0 && lateFor(r) >= 0);
  assert.ok(lateSource, 'a trip of a later band');
  const lateRider = lateSource === source ? rider : lateSource.stops[0];
  t.diagnostic(`arrival: ${lateRider.name} on ${label(lateSource)} to ${label(targetsOf(plan.runs, lateSource)[lateFor(lateSource)])}`);
  await openMove(lateSource, lateRider.resident_id, String(lateFor(lateSource)));
  await (await browser.$('#transport-move-go')).click();
  await browser.waitUntil(async () => /間に合いません/.test(await (await browser.$('#transport-move-error')).getText()), {
    timeout: 10000,
    timeoutMsg: 'no arrival-time refusal',
  });
  await show(await browser.$('#transport-move'), 'center');
  await screenshot('refused-arrival');
  assert.deepEqual(planShown().runs, plan.runs, 'a refusal writes nothing');

  // A move onto a trip with a free seat is not shown here: on this day every bus is full up to
  // its riders' ride limits before its seats, so the checker rightly accepts no stop order
  // (docs/transport.md; tests/app/transport_move.rs shows the move that works).
});

test('HQ sends a rider home on their own: shown among the riders not served', async () => {
  const plan = planShown();
  const home = plan.runs.find((r) => r.direction === 'from_venue');
  const rider = home.stops[0];
  await openMove(home, rider.resident_id, 'own');
  await screenshot('own-way-chosen');
  await (await browser.$('#transport-move-go')).click();
  // The durable outcome is checked, not the transient confirmation line: in one run of five
  // the confirmation was gone before it was read (the screen re-rendered after the move; not
  // yet understood, noted in docs/transport.md).
  const unserved = await browser.$('#transport-unserved');
  await browser
    .waitUntil(async () => (await unserved.getText()).includes(`${rider.name}: 自力で来場`), {
      timeout: 30000,
      timeoutMsg: 'the rider is not listed as coming on their own',
    })
    .catch(async (e) => {
      await screenshot('own-way-failed');
      throw e;
    });
  await show(unserved, 'center');
  await screenshot('own-way');
  const after = planShown();
  assert.ok(after.unserved.some((s) => s.resident_id === rider.resident_id && /自力で来場/.test(s.unserved_ja)));
});
