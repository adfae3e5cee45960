// End to end: a venue's dose stock over one day (issue 14), in the real app window on a demo
// kiosk (the venue manager of V01, who also runs reception and a booth). The clock is pinned
// with VAXLEDGER_NOW: the morning at 09:00, then the app is restarted at 15:10, after the
// opened vial's 6-hour clock has run out.
//
// Morning: the manager records a delivery of 2 vials, thaws one and opens it (6 doses, clock
// to 15:00); two booked residents are checked in and dosed from it. Afternoon: the booth is
// refused for the vial past its clock, with the reason; the manager throws the 4 doses away
// (clock expired), thaws and opens the second vial, the waiting resident is dosed; the
// forecast shows doses left over, the manager calls the standby list, the resident who is
// coming is checked in and given a leftover dose; the day closes balanced. Then three nights of
// the fridge's logger go through the manager's upload form: a broken file (refused with its line),
// a clean night, a warm night that quarantines the lot. Screenshots go to artifacts/e2e/stock-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, screenshots, startApp, stopApp, todayJst } from './support.js';

const vaxhq = binary('vaxhq');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-stock-'));
const ledger = path.join(work, 'venue.sqlite3');
const port = 4460;
const nativePort = 4461;
const MUNICIPALITY = '262021';
const LOT = 'DEMO-0001';

const day = todayJst();
const morning = `${day}T09:00:00+09:00`;
const afternoon = `${day}T15:10:00+09:00`;

let started;
let browser;
let booked; // residents booked at V01 today, in band order
let standby; // the residents who agreed to come at short notice
const shoot = screenshots('stock-');

async function screenshot(name) {
  await shoot(browser, name);
}

const hq = (now, ...args) =>
  execFileSync(vaxhq, ['--ledger', ledger, ...args], { encoding: 'utf8', env: { ...process.env, VAXLEDGER_NOW: now } });

/** Scrolls the page so that `el` is at the top (or `block`) of the window. */
async function show(el, block = 'start') {
  await browser.execute((e, b) => e.scrollIntoView({ block: b }), el, block);
}

/** Sets an input's value as typing would (date inputs take no keystrokes in WebKit). */
async function fill(selector, value) {
  const el = await browser.$(selector);
  await browser.execute(
    (e, v) => {
      e.value = v;
      e.dispatchEvent(new Event('input', { bubbles: true }));
      e.dispatchEvent(new Event('change', { bubbles: true }));
    },
    el,
    String(value),
  );
}

async function start(now) {
  started = await startApp({
    port,
    nativePort,
    env: { VAXLEDGER_DB: ledger, VAXLEDGER_NOW: now, VAXLEDGER_PRINT_OPEN: '0', VAXLEDGER_SYNC_SECONDS: '3600' },
  });
  browser = started.browser;
  await (await browser.$('#nav-stock')).waitForDisplayed({ timeout: 30000 });
}

async function stockScreen() {
  await (await browser.$('#nav-stock')).click();
  await (await browser.$('#manager')).waitForDisplayed({ timeout: 10000 });
}

/** Records a stock action from the manager's form and waits for the screen to say so. */
async function recordStock(button) {
  const notice = await browser.$('#stock-notice');
  const previous = (await notice.isExisting()) ? await notice.getAttribute('data-n') : '0';
  await (await browser.$(button)).click();
  await browser.waitUntil(
    async () => {
      if (await (await browser.$('#stock-error')).isExisting()) return true;
      const n = await browser.$('#stock-notice');
      return (await n.isExisting()) && (await n.getAttribute('data-n')) !== previous;
    },
    { timeout: 10000, timeoutMsg: `${button} recorded nothing` },
  );
  const error = await browser.$('#stock-error');
  if (await error.isExisting()) throw new Error(`${button}: ${await error.getText()}`);
}

/** Reception scans the resident's voucher and checks them in. */
async function checkIn(resident) {
  await (await browser.$('#nav-reception')).click();
  const scan = await browser.$('#scan');
  await scan.waitForDisplayed({ timeout: 10000 });
  await scan.click();
  await scan.addValue(`11${MUNICIPALITY}${resident.voucher}`);
  await browser.keys('Enter');
  const name = await browser.$('#resident-name');
  await browser.waitUntil(async () => (await name.isExisting()) && (await name.getText()) === resident.name, {
    timeout: 10000,
    timeoutMsg: `${resident.name} is not shown`,
  });
  await (await browser.$('#check-in')).click();
  await (await browser.$('#checked-in')).waitForDisplayed({ timeout: 10000 });
}

