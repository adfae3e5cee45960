import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The Tauri event bridge, replaced: `emit` calls the handlers listening to a name.
const bridge = vi.hoisted(() => {
  const handlers = new Map<string, Set<() => void>>();
  return {
    handlers,
    fail: false,
    emit(name: string) {
      for (const h of handlers.get(name) ?? []) h();
    },
  };
});
vi.mock('@tauri-apps/api/event', () => ({
  listen: async (name: string, handler: () => void) => {
    if (bridge.fail) throw new Error('not inside Tauri');
    const set = bridge.handlers.get(name) ?? new Set();
    set.add(handler);
    bridge.handlers.set(name, set);
    return async () => {
      set.delete(handler);
    };
  },
}));

import { LEDGER_CHANGED, Poller } from './poll';

/** A loader whose calls stay in flight until released, counting how many overlap. */
function gate() {
  const pending: (() => void)[] = [];
  let running = 0;
  const stats = { calls: 0, maxRunning: 0 };
  const load = () => {
    stats.calls += 1;
    running += 1;
    stats.maxRunning = Math.max(stats.maxRunning, running);
    return new Promise<void>((resolve) =>
      pending.push(() => {
        running -= 1;
        resolve();
      }),
    );
  };
  const releaseOne = async () => {
    pending.shift()?.();
    await vi.advanceTimersByTimeAsync(0);
  };
  return { load, stats, releaseOne, pending };
}

beforeEach(() => {
  vi.useFakeTimers();
  bridge.handlers.clear();
  bridge.fail = false;
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Poller', () => {
  it('loads at start, then every N ms counted from the end of the previous load', async () => {
    const g = gate();
    const p = new Poller(g.load, { every: 1000 });
    p.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(g.stats.calls).toBe(1);
    // A slow load: no timer runs while it is in flight.
    await vi.advanceTimersByTimeAsync(5000);
    expect(g.stats.calls).toBe(1);
    await g.releaseOne();
    await vi.advanceTimersByTimeAsync(999);
    expect(g.stats.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(g.stats.calls).toBe(2);
    p.stop();
  });

  it('never runs two loads at once; a refresh during a load runs once right after it', async () => {
    const g = gate();
    const p = new Poller(g.load, { every: 1000 });
    p.start();
    await vi.advanceTimersByTimeAsync(0);
    let fresh = false;
    void p.refresh().then(() => (fresh = true));
    void p.refresh();
    void p.refresh();
    await vi.advanceTimersByTimeAsync(0);
    expect(g.stats.calls).toBe(1);
    await g.releaseOne();
    expect(g.stats.calls).toBe(2);
    expect(fresh).toBe(false);
    await g.releaseOne();
    expect(fresh).toBe(true);
    expect(g.stats.calls).toBe(2);
    expect(g.stats.maxRunning).toBe(1);
    p.stop();
  });

  it('stops its timer on stop(), and refresh() still loads on demand', async () => {
    const load = vi.fn();
    const p = new Poller(load, { every: 100 });
    p.start();
    await vi.advanceTimersByTimeAsync(350);
    expect(load).toHaveBeenCalledTimes(4);
    p.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(load).toHaveBeenCalledTimes(4);
    await p.refresh();
    expect(load).toHaveBeenCalledTimes(5);
    await vi.advanceTimersByTimeAsync(1000);
    expect(load).toHaveBeenCalledTimes(5);
  });

  it('may be stopped by its own loader', async () => {
    let n = 0;
    const p: Poller = new Poller(() => {
      n += 1;
      if (n === 2) p.stop();
    }, { every: 100 });
    p.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(n).toBe(2);
    expect(p.active).toBe(false);
  });

  it('keeps going when the loader throws', async () => {
    const load = vi.fn().mockRejectedValueOnce(new Error('offline')).mockResolvedValue(undefined);
    const p = new Poller(load, { every: 100 });
    p.start();
    await vi.advanceTimersByTimeAsync(150);
    expect(load).toHaveBeenCalledTimes(2);
    p.stop();
  });

  it('loads when the ledger-changed event arrives, and no longer once stopped', async () => {
    const load = vi.fn();
    const p = new Poller(load, { every: 60000, events: [LEDGER_CHANGED] });
    p.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(load).toHaveBeenCalledTimes(1);
    bridge.emit(LEDGER_CHANGED);
    await vi.advanceTimersByTimeAsync(0);
    expect(load).toHaveBeenCalledTimes(2);
    p.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(bridge.handlers.get(LEDGER_CHANGED)?.size).toBe(0);
    bridge.emit(LEDGER_CHANGED);
    await vi.advanceTimersByTimeAsync(0);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('drops a subscription that completes after stop()', async () => {
    const p = new Poller(vi.fn(), { events: [LEDGER_CHANGED] });
    p.start();
    p.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(bridge.handlers.get(LEDGER_CHANGED)?.size ?? 0).toBe(0);
  });

  it('works on its timer alone outside Tauri', async () => {
    bridge.fail = true;
    const load = vi.fn();
    const p = new Poller(load, { every: 100, events: [LEDGER_CHANGED] });
    p.start();
    await vi.advanceTimersByTimeAsync(250);
    expect(load).toHaveBeenCalledTimes(3);
    p.stop();
  });
});
