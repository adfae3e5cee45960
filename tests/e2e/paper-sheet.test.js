// End to end (issue 17): a whole paper day sheet typed into a spreadsheet and back-entered from
// one CSV file on the venue manager's Paper screen, all or nothing. A sheet with bad lines (the
// same resident twice, a lot not open, a time after now) is previewed with every bad line by
// its number and cannot be recorded, and the ledger holds nothing of it; the corrected sheet is
// previewed row by row and recorded in one go, at the times written on paper. The clock is
// pinned (VAXLEDGER_NOW) to the evening of the venue day. Screenshots: artifacts/e2e/sheet-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, screenshots, startApp, stopApp, todayJst } from './support.js';

const vaxhq = binary('vaxhq');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-sheet-'));
const ledger = path.join(work, 'manager.sqlite3');
const day = todayJst();
const now = `${day}T17:00:00+09:00`;
const env = { VAXLEDGER_DB: ledger, VAXLEDGER_NOW: now };

let started;
let browser;
const shoot = screenshots('sheet-');
let people;

const hq = (...args) =>
  execFileSync(vaxhq, ['--ledger', ledger, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

const [y, m, d] = day.split('-').map(Number);
/** The sheet as Excel's "CSV UTF-8" saves it: BOM, CRLF, the date as Excel writes it. */
function sheet(rows) {
  const header = '接種券番号,接種日,接種時刻,ロット番号,接種者,接種部位,観察終了,氏名';
  const lines = rows.map(([p, time, lot]) => `11262021${p.voucher},${y}/${m}/${d},${time},${lot},舞鶴 太郎,左上腕,,${p.name}`);
  return `\uFEFF${[header, ...lines].join('\r\n')}\r\n`;
}

before(async () => {
  hq('demo', '--residents', '800', '--kiosk', 'V01');
  hq('desk', 'open-lot', '--product', 'comirnaty', '--lot', 'FA5765');
  const venueDay = JSON.parse(hq('--json', 'venue-day', 'V01', '--date', day));
  people = venueDay.bands[0].residents.slice(0, 3);
  assert.equal(people.length, 3, 'three residents booked in the first band at V01 today');
  started = await startApp({ port: 4620, nativePort: 4621, env: { ...env, VAXLEDGER_PRINT_OPEN: '0' } });
  browser = started.browser;
});

after(async () => {
  await stopApp(started);
  rmSync(work, { recursive: true, force: true });
});

/** Chooses `text` as the sheet file (a File built in the page, as the picker gives it). */
async function chooseSheet(text, name) {
  await browser.execute(
    (content, fileName) => {
      const input = document.querySelector('#sheet-file');
      const data = new DataTransfer();
      data.items.add(new File([content], fileName, { type: 'text/csv' }));
      input.files = data.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    },
    text,
    name,
  );
}

const dosesOf = (p) => JSON.parse(hq('--json', 'lookup', '--voucher', `11262021${p.voucher}`))[0].doses;

test('a sheet with bad lines is previewed with every bad line and cannot be recorded', async () => {
  const nav = await browser.$('#nav-paper');
  await nav.waitForDisplayed({ timeout: 20000 });
  await nav.click();
  await (await browser.$('#sheet-file')).waitForExist({ timeout: 10000 });

  await chooseSheet(
    sheet([
      [people[0], '9:12', 'FA5765'],
      [people[1], '9:15', 'NO-SUCH'], // line 3: lot not open
      [people[2], '18:30', 'FA5765'], // line 4: after now
      [people[0], '9:40', 'FA5765'], // line 5: line 2 again
    ]),
    'sheet-bad.csv',
  );
  const refusals = await browser.$('#sheet-refusals');
  await refusals.waitForDisplayed({ timeout: 10000 });
  const lines = await browser.$$('#sheet-refusals tbody tr');
  const got = [];
  for (const tr of lines) got.push(`${await tr.getAttribute('data-line')} ${await tr.getAttribute('data-code')}`);
  assert.deepEqual(got, ['3 LOT_NOT_OPEN', '4 INVALID_INPUT', '5 DUPLICATE_DOSE']);
  assert.match(await refusals.getText(), /2行目/, 'the repeated line names the first');
  assert.match(await (await browser.$('#sheet-refused-summary')).getText(), /3行に問題があります/);
  assert.equal(await (await browser.$('#sheet-commit')).isExisting(), false, 'no way to record a refused sheet');
  // The good line is previewed with what it would record.
  const preview = await browser.$('#sheet-rows');
  assert.equal(await preview.getAttribute('data-committed'), 'no');
  assert.ok((await preview.getText()).includes(people[0].name));
  await (await browser.$('#paper-sheet')).scrollIntoView();
  await shoot(browser, 'refused');
  for (const p of people) assert.equal(dosesOf(p).length, 0, `nothing recorded for ${p.name}`);
});

test('the corrected sheet is previewed row by row and recorded in one go at the paper times', async () => {
  await chooseSheet(
    sheet([
      [people[0], '9:12', 'FA5765'],
      [people[1], '9:15', 'fa5765'],
      [people[2], '9:20', 'FA5765'],
    ]),
    'sheet.csv',
  );
  const commit = await browser.$('#sheet-commit');
  await commit.waitForDisplayed({ timeout: 10000 });
  assert.match(await commit.getText(), /3行をすべて記録/);
  assert.match(await (await browser.$('#sheet-preview-summary')).getText(), /3行を記録できます（UTF-8）/);
  assert.equal((await browser.$$('#sheet-rows tbody tr')).length, 3);
  await (await browser.$('#paper-sheet')).scrollIntoView();
  await shoot(browser, 'preview');
  for (const p of people) assert.equal(dosesOf(p).length, 0, 'the preview recorded nothing');

  await commit.click();
  const done = await browser.$('#sheet-committed');
  await done.waitForDisplayed({ timeout: 10000 });
  assert.equal(await done.getAttribute('data-rows'), '3');
  assert.equal(await (await browser.$('#sheet-rows')).getAttribute('data-committed'), 'yes');
  await (await browser.$('#paper-sheet')).scrollIntoView();
  await shoot(browser, 'recorded');
  for (const [p, at] of [[people[0], '09:12'], [people[1], '09:15'], [people[2], '09:20']]) {
    const doses = dosesOf(p);
    assert.equal(doses.length, 1, p.name);
    assert.equal(doses[0].administered_at, `${day}T${at}:00+09:00`, 'the time on paper');
  }
  // The audit trail names the line of the file each record came from (the screen sends the
  // file's name with its bytes).
  const audit = hq('--json', 'audit', '--resident', people[1].voucher);
  assert.match(audit, /back-entered from the paper day sheet, line 3 of sheet\.csv: given [0-9-]+ 09:15/);
  assert.match(audit, /back-entered from paper, line 3 of sheet\.csv: checked in [0-9-]+ 09:15/);
});