/** The booth chooses the resident from the queue and records the dose; returns the outcome. */
async function dose(resident) {
  await (await browser.$('#nav-booth')).click();
  const entry = await browser.$(`//li[contains(@class,"queue-entry")][.//strong[normalize-space()="${resident.name}"]]//button`);
  await entry.waitForDisplayed({ timeout: 10000 });
  await entry.click();
  await (await browser.$('#lot-select')).waitForDisplayed({ timeout: 10000 });
  await (await browser.$('#vaccinator')).setValue('舞鶴 花子');
  await (await browser.$('#record-dose')).click();
  const ok = await browser.$('#booth-ok');
  const refused = await browser.$('#booth-error');
  await browser.waitUntil(async () => (await ok.isExisting()) || (await refused.isExisting()), {
    timeout: 10000,
    timeoutMsg: 'the booth shows no outcome',
  });
  return (await ok.isExisting()) ? { ok: true } : { ok: false, code: await refused.getAttribute('data-code'), text: await refused.getText() };
}

/** A lot's open vials as the manager's screen shows them. */
async function vialRows() {
  const rows = [];
  for (const r of await browser.$$(`#lot-${LOT} table.vials tbody tr`)) {
    rows.push({
      id: await r.getAttribute('data-vial'),
      colour: await r.getAttribute('data-colour'),
      given: await (await r.$('.vial-given')).getText(),
      left: await (await r.$('.vial-left')).getText(),
      countdown: await (await r.$('.countdown')).getText(),
    });
  }
  return rows;
}

before(async () => {
  // The demo kiosk: the city, V01's manager enrolled, the demo lot open at the booth.
  hq(morning, 'demo', '--residents', '600', '--kiosk', 'V01');
  const venueDay = JSON.parse(hq(morning, '--json', 'venue-day', 'V01', '--date', day));
  booked = venueDay.bands.flatMap((b) => b.residents).filter((r) => r.dose_number === 1);
  assert.ok(booked.length >= 3, 'three residents are booked at V01 today');
  // Two residents booked at another venue answered the survey "may be called at short notice"
  // (the demo city books all of V01's first doses on its first day).
  const elsewhere = JSON.parse(hq(morning, '--json', 'venue-day', 'V03', '--date', day));
  const later = elsewhere.bands.flatMap((b) => b.residents).filter((r) => r.dose_number === 1);
  standby = later.slice(0, 2);
  assert.equal(standby.length, 2, 'two residents for the standby list');
  const survey = path.join(work, 'standby.csv');
  writeFileSync(
    survey,
    `市町村コード,券番号,接種意向,直前連絡可\n${standby.map((r) => `${MUNICIPALITY},${r.voucher},希望する,あり`).join('\n')}\n`,
  );
  hq(morning, 'import', 'survey', survey);
  await start(morning);
});

after(async () => {
  await stopApp(started);
});

test('morning: a delivery is received, one vial thawed and opened, two doses drawn from it', async () => {
  await stockScreen();
  await screenshot('empty');

  await fill('#stock-lot', LOT);
  await fill('#stock-vials', 2);
  await fill('#stock-from', '舞鶴市保健センター');
  await fill('#stock-expiry', `${Number(day.slice(0, 4)) + 1}${day.slice(4)}`);
  await recordStock('#stock-receive');
  const lot = await browser.$(`#lot-${LOT}`);
  await lot.waitForDisplayed({ timeout: 10000 });
  assert.match(await (await lot.$('.frozen')).getText(), /2本/);
  await show(await browser.$(`#lot-${LOT}`));
  await screenshot('delivered');

  await fill('#stock-vials', 1);
  await recordStock('#stock-thaw');
  await browser.waitUntil(async () => /1本/.test(await (await lot.$('.fridge')).getText()), {
    timeout: 10000,
    timeoutMsg: 'one vial in the fridge',
  });
  await recordStock('#stock-open');
  await browser.waitUntil(async () => (await vialRows()).length === 1, { timeout: 10000, timeoutMsg: 'an open vial' });
  const [vial] = await vialRows();
  assert.match(vial.left, /6回分/, 'a low-dead-space vial gives 6 doses');
  assert.match(vial.countdown, /^[56]:\d\d:\d\d$/, 'its 6-hour clock counts down');
  assert.equal(vial.colour, 'green');
  await show(await browser.$(`#lot-${LOT}`));
  await screenshot('vial-open');

  for (const resident of booked.slice(0, 2)) {
    await checkIn(resident);
    const outcome = await dose(resident);
    assert.ok(outcome.ok, `${resident.name} is dosed: ${outcome.text ?? ''}`);
  }
  await screenshot('booth-dosed');

  await stockScreen();
  await browser.waitUntil(async () => /4回分/.test((await vialRows())[0]?.left ?? ''), {
    timeout: 15000,
    timeoutMsg: 'the vial shows 4 doses left',
  });
  assert.equal((await vialRows())[0].given, '2/6');
  await show(await browser.$(`#lot-${LOT}`));
  await screenshot('two-given');
});

