// The venue manager's stock screen, in pure functions the component and the tests share.
import type { LotCount, LotRow, ManagerView, VialRow } from './ipc';

/** Time left on a clock, counting down: 5,400,000 ms → "1:30:00"; past → "0:00:00". */
export function hms(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Milliseconds left on a vial's clock `elapsedMs` after the view was loaded. */
export function vialLeftMs(vial: VialRow, elapsedMs: number): number {
  return Math.max(0, vial.seconds_left * 1000 - elapsedMs);
}

/** The colour class of a vial's clock as it counts down: the backend's colour, turned red once
 *  the clock has run out between two loads. */
export function vialColour(vial: VialRow, elapsedMs: number): 'green' | 'amber' | 'red' {
  return vialLeftMs(vial, elapsedMs) === 0 ? 'red' : vial.colour;
}

/** Sealed vials of a lot in the fridge. */
export function fridgeVials(lot: LotRow): number {
  return lot.fridge.reduce((n, b) => n + b.vials, 0);
}

/** The close-out form's first guess: what the ledger holds, which the manager corrects to
 *  what they counted. Fridge vials whose clock has run out are thrown away at close, so they
 *  are not counted. */
export function ledgerCounts(view: ManagerView): LotCount[] {
  return view.lots.map((l) => ({
    product: l.product,
    lot: l.lot,
    frozen: l.frozen,
    fridge: l.fridge.filter((b) => b.use_by === null || b.use_by >= view.now.slice(0, 19)).reduce((n, b) => n + b.vials, 0),
  }));
}

/** Today's date in Japan (YYYY-MM-DD), the campaign's calendar. */
export function todayInJapan(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Tokyo' }).format(now);
}

/** `date` (YYYY-MM-DD) moved by `days`. */
export function addDaysIso(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
