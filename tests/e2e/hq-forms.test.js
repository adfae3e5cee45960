// End to end: the HQ Planning screen's forms (issue 12). HQ (vaxhq) loads a small demo city
// whose campaign starts tomorrow and enrolls as headquarters. In the real app window HQ
// creates a venue (a form with a missing value and one the ledger refuses are shown first),
// adds a day of bands to it (an overlapping second add is refused), and turns a resident's
// request to move dose 1 into a reshuffle preview, then applies it; last it makes the notices
// (HqNotices) and sees the batch. Each result is read back from the ledger with vaxhq. Screenshots go to artifacts/e2e/hq-forms-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, screenshots, startApp, stopApp, todayJst } from './support.js';

const vaxhq = binary('vaxhq');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-hq-forms-'));
const hqLedger = path.join(work, 'hq.sqlite3');
const port = 4490;

/** `date` (YYYY-MM-DD) plus `n` days. */
function plusDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

const firstDay = plusDays(todayJst(), 1);
const newDay = plusDays(todayJst(), 2);
const moveDay = plusDays(todayJst(), 3);

let started;
let browser;
const shoot = screenshots('hq-forms-');
const screenshot = (name) => shoot(browser, name);
const show = (el, block = 'start') => browser.execute((e, b) => e.scrollIntoView({ block: b }), el, block);
const hq = (...args) => execFileSync(vaxhq, ['--ledger', hqLedger, ...args], { encoding: 'utf8' });

/**
 * Sets the input `selector` to `value` as typing would (an `input` event, which Svelte's
 * bind:value listens to). Through script: WebKitWebDriver refuses to clear some inputs and
 * its date fields take no typed text.
 */
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

const setDate = fill;

async function choose(selector, value) {
  await (await browser.$(selector)).selectByAttribute('value', value);
}

before(async () => {
  hq('demo', '--residents', '400', '--start', firstDay);
  hq('enroll', '--venue', 'V01', '--role', 'headquarters');
  started = await startApp({
    port,
    nativePort: 4491,
    env: { VAXLEDGER_DB: hqLedger, VAXLEDGER_PRINT_OPEN: '0' },
  });
  browser = started.browser;
});

after(async () => {
  await stopApp(started);
});

test('HQ creates a venue; a missing value and a bad code are refused in words first', async () => {
  const form = await browser.$('#venue-form');
  await form.waitForDisplayed({ timeout: 30000 }).catch(async (e) => {
    await screenshot('forms-failed');
    throw e;
  });
  await show(await browser.$('#planning-forms'));

  await fill('#venue-code', 'V07');
  await fill('#venue-form-name', '中総合会館');
  await fill('#venue-address', '舞鶴市字浜1234');
  await fill('#venue-lat', '');
  await fill('#venue-lon', '135.3859');
  await screenshot('venue-filled');
  await (await browser.$('#venue-save')).click();
  const problem = await browser.$('#venue-problem');
  await problem.waitForDisplayed({ timeout: 5000 });
  assert.match(await problem.getText(), /latitude|緯度/i);

  // A code the ledger refuses: its own bilingual error, nothing saved.
  await fill('#venue-code', 'V 07!');
  await fill('#venue-lat', '35.4745');
  await (await browser.$('#venue-save')).click();
  const refused = await browser.$('#venue-error');
  await refused.waitForDisplayed({ timeout: 10000 });
  assert.equal(await refused.getAttribute('data-code'), 'INVALID_INPUT');
  await screenshot('venue-refused');
  assert.ok(!hq('venues').includes('V 07!'), 'nothing was saved');

  await fill('#venue-code', 'V07');
  await choose('#venue-kind', 'mass_site');
  await (await browser.$('#venue-save')).click();
  await (await browser.$('#venue-done')).waitForDisplayed({ timeout: 10000 });
  await screenshot('venue-saved');
  const venues = hq('venues');
  assert.match(venues, /V07/);
  assert.match(venues, /中総合会館/);
});

