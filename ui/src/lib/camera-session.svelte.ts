// The reception camera, switched on and off by the desk: started in the backend, polled a few
// times a second for the live preview and for the codes its background thread decoded, stopped
// on request, when it ends by itself, or when the desk leaves the screen. What a code read means
// for the desk is lib/camera.ts; what the desk shows is Reception.svelte.
import { api, toUserError, type UserError } from './ipc';
import { beep, cameraOutcome, type CameraOutcome } from './camera';
import { Poller } from './poll';

export type VoucherRead = Extract<CameraOutcome, { kind: 'found' }>;

const POLL_MS = 125;
const FLASH_MS = 700;

export class CameraSession {
  #on = $state(false);
  #starting = $state(false);
  #error = $state<UserError | null>(null);
  #problem = $state<UserError | null>(null);
  #frames = $state(0);
  #reads = $state(0);
  #flash = $state(false);

  readonly #onVoucher: (read: VoucherRead) => void;
  readonly #poller = new Poller(() => this.#poll(), { every: POLL_MS });
  #flashTimer: ReturnType<typeof setTimeout> | null = null;
  // The live view: each JPEG is decoded off-screen and drawn on a canvas, which keeps the last
  // frame until the next one is ready (an <img> whose src changes 7 times a second can show
  // nothing at all while it decodes). Frames that arrive while one decodes: only the latest.
  #canvas: HTMLCanvasElement | null = null;
  #drawing = false;
  #nextFrame: string | null = null;

  /** `onVoucher` shows the cards of each voucher read, as the scan field would. */
  constructor(onVoucher: (read: VoucherRead) => void) {
    this.#onVoucher = onVoucher;
  }

  /** The camera runs. */
  get on(): boolean {
    return this.#on;
  }
  /** Switching on is under way. */
  get starting(): boolean {
    return this.#starting;
  }
  /** Why the camera could not start, or why it stopped by itself (NO_CAMERA, …). */
  get error(): UserError | null {
    return this.#error;
  }
  /** The last code read that was not a voucher, or whose lookup failed. */
  get problem(): UserError | null {
    return this.#problem;
  }
  /** Preview frames drawn since switched on. */
  get frames(): number {
    return this.#frames;
  }
  /** Vouchers read since the desk opened. */
  get reads(): number {
    return this.#reads;
  }
  /** A voucher was just read: the preview flashes green. */
  get flash(): boolean {
    return this.#flash;
  }

  /** For `{@attach camera.preview}` on the preview canvas. */
  readonly preview = (canvas: HTMLCanvasElement) => {
    this.#canvas = canvas;
    return () => {
      if (this.#canvas === canvas) this.#canvas = null;
    };
  };

  async toggle(): Promise<void> {
    if (this.#on) await this.stop();
    else await this.start();
  }

  async start(): Promise<void> {
    this.#error = null;
    this.#problem = null;
    this.#starting = true;
    try {
      await api.cameraStart();
      this.#on = true;
      this.#poller.start();
    } catch (e) {
      this.#error = toUserError(e);
    } finally {
      this.#starting = false;
    }
  }

  async stop(): Promise<void> {
    this.#halt();
    try {
      await api.cameraStop();
    } catch (e) {
      this.#error = toUserError(e);
    }
  }

  /** Leaving the screen releases the camera. */
  release(): void {
    if (this.#on) void this.stop();
    if (this.#flashTimer) clearTimeout(this.#flashTimer);
    this.#flashTimer = null;
  }

  #halt(): void {
    this.#poller.stop();
    this.#on = false;
    this.#frames = 0;
    this.#nextFrame = null;
  }

  async #poll(): Promise<void> {
    try {
      const update = await api.cameraPoll();
      if (update.preview) void this.#draw(update.preview);
      for (const read of update.reads) this.#read(cameraOutcome(read));
      if (update.stopped) {
        this.#error = toUserError(update.stopped);
        this.#halt();
      } else if (!update.running) {
        this.#halt();
      }
    } catch (e) {
      this.#error = toUserError(e);
      this.#halt();
    }
  }

  #read(outcome: CameraOutcome): void {
    if (outcome.kind === 'found') {
      this.#problem = null;
      this.#reads += 1;
      beep('ok');
      this.#flash = true;
      if (this.#flashTimer) clearTimeout(this.#flashTimer);
      this.#flashTimer = setTimeout(() => (this.#flash = false), FLASH_MS);
      this.#onVoucher(outcome);
    } else {
      this.#problem = outcome.error;
      beep('problem');
    }
  }

  async #draw(url: string): Promise<void> {
    if (this.#drawing) {
      this.#nextFrame = url;
      return;
    }
    this.#drawing = true;
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      const canvas = this.#canvas;
      const ctx = canvas?.getContext('2d');
      if (canvas && ctx) {
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        ctx.drawImage(img, 0, 0);
        this.#frames += 1;
      }
    } catch {
      // A frame that does not decode is skipped; the next one comes in a moment.
    } finally {
      this.#drawing = false;
    }
    const next = this.#nextFrame;
    this.#nextFrame = null;
    if (next && this.#on) void this.#draw(next);
  }
}
