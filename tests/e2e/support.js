// Shared by the E2E files: where the binaries are, starting and stopping the app under
// tauri-driver, screenshots.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import readline from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { remote } from 'webdriverio';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Where cargo put the binaries: $CARGO_TARGET_DIR when set (a shared build directory).
const target = process.env.CARGO_TARGET_DIR ? path.resolve(root, process.env.CARGO_TARGET_DIR) : path.join(root, 'target');

/** A debug binary of the workspace (`vaxledger`, `vaxhq`, `vaxsync`). */
export const binary = (name) => path.join(target, 'debug', name);

const shots = path.join(root, 'artifacts/e2e');

/** Saves numbered screenshots as artifacts/e2e/<prefix>NN-<name>.png. */
export function screenshots(prefix) {
  mkdirSync(shots, { recursive: true });
  let shot = 0;
  return async (browser, name) => {
    shot += 1;
    await browser.saveScreenshot(path.join(shots, `${prefix}${String(shot).padStart(2, '0')}-${name}.png`));
  };
}

/** The date in Japan at `at` (now by default), as the app counts days. */
export function todayJst(at = new Date()) {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Tokyo' }).format(at);
}

/**
 * The clock a whole test file pins (VAXLEDGER_NOW) for the CLI and the app: the instant the
 * file starts. A run crossing midnight in Japan then keeps one day — the demo's campaign
 * starting "today", the bookings read for it and the kiosk's "today" agree. The instant is in
 * the past for a server's real clock, so no op is refused as ahead of it.
 */
export function pinnedClock() {
  const at = new Date();
  return { now: at.toISOString(), today: todayJst(at) };
}

async function waitForDriver(port) {
  for (let i = 0; i < 100; i += 1) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/status`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('tauri-driver did not start');
}

/**
 * Starts the app in a real window through tauri-driver on `port` (and `nativePort` for
 * WebKitWebDriver), with `env` added to the environment. Returns `{ driver, browser }`.
 */
export async function startApp({ port, nativePort, env }) {
  const args = ['--port', String(port)];
  if (nativePort) args.push('--native-port', String(nativePort));
  // Its own process group, so that stopApp reaches the app too.
  const driver = spawn('tauri-driver', args, {
    detached: true,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitForDriver(port);
  const browser = await remote({
    hostname: '127.0.0.1',
    port,
    logLevel: 'warn',
    capabilities: {
      'tauri:options': { application: binary('vaxledger') },
      'wdio:enforceWebDriverClassic': true,
    },
  });
  return { driver, browser };
}

/**
 * Ends the session and stops tauri-driver and everything it started (WebKitWebDriver, the
 * app). SIGTERM first — tauri-driver stops WebKitWebDriver only on SIGTERM — then SIGKILL to the
 * whole group: a leftover app would hold the test runner's output pipe open and the run would
 * never end.
 */
export async function stopApp(started) {
  await started?.browser?.deleteSession().catch(() => {});
  const pid = started?.driver?.pid;
  if (!pid) return;
  for (const signal of ['SIGTERM', 'SIGKILL']) {
    try {
      process.kill(-pid, signal);
    } catch {
      return; // the group is gone
    }
    // Half a second to stop cleanly before the next, harder signal.
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Starts a real `vaxsync` server on a free loopback port over `db`; resolves with the process
 * and its URL once it says where it listens. The caller stops it (`server.kill()`).
 */
export async function startServer(db) {
  const server = spawn(binary('vaxsync'), ['serve', '--db', db, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const first = await new Promise((resolve, reject) => {
    readline.createInterface({ input: server.stdout }).once('line', resolve);
    server.once('exit', (code) => reject(new Error(`vaxsync exited with ${code}`)));
  });
  return { server, url: /listening on (\S+)/.exec(first)[1] };
}