test('HQ adds a day of bands to the new venue; an overlapping day is refused', async () => {
  await browser.waitUntil(async () => (await browser.$('#day-venue option[value="V07"]')).isExisting(), {
    timeout: 10000,
    timeoutMsg: 'the new venue is not offered in the day form',
  });
  await choose('#day-venue', 'V07');
  await setDate('#day-date', newDay);
  await fill('#day-first', '13:00');
  await fill('#day-length', '30');
  await fill('#day-count', '3');
  await fill('#day-capacity', '10');
  await (await browser.$('#day-layout')).click();
  const bands = await browser.$('#day-bands');
  await bands.waitForDisplayed({ timeout: 5000 });
  assert.equal((await bands.$$('tbody tr')).length, 3);
  await show(await browser.$('#day-form'));
  await screenshot('day-laid-out');
  await (await browser.$('#day-add')).click();
  const done = await browser.$('#day-done');
  await done.waitForDisplayed({ timeout: 10000 });
  assert.match(await done.getText(), /3/);

  const calendar = JSON.parse(hq('--json', 'calendar', 'show', '--from', newDay, '--days', '1'));
  const added = calendar.bands.filter((b) => b.venue_code === 'V07' && b.date === newDay);
  assert.deepEqual(
    added.map((b) => [b.start, b.end, b.capacity]),
    [
      ['13:00', '13:30', 10],
      ['13:30', '14:00', 10],
      ['14:00', '14:30', 10],
    ],
  );

  // The same bands again overlap those just added: refused, with the ledger's words.
  await (await browser.$('#day-layout')).click();
  await (await browser.$('#day-add')).click();
  const refused = await browser.$('#day-error');
  await refused.waitForDisplayed({ timeout: 10000 });
  assert.match(await refused.getText(), /overlap|重なって/);
  await show(refused, 'center');
  await screenshot('day-overlap-refused');

  // The grid shows the new venue's day.
  await setDate('#plan-from', newDay);
  await (await browser.$('#planning-calendar form button[type="submit"]')).click();
  const cell = await browser.$(`#plan-grid td[data-venue="V07"][data-date="${newDay}"]`);
  await browser.waitUntil(async () => (await cell.$$('.band')).length === 3, {
    timeout: 10000,
    timeoutMsg: 'the grid does not show the three new bands',
  });
  await show(cell, 'center');
  await screenshot('grid-new-day');
});

test("a resident's request to move dose 1 is previewed, then applied", async () => {
  const day = JSON.parse(hq('--json', 'venue-day', 'V01', '--date', firstDay));
  const resident = day.bands.flatMap((b) => b.residents).find((r) => r.dose_number === 1);
  assert.ok(resident, `someone holds dose 1 at V01 on ${firstDay}`);

  await (await browser.$('#reshuffle-what-move')).click();
  await show(await browser.$('#planning-reshuffle'));
  // A request without dates is not sent.
  await fill('#move-voucher', resident.voucher);
  await (await browser.$('#reshuffle-preview')).click();
  await (await browser.$('#move-problem')).waitForDisplayed({ timeout: 5000 });

  await setDate('#move-from', moveDay);
  await setDate('#move-to', moveDay);
  await choose('#move-venue', 'V01');
  await (await browser.$('#reshuffle-preview')).click();
  const moves = await browser.$('#reshuffle-moves');
  await moves.waitForDisplayed({ timeout: 30000 }).catch(async (e) => {
    await screenshot('move-preview-failed');
    throw e;
  });
  const row = await moves.$(`//tbody/tr[td[2][normalize-space()="${resident.voucher}"]]`);
  assert.ok(await row.isExisting(), 'the resident is in the preview');
  assert.match(await row.getText(), new RegExp(moveDay));
  await show(await browser.$('#planning-reshuffle'));
  await screenshot('move-preview');

  await (await browser.$('#reshuffle-apply')).click();
  await (await browser.$('#reshuffle-applied')).waitForDisplayed({ timeout: 30000 });
  await screenshot('move-applied');
  const card = JSON.parse(hq('--json', 'lookup', '--voucher', resident.voucher))[0];
  const dose1 = card.bookings.find((b) => b.dose_number === 1);
  assert.equal(dose1.band.venue_code, 'V01');
  assert.equal(dose1.band.date, moveDay, 'dose 1 is on the day asked for');
});

test('HQ makes the notices from the screen and sees the batch', async () => {
  const section = await browser.$('#notices');
  await show(section);
  await (await browser.$('#notices-refresh')).click();
  const pending = await browser.$('#notices-pending');
  await pending.waitForDisplayed({ timeout: 30000 });
  const bookings = Number(/(\d+)/.exec(await pending.getText())[1]);
  assert.ok(bookings > 0, 'the demo city’s bookings need their first notices');
  await screenshot('notices-pending');

  await (await browser.$('#notices-make')).click();
  const result = await browser.$('#notices-result');
  await result.waitForDisplayed({ timeout: 120000 }).catch(async (e) => {
    await screenshot('notices-failed');
    throw e;
  });
  const files = await (await browser.$('#notices-files')).getText();
  assert.match(files, /letters-0001\.pdf/);
  assert.match(files, /sms\.csv/);
  const listed = await browser.execute(() =>
    Array.from(document.querySelectorAll('#notices-files li'), (li) => li.textContent.trim()),
  );
  const letterFile = listed.map((f) => f.trim()).find((f) => f.includes('letters-0001.pdf'));
  assert.ok(letterFile && existsSync(letterFile), `the letters were written: ${JSON.stringify(listed)}`);
  const rows = await (await browser.$('#notices-batches')).$$('tbody tr');
  assert.equal(rows.length, 1, 'the batch is listed');
  assert.match(await rows[0].getText(), /#1/);
  await show(result, 'start');
  await screenshot('notices-made');

  // Recorded: nothing is pending any more.
  await (await browser.$('#notices-refresh')).click();
  await browser.waitUntil(async () => /:\s*0\D/.test(await (await browser.$('#notices-pending')).getText()), {
    timeout: 10000,
    timeoutMsg: 'the bookings still look pending after the batch',
  });
});
