// What this installation is: its ledger, the residents it holds, the venues, and its own venue
// and role once enrolled. Read when the window opens; replaced by what the setup actions answer.
import { api, toUserError, type SetupStatus, type UserError } from './ipc';

class InstallationStore {
  #status = $state<SetupStatus | null>(null);
  #fatal = $state<UserError | null>(null);

  /** Null until read. */
  get status(): SetupStatus | null {
    return this.#status;
  }

  /** Why the status could not be read when the window opened: nothing works without it. */
  get fatal(): UserError | null {
    return this.#fatal;
  }

  /** Reads the status when the window opens. */
  async load(): Promise<void> {
    try {
      this.#status = await api.setupStatus();
    } catch (e) {
      this.#fatal = toUserError(e);
    }
  }

  /** Takes the status a setup action answered (loading the demo city, enrolling). */
  set(status: SetupStatus): void {
    this.#status = status;
  }
}

export const installation = new InstallationStore();
