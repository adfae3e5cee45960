// Who is signed in at this kiosk, for the whole window: the sign-in bar shows it, and the
// screen locks itself (signs out) after the configured idle minutes without a touch or a key.
// The backend enforces the same limit on every action; this only makes the lock visible.
import { api, toUserError, type Credential, type StaffStatus, type UserError } from './ipc';
import { LEDGER_CHANGED, Poller } from './poll';
import { msUntil } from './staff';

class StaffSession {
  #status = $state<StaffStatus | null>(null);
  #error = $state<UserError | null>(null);
  #busy = $state(false);
  #lastActivity = Date.now();
  #idleTimer: ReturnType<typeof setInterval> | null = null;
  readonly #poller = new Poller(() => this.#load(), { every: 15000, events: [LEDGER_CHANGED] });

  get status(): StaffStatus | null {
    return this.#status;
  }
  get error(): UserError | null {
    return this.#error;
  }
  get busy(): boolean {
    return this.#busy;
  }

  /** Starts watching (the bar mounted); returns the stop function. */
  start(): () => void {
    this.#poller.start();
    const touch = () => (this.#lastActivity = Date.now());
    window.addEventListener('pointerdown', touch, true);
    window.addEventListener('keydown', touch, true);
    this.#idleTimer = setInterval(() => void this.#checkIdle(), 5000);
    return () => {
      this.#poller.stop();
      window.removeEventListener('pointerdown', touch, true);
      window.removeEventListener('keydown', touch, true);
      if (this.#idleTimer) clearInterval(this.#idleTimer);
    };
  }

  refresh(): Promise<void> {
    return this.#poller.refresh();
  }

  async signIn(credential: Credential): Promise<boolean> {
    this.#busy = true;
    this.#error = null;
    try {
      await api.staffSignIn(credential);
      this.#lastActivity = Date.now();
      await this.refresh();
      return true;
    } catch (e) {
      this.#error = toUserError(e);
      return false;
    } finally {
      this.#busy = false;
    }
  }

  async signOut(): Promise<void> {
    this.#error = null;
    try {
      await api.staffSignOut();
    } catch (e) {
      this.#error = toUserError(e);
    }
    await this.refresh();
  }

  async #load() {
    try {
      this.#status = await api.staffStatus();
    } catch (e) {
      this.#error = toUserError(e);
    }
  }

  async #checkIdle() {
    const s = this.#status;
    if (!s?.signed_in) return;
    const idleMs = s.idle_minutes * 60_000;
    const backendLocked = msUntil(s.signed_in.locks_at, Date.now()) === 0;
    if (Date.now() - this.#lastActivity >= idleMs || backendLocked) await this.signOut();
  }
}

export const staffSession = new StaffSession();
