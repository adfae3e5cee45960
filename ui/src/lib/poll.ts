// Keeps what a screen shows fresh: a loader run every N ms, one call at a time, again at once
// when the backend says the ledger changed, and whenever the screen asks (after a change of its
// own). `poll` ties one to the component that creates it; `Poller` is the same without a
// component (stores, the camera).
import { onMount } from 'svelte';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

/** Emitted by the backend, without a payload, when a background sync brought in or sent
 *  changes: whatever shows ledger data reloads it. */
export const LEDGER_CHANGED = 'ledger-changed';

export type PollOptions = {
  /** Milliseconds from the end of one load to the start of the next; none: no timer. */
  every?: number;
  /** Tauri events that trigger a load at once. */
  events?: readonly string[];
};

export class Poller {
  readonly #load: () => unknown;
  readonly #every: number | undefined;
  readonly #events: readonly string[];
  #active = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #unlisten: UnlistenFn[] = [];
  // Bumped by stop(), so that a subscription that completes after it is dropped.
  #generation = 0;
  // The loads in flight, and whether another one was asked for meanwhile.
  #loading: Promise<void> | null = null;
  #wanted = false;

  /** `load` reports its own errors; whatever it throws is ignored. */
  constructor(load: () => unknown, { every, events = [] }: PollOptions) {
    this.#load = load;
    this.#every = every;
    this.#events = events;
  }

  get active(): boolean {
    return this.#active;
  }

  /** Loads now, then on the timer and on the events, until stop(). */
  start(): void {
    if (this.#active) return;
    this.#active = true;
    const generation = ++this.#generation;
    for (const event of this.#events) {
      const subscribed = (async () => listen(event, () => void this.refresh()))();
      subscribed.then(
        (unlisten) => {
          if (generation === this.#generation) this.#unlisten.push(unlisten);
          else release(unlisten);
        },
        // Not inside Tauri (vitest, a plain browser): the timer alone keeps the data fresh.
        () => undefined,
      );
    }
    void this.refresh();
  }

  /** No more timed or event-driven loads; a load in flight finishes. */
  stop(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#generation += 1;
    this.#clearTimer();
    for (const unlisten of this.#unlisten.splice(0)) release(unlisten);
  }

  /** Loads now — or, when a load is in flight, once more right after it — and resolves when
   *  what was asked is loaded. Never runs two loads at once; calls made while one is in flight
   *  share the next. Works whether or not the poller is started. */
  refresh(): Promise<void> {
    this.#wanted = true;
    this.#loading ??= this.#drain();
    return this.#loading;
  }

  async #drain(): Promise<void> {
    this.#clearTimer();
    try {
      // Let the caller's synchronous code (and refresh() calls in it) finish first.
      await Promise.resolve();
      while (this.#wanted) {
        this.#wanted = false;
        try {
          await this.#load();
        } catch {
          // The loader shows its own errors.
        }
      }
    } finally {
      this.#loading = null;
      this.#schedule();
    }
  }

  #schedule(): void {
    if (!this.#active || this.#every === undefined || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.refresh();
    }, this.#every);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

// Tauri's unlisten is asynchronous; a failure (the window closing) changes nothing here.
function release(unlisten: UnlistenFn): void {
  try {
    void Promise.resolve(unlisten() as unknown).catch(() => undefined);
  } catch {
    // As above.
  }
}

/** A poller for the component being initialised: started when it mounts (unless `paused`,
 *  then by start()), stopped when it is destroyed. */
export function poll(load: () => unknown, options: PollOptions & { paused?: boolean }): Poller {
  const poller = new Poller(load, options);
  onMount(() => {
    if (!options.paused) poller.start();
    return () => poller.stop();
  });
  return poller;
}