test('afternoon: the vial is past its clock and the booth is refused with the reason', async () => {
  await stopApp(started);
  await start(afternoon);
  await stockScreen();
  const lot = await browser.$(`#lot-${LOT}`);
  await lot.waitForDisplayed({ timeout: 10000 });
  const [vial] = await vialRows();
  assert.equal(vial.colour, 'red', 'a vial past its clock is red');
  assert.equal(vial.countdown, '期限切れ');
  await show(await browser.$(`#lot-${LOT}`));
  await screenshot('vial-past-clock');

  const waiting = booked[2];
  await checkIn(waiting);
  const outcome = await dose(waiting);
  assert.equal(outcome.ok, false, 'no dose from a vial past its clock');
  assert.equal(outcome.code, 'VIAL_PAST_CLOCK');
  assert.match(outcome.text, /15:00/, 'the refusal says when the clock ran out');
  await screenshot('booth-refused');
});

test('the manager throws the expired doses away, opens the next vial, and the resident is dosed', async () => {
  await stockScreen();
  const [expired] = await vialRows();
  await fill('#stock-lot', LOT); // the app was restarted: the form is empty again
  await fill('#stock-vial', expired.id);
  await fill('#stock-doses', 4);
  await fill('#stock-reason', 'clock_expired');
  await recordStock('#stock-waste-doses');
  await fill('#stock-vials', 1);
  await recordStock('#stock-thaw');
  await recordStock('#stock-open');
  await browser.waitUntil(async () => (await vialRows()).some((v) => v.colour === 'green'), {
    timeout: 10000,
    timeoutMsg: 'a fresh vial',
  });
  await show(await browser.$(`#lot-${LOT}`));
  await screenshot('second-vial');

  const outcome = await dose(booked[2]);
  assert.ok(outcome.ok, `the waiting resident is dosed: ${outcome.text ?? ''}`);
});

test('the forecast shows doses left over, the standby list is called and a leftover dose given', async () => {
  await stockScreen();
  await browser.waitUntil(async () => (await vialRows()).some((v) => v.given === '1/6'), {
    timeout: 15000,
    timeoutMsg: 'the waiting resident’s dose is drawn from the new vial',
  });
  const leftover = await browser.$('#forecast-leftover');
  await leftover.waitForDisplayed({ timeout: 10000 });
  const expected = Number(await leftover.getAttribute('data-doses'));
  assert.ok(expected > 0, `doses are expected to be left at close (${expected})`);
  const list = await browser.$('#standby');
  await show(await browser.$('#forecast'));
  await screenshot('forecast');

  const [first, second] = standby;
  const rowOf = (r) => browser.$(`//section[@id="standby"]//tr[td[contains(@class,"standby-name")][contains(., "${r.name}")]]`);
  await (await (await rowOf(first)).$('.call-not_reached')).click();
  await browser.waitUntil(async () => /不在/.test(await (await rowOf(first)).getText()), {
    timeout: 10000,
    timeoutMsg: 'the call is logged',
  });
  await (await (await rowOf(second)).$('.call-coming')).click();
  await browser.waitUntil(async () => /来場する/.test(await (await rowOf(second)).getText()), {
    timeout: 10000,
    timeoutMsg: 'the call is logged',
  });
  await show(list);
  await screenshot('standby-called');

  await checkIn(second);
  const outcome = await dose(second);
  assert.ok(outcome.ok, `the standby resident is dosed: ${outcome.text ?? ''}`);
  await stockScreen();
  await browser.waitUntil(async () => !(await (await rowOf(second)).isExisting()), {
    timeout: 15000,
    timeoutMsg: 'a resident dosed today leaves the standby list',
  });
});

test('the day closes balanced', async () => {
  await stockScreen();
  const close = await browser.$('#close-out');
  await show(close);
  await screenshot('close-form');
  await (await browser.$('#close-day')).click();
  const done = await browser.$('#stock-notice');
  await browser.waitUntil(async () => (await done.isExisting()) && /締めました/.test(await done.getText()), {
    timeout: 10000,
    timeoutMsg: 'the day is closed',
  });
  assert.match(await done.getText(), /廃棄 4回分、在庫 0本/, 'the 4 doses left in the open vial are waste at close');
  await show(await browser.$('#manager'));
  await screenshot('closed');

  // The day's figures as HQ reports them: 2 vials (12 doses) = 4 given + 8 wasted.
  const csv = hq(afternoon, 'stock', 'report', '--from', day).trim().split(/\r\n/);
  assert.equal(csv.length, 2, csv.join('\n'));
  assert.equal(csv[1], `${day},V01,comirnaty,2,4,8,0,0,0`);
});

