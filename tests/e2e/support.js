// Shared by the E2E files.

/**
 * Stops tauri-driver and everything it started (WebKitWebDriver, the app under test). The driver
 * runs in its own process group (`detached: true`), so one signal to the group reaches the app
 * even when the driver's own shutdown leaves it behind — a leftover app would hold the test
 * runner's output pipe open and the run would never end.
 */
export function stopDriver(driver) {
  if (!driver?.pid) return;
  for (const signal of ['SIGTERM', 'SIGKILL']) {
    try {
      process.kill(-driver.pid, signal);
    } catch {
      return; // the group is gone
    }
    // Half a second to stop cleanly before the next, harder signal.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
}
