// Staff sign-in at the kiosk (docs/audit.md): what the sign-in bar decides without the backend.
import type { Credential } from './ipc';

/** The tag a staff card's QR code starts with (`VAXSTAFF1.<code>.<secret>`). */
export const CARD_TAG = 'VAXSTAFF1.';

/** What the one code field holds: a scanned staff card, or a staff code typed with a PIN. */
export function credentialOf(code: string, pin: string): Credential {
  const text = code.trim();
  if (text.startsWith(CARD_TAG)) return { kind: 'card', payload: text };
  return { kind: 'pin', code: text, pin: pin.trim() };
}

/** Milliseconds until the kiosk locks itself, from the backend's `locks_at` (never negative). */
export function msUntil(locksAt: string, now: number): number {
  return Math.max(0, Date.parse(locksAt) - now);
}
