import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushSync } from 'svelte';
import type { SyncRun, SyncStatus } from './ipc';

const backend = vi.hoisted(() => ({
  syncStatus: vi.fn<() => Promise<SyncStatus>>(),
  syncRun: vi.fn<() => Promise<SyncRun>>(),
}));
vi.mock('./ipc', async (original) => ({ ...(await original<typeof import('./ipc')>()), api: backend }));

import { syncStatus } from './sync-status.svelte';

const status = { configured: true, ops_waiting: 0, alerts: 0, freshness: 'green' } as SyncStatus;

beforeEach(() => {
  vi.useFakeTimers();
  backend.syncStatus.mockReset().mockResolvedValue(status);
  backend.syncRun.mockReset().mockResolvedValue({ sent_ops: 1, received_ops: 0, round_trips: 1, alerts: 0, quarantined: 0, snapshot_ops: 0, snapshot_refused: null });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('syncStatus', () => {
  it('is polled while something shows it, and not after', async () => {
    const shown = $effect.root(() => {
      $effect(() => {
        void syncStatus.status;
      });
    });
    flushSync();
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.syncStatus).toHaveBeenCalledTimes(1);
    expect(syncStatus.status).toEqual(status);
    await vi.advanceTimersByTimeAsync(5000);
    expect(backend.syncStatus).toHaveBeenCalledTimes(2);

    shown();
    await vi.advanceTimersByTimeAsync(20000);
    expect(backend.syncStatus).toHaveBeenCalledTimes(2);
  });

  it('runs a sync on request, then reads the status; a failure shows until the next run', async () => {
    backend.syncRun.mockRejectedValueOnce({ code: 'SYNC_OFFLINE', message: 'offline', message_ja: 'オフライン', overridable: false });
    const run = syncStatus.syncNow();
    expect(syncStatus.busy).toBe(true);
    await run;
    expect(syncStatus.busy).toBe(false);
    expect(syncStatus.error?.code).toBe('SYNC_OFFLINE');
    expect(backend.syncStatus).toHaveBeenCalledTimes(1);
    await syncStatus.syncNow();
    expect(syncStatus.error).toBe(null);
  });
});
