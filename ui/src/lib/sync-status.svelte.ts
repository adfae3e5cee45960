// This device's replication status, one for the whole window: the badge on every screen shows
// it, and whatever changes what it counts (a sync run, a resolved conflict, enrolling with the
// server) refreshes it. Polled, and reloaded when a background sync changed the ledger, while
// something on screen shows it.
import { createSubscriber } from 'svelte/reactivity';
import { api, toUserError, type SyncStatus, type UserError } from './ipc';
import { LEDGER_CHANGED, Poller } from './poll';

class SyncStatusStore {
  #status = $state<SyncStatus | null>(null);
  #error = $state<UserError | null>(null);
  #busy = $state(false);
  readonly #poller = new Poller(() => this.#load(), { every: 5000, events: [LEDGER_CHANGED] });
  // Polls while at least one template (or effect) reads `status`.
  readonly #shown = createSubscriber(() => {
    this.#poller.start();
    return () => this.#poller.stop();
  });

  /** The last status read, null until the first answer. */
  get status(): SyncStatus | null {
    this.#shown();
    return this.#status;
  }

  /** Why the last status read or sync run failed; cleared by the next sync run. */
  get error(): UserError | null {
    return this.#error;
  }

  /** A sync run asked for by a person is under way. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Reads the status again; resolves once read. */
  refresh(): Promise<void> {
    return this.#poller.refresh();
  }

  /** Runs one sync now (the 今すぐ同期 button), then reads the status. */
  async syncNow(): Promise<void> {
    this.#busy = true;
    this.#error = null;
    try {
      await api.syncRun();
    } catch (e) {
      this.#error = toUserError(e);
    } finally {
      this.#busy = false;
    }
    await this.refresh();
  }

  async #load(): Promise<void> {
    try {
      this.#status = await api.syncStatus();
    } catch (e) {
      this.#error = toUserError(e);
    }
  }
}

export const syncStatus = new SyncStatusStore();
