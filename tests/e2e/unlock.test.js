// End to end: the start of the day at a venue whose ledger is encrypted (issue 15,
// docs/encryption.md). The ledger is encrypted with `vaxhq encrypt`; the app opens on the
// unlock screen, a wrong passphrase is refused with a message and changes nothing, the right
// one opens the reception screen. Screenshots go to artifacts/e2e/unlock-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, screenshots, startApp, stopApp } from './support.js';

const vaxhq = binary('vaxhq');
const work = mkdtempSync(path.join(tmpdir(), 'vaxledger-unlock-'));
const ledger = path.join(work, 'desk.sqlite3');
const passphrase = '舞鶴 東会場 朝の合言葉';

let started;
let browser;
const shoot = screenshots('unlock-');

const hq = (...args) => execFileSync(vaxhq, ['--ledger', ledger, ...args], { encoding: 'utf8' });

before(async () => {
  // A small city, this installation at V01's reception, then encrypted in place.
  hq('demo', '--residents', '300');
  hq('enroll', '--venue', 'V01', '--role', 'reception');
  execFileSync(vaxhq, ['--ledger', ledger, 'encrypt'], {
    encoding: 'utf8',
    env: { ...process.env, VAXLEDGER_PASSPHRASE: passphrase },
  });
  started = await startApp({ port: 4540, nativePort: 4541, env: { VAXLEDGER_DB: ledger, VAXLEDGER_PRINT_OPEN: '0' } });
  browser = started.browser;
});

after(async () => {
  await stopApp(started);
});

test('the app starts on the unlock screen and refuses a wrong passphrase, changing nothing', async () => {
  const field = await browser.$('#unlock-passphrase');
  await field.waitForDisplayed({ timeout: 30000 });
  assert.match(await (await browser.$('#unlock-panel')).getText(), /台帳は暗号化されています/);
  assert.equal(await (await browser.$('#scan')).isExisting(), false, 'nothing of the desk before the passphrase');
  await shoot(browser, 'locked');
  const before = readFileSync(ledger);
  await field.setValue('舞鶴 西会場 朝の合言葉');
  await (await browser.$('#unlock-submit')).click();
  const error = await browser.$('#unlock-error');
  await error.waitForDisplayed({ timeout: 30000 });
  assert.match(await error.getText(), /パスフレーズまたは復旧コードが違います。台帳は変更されていません/);
  assert.equal(await field.getValue(), '', 'the field is cleared for the next try');
  assert.equal(await (await browser.$('#scan')).isExisting(), false, 'still locked');
  assert.ok(readFileSync(ledger).equals(before), 'the ledger file is unchanged');
  await shoot(browser, 'wrong-passphrase');
  await (await browser.$('#lang-toggle')).click();
  await browser.waitUntil(async () => /wrong passphrase or recovery code/.test(await error.getText()), {
    timeout: 5000,
    timeoutMsg: 'the English message',
  });
  await shoot(browser, 'wrong-passphrase-en');
  await (await browser.$('#lang-toggle')).click();
});

test('the venue passphrase opens the reception screen', async () => {
  const field = await browser.$('#unlock-passphrase');
  await field.setValue(passphrase);
  await (await browser.$('#unlock-submit')).click();
  const scan = await browser.$('#scan');
  await scan.waitForDisplayed({ timeout: 60000 });
  assert.match(await (await browser.$('#venue-name')).getText(), /受付/, 'enrolled at the reception');
  assert.equal(await (await browser.$('#unlock-panel')).isExisting(), false);
  await shoot(browser, 'reception');
});
