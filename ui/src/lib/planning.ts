// The HQ Planning screen's logic, kept out of the component so it can be tested: the calendar
// as a venue × day grid, how full a band is, and how a move is written.
import type { CalendarBand, CalendarView, DaySupply, Slot } from './ipc/generated/types';

/** How a band looks: closed, over its places, full, or with room. */
export type BandLevel = 'closed' | 'over' | 'full' | 'room';

export function bandLevel(b: Pick<CalendarBand, 'booked' | 'capacity' | 'closed'>): BandLevel {
  if (b.closed) return 'closed';
  if (b.booked > b.capacity) return 'over';
  if (b.booked === b.capacity) return 'full';
  return 'room';
}

/** One cell of the grid: a venue's bands on one day (empty when it has none). */
export interface DayCell {
  venue: string;
  date: string;
  bands: CalendarBand[];
  /** Every band of the day is closed (the day is cut). */
  cut: boolean;
  booked: number;
  capacity: number;
  /** HQ's delivery of the day; null when none is entered (the day is not limited). */
  supply: DaySupply | null;
}

/** The calendar as rows of venues (by code) and columns of days. */
export function grid(view: CalendarView): { venue: string; name: string; cells: DayCell[] }[] {
  return view.venues.map((v) => ({
    venue: v.venue.code,
    name: v.venue.name,
    cells: view.days.map((date) => {
      const bands = view.bands.filter((b) => b.venue_code === v.venue.code && b.date === date);
      return {
        venue: v.venue.code,
        date,
        bands,
        cut: bands.length > 0 && bands.every((b) => b.closed),
        booked: bands.reduce((n, b) => n + b.booked, 0),
        capacity: bands.reduce((n, b) => n + (b.closed ? 0 : b.capacity), 0),
        supply: view.supply.find((s) => s.venue_code === v.venue.code && s.date === date) ?? null,
      };
    }),
  }));
}

/** The most vials one venue day may receive (vax_sync::MAX_VIALS_PER_DAY). */
export const MAX_VIALS_PER_DAY = 10000;

/** The vials typed for a day's delivery, or null when they are not a whole number from 0 to
 * {@link MAX_VIALS_PER_DAY} (full-width digits as a Japanese keyboard types them are read). */
export function parseVials(text: string): number | null {
  const folded = text.trim().replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  if (!/^\d+$/.test(folded)) return null;
  const n = Number(folded);
  return n <= MAX_VIALS_PER_DAY ? n : null;
}

/** A band as a person reads it: `V01 2021-05-17 09:00–09:30`. */
export function slotText(s: Slot | null): string {
  return s === null ? '' : `${s.venue_name} ${s.date} ${s.start}–${s.end}`;
}

/** A date shift with its sign: `+3`, `-1`, `±0`, or empty when unknown. */
export function shiftText(days: number | null): string {
  if (days === null) return '';
  if (days === 0) return '±0';
  return days > 0 ? `+${days}` : String(days);
}

/** The day after `date` plus `n` days (YYYY-MM-DD), for paging the calendar. */
export function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** A band of a day to add, as the "Add a day" form edits it. */
export interface BandRow {
  start: string;
  end: string;
  capacity: number;
}

function minutesOf(hm: string): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hm.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  return h < 24 && min < 60 ? h * 60 + min : null;
}

function hmOf(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * `count` back-to-back bands of `length` minutes from `first` (`HH:MM`), each with
 * `capacity` places: the usual shape of a venue day (fourteen half-hour bands from 9:00).
 * Empty when the inputs cannot make a day (bad time, no band, past midnight).
 */
export function bandsOfDay(first: string, length: number, count: number, capacity: number): BandRow[] {
  const start = minutesOf(first);
  if (start === null || !Number.isInteger(length) || !Number.isInteger(count)) return [];
  if (length <= 0 || count <= 0 || start + length * count > 24 * 60) return [];
  return Array.from({ length: count }, (_, i) => ({
    start: hmOf(start + i * length),
    end: hmOf(start + (i + 1) * length),
    capacity,
  }));
}

/** Why a venue form cannot be sent yet (a text key), or null when it can. */
export function venueFormProblem(f: { code: string; name: string; address: string; lat: string; lon: string }):
  | 'form_code_missing'
  | 'form_name_missing'
  | 'form_address_missing'
  | 'form_coordinates_bad'
  | null {
  if (f.code.trim() === '') return 'form_code_missing';
  if (f.name.trim() === '') return 'form_name_missing';
  if (f.address.trim() === '') return 'form_address_missing';
  const lat = Number(f.lat);
  const lon = Number(f.lon);
  if (f.lat.trim() === '' || f.lon.trim() === '' || !Number.isFinite(lat) || !Number.isFinite(lon)) return 'form_coordinates_bad';
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return 'form_coordinates_bad';
  return null;
}
