// End to end: the calendar file imported from the HQ Planning screen (issue 12). HQ (vaxhq)
// loads a small demo city and enrolls as headquarters. In the real app window HQ chooses a
// calendar CSV with bad rows: every problem is listed with its line and nothing is written
// (read back with vaxhq); then a good file: the preview counts a new venue and its bands,
// and 「この内容で取り込む」 writes them (read back with vaxhq, and on the calendar). Then HQ
// enters a delivery of no vials (none will come) for a planned venue day: the cell shows it, the bookings
// above its doses are counted, nobody moves until the reshuffle preview HQ asks for.
// Screenshots go to artifacts/e2e/hq-calendar-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, screenshots, startApp, stopApp, todayJst } from './support.js';

const vaxhq = binary('vaxhq');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-hq-calendar-'));
const hqLedger = path.join(work, 'hq.sqlite3');
const port = 4530;

function plusDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

const firstDay = plusDays(todayJst(), 1);
const newDay = plusDays(todayJst(), 5);
const header = '会場コード,会場名,住所,緯度,経度,種別,日付,開始,終了,定員';
const row = (start, end, capacity, code = 'V90', lat = '35.4700') =>
  `${code},東公民館,京都府デモ市字森1番地,${lat},135.3900,集団接種会場,${newDay},${start},${end},${capacity}`;
const badFile = [
  header,
  row('09:00', '09:30', '40'),
  row('09:30', '09:00', '40'), // line 3: ends before it starts
  row('10:00', '10:30', '四十'), // line 4: not a number
  row('10:30', '11:00', '40', 'V90', 'north'), // line 5: latitude
].join('\r\n');
const goodFile = [header, row('09:00', '09:30', '40'), row('09:30', '10:00', '40')].join('\r\n');

let started;
let browser;
const shoot = screenshots('hq-calendar-');
const screenshot = (name) => shoot(browser, name);
const show = (el) => browser.execute((e) => e.scrollIntoView({ block: 'start' }), el);
const hq = (...args) => execFileSync(vaxhq, ['--ledger', hqLedger, ...args], { encoding: 'utf8' });
const bandsOn = (date) =>
  JSON.parse(hq('--json', 'calendar', 'show', '--from', date, '--days', '1')).bands.filter((b) => b.venue_code === 'V90');

/** Chooses `text` as the file of the input (a File built in the page, as a picker gives it). */
async function chooseFile(text, name) {
  await browser.execute(
    (content, fileName) => {
      const input = document.querySelector('#calimport-file');
      const data = new DataTransfer();
      data.items.add(new File([content], fileName, { type: 'text/csv' }));
      input.files = data.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    },
    text,
    name,
  );
}

before(async () => {
  hq('demo', '--residents', '300', '--start', firstDay);
  hq('enroll', '--venue', 'V01', '--role', 'headquarters');
  started = await startApp({
    port,
    nativePort: 4531,
    env: { VAXLEDGER_DB: hqLedger, VAXLEDGER_PRINT_OPEN: '0' },
  });
  browser = started.browser;
});

after(async () => {
  await stopApp(started);
});

test('a calendar file with bad rows lists every problem by line and writes nothing', async () => {
  const panel = await browser.$('#calendar-import');
  await panel.waitForDisplayed({ timeout: 30000 }).catch(async (e) => {
    await screenshot('failed');
    throw e;
  });
  await show(panel);
  await chooseFile(badFile, 'calendar-bad.csv');
  const problems = await browser.$('#calimport-problems');
  await problems.waitForDisplayed({ timeout: 20000 }).catch(async (e) => {
    await screenshot('bad-failed');
    throw e;
  });
  const lines = await browser.$$('#calimport-problems tbody tr');
  const firstCells = [];
  for (const l of lines) firstCells.push(await (await l.$('td')).getText());
  assert.deepEqual([...new Set(firstCells)], ['3', '4', '5'], 'the lines, as Excel numbers them (CRLF)');
  const refused = await (await browser.$('#calimport-refused')).getText();
  assert.match(refused, /calendar-bad\.csv/);
  assert.equal(await (await browser.$('#calimport-apply')).isExisting(), false, 'nothing to import');
  await show(panel);
  await screenshot('refused');
  assert.equal(bandsOn(newDay).length, 0, 'nothing was written');
});

test('a good calendar file is previewed, then imported, and the calendar shows it', async () => {
  await chooseFile(goodFile, 'calendar.csv');
  const preview = await browser.$('#calimport-preview');
  await preview.waitForDisplayed({ timeout: 20000 });
  const text = await preview.getText();
  assert.match(text, /UTF-8/);
  assert.match(text, /2行/);
  assert.match(text, /会場 追加1/);
  assert.match(text, /コマ 追加2/);
  assert.equal(bandsOn(newDay).length, 0, 'the preview writes nothing');
  await show(await browser.$('#calendar-import'));
  await screenshot('preview');
  await (await browser.$('#calimport-apply')).click();
  const done = await browser.$('#calimport-done');
  await done.waitForDisplayed({ timeout: 20000 });
  assert.match(await done.getText(), /コマ 追加2/);
  const bands = bandsOn(newDay);
  assert.deepEqual(
    bands.map((b) => [b.start, b.end, b.capacity]),
    [
      ['09:00', '09:30', 40],
      ['09:30', '10:00', 40],
    ],
  );
  await show(await browser.$('#calendar-import'));
  await screenshot('imported');
});

test('a delivery below the day\'s bookings is shown, counts the excess and offers the reshuffle', async () => {
  const cell = await browser.$(`.supply[data-venue="V01"][data-date="${firstDay}"]`);
  await cell.waitForExist({ timeout: 20000 });
  await show(cell);
  const booked = () => JSON.parse(hq('--json', 'calendar', 'show', '--from', firstDay, '--days', '1'));
  const before = booked();
  await (await cell.$('input')).setValue('0');
  await (await cell.$('button')).click();
  const over = await browser.$('#plan-supply-over');
  await over.waitForDisplayed({ timeout: 20000 }).catch(async (e) => {
    await screenshot('supply-failed');
    throw e;
  });
  const excess = Number(await over.getAttribute('data-over'));
  assert.ok(excess > 0, 'the planned day holds bookings, all above no doses');
  await browser.waitUntil(async () => (await cell.getAttribute('data-vials')) === '0', { timeout: 10000 });
  assert.equal(Number(await cell.getAttribute('data-over')), excess, 'the cell counts the same excess');
  assert.match(await cell.getText(), /0本（0回分）/);
  const after = booked();
  const supply = after.supply.find((s) => s.venue_code === 'V01' && s.date === firstDay);
  assert.equal(supply.vials, 0);
  assert.equal(supply.over, excess);
  assert.deepEqual(after.bands, before.bands, 'nobody was moved by the delivery');
  await screenshot('supply-over');
  await (await browser.$('#plan-supply-reshuffle')).click();
  const summary = await browser.$('#reshuffle-summary');
  await summary.waitForDisplayed({ timeout: 30000 });
  const moves = await browser.$$('#reshuffle-moves tbody tr');
  const unplaced = await browser.$$('#reshuffle-unplaced tbody tr');
  // A dose 2 may move with its dose 1, so there may be more rows than bookings above.
  assert.ok(moves.length + unplaced.length >= excess, 'every booking above the doses is re-seated or reported');
  await show(summary);
  await screenshot('supply-reshuffle');
});
