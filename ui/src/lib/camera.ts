// What the reception screen does with a code the camera read. Pure, so vitest covers it.
import { UserError, type CameraRead, type DeskCard } from './ipc';

export type CameraOutcome =
  // A voucher: show the cards as the scan field would (`text`, the line read, searches them
  // again); beep and flash green.
  | { kind: 'found'; cards: DeskCard[]; text: string; opened: number | null }
  // Not a voucher, or the lookup failed: a red message, the scan field keeps working.
  | { kind: 'problem'; error: UserError };

export function cameraOutcome(read: CameraRead): CameraOutcome {
  switch (read.kind) {
    case 'voucher':
      return {
        kind: 'found',
        cards: read.cards,
        text: read.line,
        opened: read.cards.length === 1 ? read.cards[0]!.card.resident.id : null,
      };
    case 'not_a_voucher':
      return { kind: 'problem', error: new UserError('NOT_A_VOUCHER', read.message, read.message_ja) };
    case 'failed':
      return { kind: 'problem', error: new UserError(read.code, read.message, read.message_ja) };
  }
}

let audio: AudioContext | null = null;

/** A short beep through Web Audio: high for a voucher read, low for a problem. Silent on a
 *  machine without sound (the green flash and the message still show). */
export function beep(kind: 'ok' | 'problem'): void {
  try {
    audio ??= new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'sine';
    osc.frequency.value = kind === 'ok' ? 1760 : 330;
    gain.gain.value = 0.2;
    osc.connect(gain).connect(audio.destination);
    const now = audio.currentTime;
    osc.start(now);
    osc.stop(now + (kind === 'ok' ? 0.12 : 0.35));
  } catch {
    // No audio device or no Web Audio: nothing to do.
  }
}