/** Chooses `text` as the logger file in the manager's form (a File built in the page, as a picker gives it). */
async function chooseLoggerFile(text, name) {
  await browser.execute(
    (content, fileName) => {
      const input = document.querySelector('#logger-file');
      const data = new DataTransfer();
      data.items.add(new File([content], fileName, { type: 'text/csv' }));
      input.files = data.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    },
    text,
    name,
  );
}

/** An Elitech RC-5 export (ElitechLog's CSV) of one night in the fridge, a reading every 10 minutes. */
function elitechNight(temps, badRow) {
  const rows = temps.map((t, i) => `${i + 1},${day} 0${Math.floor(i / 6)}:${String((i % 6) * 10).padStart(2, '0')}:00,${t.toFixed(1)}`);
  if (badRow !== undefined) rows.splice(badRow, 0, `${badRow + 1},${day} 25:61:00,4.9`);
  return `Device Name,RC-5\r\nSerial Number,EF21050017\r\n\r\nNo.,Time,Temperature(°C)\r\n${rows.join('\r\n')}\r\n`;
}

test('three nights of the fridge logger through the form: a broken file, a clean night, a warm one', async () => {
  await stockScreen();
  await fill('#stock-lot', LOT);
  const result = await browser.$('#logger-result');
  const error = await browser.$('#stock-error');

  // A file with an impossible time on its 7th line (header on line 4): refused with the line, nothing recorded.
  await chooseLoggerFile(elitechNight([4.8, 5.0, 5.1, 5.0, 4.9], 2), 'night1.csv');
  await (await browser.$('#logger-import')).click();
  await browser.waitUntil(async () => await error.isExisting(), { timeout: 10000, timeoutMsg: 'the broken file is not refused' });
  assert.match(await error.getText(), /7行目/, 'the refusal names the file line');
  await browser.pause(1500); // the screen's refresh after the action must not wipe the refusal
  assert.ok(await error.isExisting(), 'the refusal stays on screen after the refresh');
  assert.ok(!(await result.isExisting()), 'a refused file shows no result');
  await show(error, 'center');
  await screenshot('logger-refused');

  // A clean night: 4.6–5.4 °C.
  await chooseLoggerFile(elitechNight([4.8, 5.0, 5.4, 5.1, 4.6, 4.9, 5.0, 5.2]), 'night2.csv');
  await (await browser.$('#logger-import')).click();
  await browser.waitUntil(async () => (await result.isExisting()) && (await result.getAttribute('data-excursions')) === '0', {
    timeout: 10000,
    timeoutMsg: 'the clean night shows no result',
  });
  assert.ok(!(await error.isExisting()), 'the earlier refusal is gone');
  assert.match(await result.getText(), /8件/, 'eight readings');
  assert.match(await result.getText(), /温度逸脱はありません/);
  await show(result, 'center');
  await screenshot('logger-clean');

  // A warm night: the door left open, 8.6–11.2 °C for 20 minutes — the lot is quarantined.
  await chooseLoggerFile(elitechNight([4.8, 5.0, 5.1, 6.9, 8.6, 11.2, 9.4, 7.8, 5.6, 5.2]), 'night3.csv');
  await (await browser.$('#logger-import')).click();
  await browser.waitUntil(async () => (await result.isExisting()) && (await result.getAttribute('data-excursions')) === '1', {
    timeout: 10000,
    timeoutMsg: 'the warm night shows no excursion',
  });
  assert.match(await result.getText(), new RegExp(`ロット${LOT}を使用停止にしました`));
  await show(result, 'center');
  await screenshot('logger-excursion');

  // The quarantine is in the ledger: the same file sent again finds the lot already quarantined.
  await chooseLoggerFile(elitechNight([4.8, 5.0, 5.1, 6.9, 8.6, 11.2, 9.4, 7.8, 5.6, 5.2]), 'night3-again.csv');
  await (await browser.$('#logger-import')).click();
  await browser.waitUntil(async () => (await result.isExisting()) && new RegExp(`ロット${LOT}は既に使用停止です`).test(await result.getText()), {
    timeout: 10000,
    timeoutMsg: 'the second upload does not find the quarantine',
  });
});
