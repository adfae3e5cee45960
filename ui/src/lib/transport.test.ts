import { describe, expect, it } from 'vitest';
import { moveTargets, projector, runPath, tripOf, vehicleColour } from './transport';
import type { BusRun } from './ipc';

const run = (direction: 'to_venue' | 'from_venue'): BusRun => ({
  vehicle: '1号車',
  direction,
  band_start: '10:00',
  band_end: '10:30',
  observation_minutes: 0,
  run: 1,
  leave_garage: '09:00',
  at_venue: '09:50',
  back_at_garage: '10:10',
  seats_used: 2,
  seats: 8,
  km: 12.5,
  stops: [
    { resident_id: 1, rider: 'a', name: 'A', name_kana: 'A', address: '', phone: null, pickup_point: null, wheelchair: false, at: { lat: 35.45, lon: 135.33 }, stop_order: 1, at_door: '09:10', unserved_ja: null },
    { resident_id: 2, rider: 'b', name: 'B', name_kana: 'B', address: '', phone: null, pickup_point: null, wheelchair: true, at: null, stop_order: 2, at_door: '09:20', unserved_ja: null },
  ],
});

describe('projector', () => {
  it('keeps every place inside the box with north up', () => {
    const south = { lat: 35.4, lon: 135.3 };
    const north = { lat: 35.5, lon: 135.5 };
    const places = [south, north];
    const p = projector(places, 400, 300, 10);
    for (const c of places) {
      const { x, y } = p(c);
      expect(x).toBeGreaterThanOrEqual(10 - 1e-9);
      expect(x).toBeLessThanOrEqual(390 + 1e-9);
      expect(y).toBeGreaterThanOrEqual(10 - 1e-9);
      expect(y).toBeLessThanOrEqual(290 + 1e-9);
    }
    expect(p(north).y).toBeLessThan(p(south).y);
    expect(p(north).x).toBeGreaterThan(p(south).x);
  });

  it('puts a single place in the middle and does not divide by zero', () => {
    const p = projector([{ lat: 35, lon: 135 }], 200, 100);
    expect(p({ lat: 35, lon: 135 })).toEqual({ x: 100, y: 50 });
  });
});

describe('runPath', () => {
  const garage = { lat: 35.44, lon: 135.3 };
  const venue = { lat: 35.47, lon: 135.38 };
  it('goes garage, stops, venue, garage to the venue and skips stops without a place', () => {
    expect(runPath(run('to_venue'), garage, venue)).toEqual([garage, { lat: 35.45, lon: 135.33 }, venue, garage]);
  });
  it('starts at the venue on the way home', () => {
    expect(runPath(run('from_venue'), garage, venue)).toEqual([garage, venue, { lat: 35.45, lon: 135.33 }, garage]);
  });
});

it('gives neighbouring vehicles different colours', () => {
  expect(vehicleColour(0)).not.toBe(vehicleColour(1));
  expect(vehicleColour(8)).toBe(vehicleColour(0));
});

describe('moveTargets', () => {
  it('offers the other trips of the same direction, full ones too', () => {
    const here = run('to_venue');
    const second = { ...run('to_venue'), run: 2 };
    const other = { ...run('to_venue'), vehicle: '2号車', seats_used: 8 };
    const home = run('from_venue');
    expect(moveTargets([here, second, other, home], here)).toEqual([second, other]);
    expect(tripOf(second)).toEqual({ direction: 'to_venue', band_start: '10:00', observation_minutes: 0, run: 2, vehicle: '1号車' });
  });
});
