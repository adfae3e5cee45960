import { describe, expect, it } from 'vitest';
import { addDays, bandLevel, bandsOfDay, grid, parseVials, shiftText, slotText, venueFormProblem } from './planning';
import type { CalendarBand, CalendarView, DaySupply } from './ipc/generated/types';

function band(id: number, venue: string, date: string, booked: number, capacity: number, closed = false): CalendarBand {
  return { id, venue_code: venue, date, start: '09:00', end: '09:30', capacity, booked, closed, past: false };
}

const venue = (code: string, name: string) => ({
  id: 1,
  venue: { code, name, address: '', location: { lat: 35, lon: 135 } },
  kind: null,
});

describe('the planning calendar', () => {
  it('tells a closed, over-full, full and open band apart', () => {
    expect(bandLevel(band(1, 'V01', '2021-05-17', 3, 5, true))).toBe('closed');
    expect(bandLevel(band(1, 'V01', '2021-05-17', 6, 5))).toBe('over');
    expect(bandLevel(band(1, 'V01', '2021-05-17', 5, 5))).toBe('full');
    expect(bandLevel(band(1, 'V01', '2021-05-17', 4, 5))).toBe('room');
  });

  it('lays bands out as venues by days, a day cut when all its bands are closed', () => {
    const view: CalendarView = {
      venues: [venue('C01', 'クリニック'), venue('V01', '会館')],
      days: ['2021-05-17', '2021-05-18'],
      bands: [
        band(1, 'V01', '2021-05-17', 3, 5),
        band(2, 'V01', '2021-05-17', 2, 5, true),
        band(3, 'C01', '2021-05-18', 1, 6, true),
      ],
      supply: [],
    };
    const rows = grid(view);
    expect(rows.map((r) => r.venue)).toEqual(['C01', 'V01']);
    const cells = (i: number) => rows[i]?.cells ?? [];
    expect(cells(0)[0]?.bands).toEqual([]);
    expect(cells(0)[0]?.cut).toBe(false);
    expect(cells(0)[1]?.cut).toBe(true);
    expect(cells(1)[0]).toMatchObject({ booked: 5, capacity: 5, cut: false });
  });

  it("puts each venue day's delivery in its cell, none where HQ entered none", () => {
    const delivery: DaySupply = {
      venue_code: 'V01',
      date: '2021-05-18',
      product: 'comirnaty',
      vials: 2,
      doses: 12,
      booked: 14,
      over: 2,
      past: false,
    };
    const view: CalendarView = {
      venues: [venue('V01', '会館')],
      days: ['2021-05-17', '2021-05-18'],
      bands: [band(1, 'V01', '2021-05-17', 3, 5), band(2, 'V01', '2021-05-18', 14, 20)],
      supply: [delivery],
    };
    const cells = grid(view)[0]?.cells ?? [];
    expect(cells[0]?.supply).toBeNull();
    expect(cells[1]?.supply).toEqual(delivery);
  });

  it('reads the vials typed for a delivery, full-width digits too', () => {
    expect(parseVials('12')).toBe(12);
    expect(parseVials(' 0 ')).toBe(0);
    expect(parseVials('１２')).toBe(12);
    expect(parseVials('10000')).toBe(10000);
    expect(parseVials('10001')).toBeNull();
    expect(parseVials('')).toBeNull();
    expect(parseVials('-1')).toBeNull();
    expect(parseVials('1.5')).toBeNull();
    expect(parseVials('six')).toBeNull();
  });

  it('writes moves as people read them', () => {
    expect(shiftText(3)).toBe('+3');
    expect(shiftText(-1)).toBe('-1');
    expect(shiftText(0)).toBe('±0');
    expect(shiftText(null)).toBe('');
    const s = { band_id: 1, venue_code: 'V01', venue_name: '会館', date: '2021-05-17', start: '09:00', end: '09:30' };
    expect(slotText(s)).toBe('会館 2021-05-17 09:00–09:30');
    expect(slotText(null)).toBe('');
  });

  it('pages days across month ends', () => {
    expect(addDays('2021-05-31', 1)).toBe('2021-06-01');
    expect(addDays('2021-05-17', 7)).toBe('2021-05-24');
  });
});

describe('the HQ forms', () => {
  it('lays out a day of back-to-back bands', () => {
    expect(bandsOfDay('9:00', 30, 3, 60)).toEqual([
      { start: '09:00', end: '09:30', capacity: 60 },
      { start: '09:30', end: '10:00', capacity: 60 },
      { start: '10:00', end: '10:30', capacity: 60 },
    ]);
    expect(bandsOfDay('13:30', 45, 2, 20).map((b) => b.end)).toEqual(['14:15', '15:00']);
  });

  it('makes no day of a bad time, no band or one that runs past midnight', () => {
    expect(bandsOfDay('9時', 30, 3, 60)).toEqual([]);
    expect(bandsOfDay('25:00', 30, 3, 60)).toEqual([]);
    expect(bandsOfDay('09:00', 30, 0, 60)).toEqual([]);
    expect(bandsOfDay('09:00', 0, 3, 60)).toEqual([]);
    expect(bandsOfDay('23:00', 30, 3, 60)).toEqual([]);
    expect(bandsOfDay('23:00', 30, 2, 60)).toHaveLength(2);
  });

  it('says what a venue form lacks before it is sent', () => {
    const ok = { code: 'V07', name: '新会場', address: '舞鶴市北吸1044', lat: '35.47', lon: '135.39' };
    expect(venueFormProblem(ok)).toBeNull();
    expect(venueFormProblem({ ...ok, code: ' ' })).toBe('form_code_missing');
    expect(venueFormProblem({ ...ok, name: '' })).toBe('form_name_missing');
    expect(venueFormProblem({ ...ok, address: '' })).toBe('form_address_missing');
    expect(venueFormProblem({ ...ok, lat: '' })).toBe('form_coordinates_bad');
    expect(venueFormProblem({ ...ok, lon: 'east' })).toBe('form_coordinates_bad');
    expect(venueFormProblem({ ...ok, lat: '95' })).toBe('form_coordinates_bad');
  });
});
