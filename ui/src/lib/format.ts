// Times, dates and amounts as the screens show them. The backend sends instants in RFC 3339 at
// the campaign's offset (+09:00, JST), dates as YYYY-MM-DD and times of day as HH:MM:SS. A desk
// shows the wall-clock time written in the instant, whatever zone the machine is set to: the
// ledger's clock is Japan's. Text that is not in the expected form is shown as it came.

const INSTANT = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/;
const TIME = /^(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?$/;

/** "2021-05-17T09:06:30+09:00" → "09:06". */
export function clockTime(instant: string): string {
  return INSTANT.exec(instant)?.[2] ?? instant;
}

/** "2021-05-17T09:06:30+09:00" → "2021-05-17 09:06". */
export function dateTime(instant: string): string {
  const m = INSTANT.exec(instant);
  return m ? `${m[1]} ${m[2]}` : instant;
}

/** "09:30:00" → "09:30". */
export function timeOfDay(time: string): string {
  return TIME.exec(time)?.[1] ?? time;
}

/** A time band: "09:00:00", "09:30:00" → "09:00–09:30". */
export function timeRange(start: string, end: string): string {
  return `${timeOfDay(start)}–${timeOfDay(end)}`;
}

/** Time left, counting down by the second: 125,000 ms → "2:05"; 1 ms → "0:01". */
export function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Percent done of a progress bar, 0–100, safe for a total of 0. */
export function percent(done: number, total: number): number {
  if (total <= 0) return 0;
  return Math.min(100, Math.max(0, Math.round((done * 100) / total)));
}
