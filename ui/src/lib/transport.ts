// Pure helpers of the transport screens: the offline route sketch (lon/lat on a plain
// background, no map tiles) and the bus list's counts.
import type { BusRun, Coordinates, TripRef } from './ipc';

export type Point = { x: number; y: number };

/** Projects places into a width×height box with a margin, keeping the map's aspect: an
 *  equirectangular projection around the places' mean latitude (a city is small enough). */
export function projector(
  places: readonly Coordinates[],
  width: number,
  height: number,
  margin = 16,
): (c: Coordinates) => Point {
  if (places.length === 0) return () => ({ x: width / 2, y: height / 2 });
  const lats = places.map((p) => p.lat);
  const lons = places.map((p) => p.lon);
  const meanLat = lats.reduce((a, b) => a + b, 0) / lats.length;
  const kx = Math.cos((meanLat * Math.PI) / 180);
  const minX = Math.min(...lons) * kx;
  const maxX = Math.max(...lons) * kx;
  const minY = Math.min(...lats);
  const maxY = Math.max(...lats);
  const spanX = Math.max(maxX - minX, 1e-6);
  const spanY = Math.max(maxY - minY, 1e-6);
  const scale = Math.min((width - 2 * margin) / spanX, (height - 2 * margin) / spanY);
  // Centred on the middle of the places, so that one place (or a line of them) sits in the
  // middle of the box.
  const midX = (minX + maxX) / 2;
  const midY = (minY + maxY) / 2;
  return (c) => ({
    x: width / 2 + (c.lon * kx - midX) * scale,
    // North up: larger latitudes nearer the top.
    y: height / 2 - (c.lat - midY) * scale,
  });
}

/** The polyline of one run: garage, its stops in order and the venue (to the venue), or
 *  the venue first (home). Stops without a place are left out. */
export function runPath(run: BusRun, garage: Coordinates | null, venue: Coordinates): Coordinates[] {
  const stops = run.stops.flatMap((s) => (s.at ? [s.at] : []));
  const ends = garage ? [garage] : [];
  return run.direction === 'to_venue'
    ? [...ends, ...stops, venue, ...ends]
    : [...ends, venue, ...stops, ...ends];
}

/** A colour per vehicle, stable by its position in the day's list. */
export function vehicleColour(index: number): string {
  const palette = ['#1d4ed8', '#b91c1c', '#047857', '#a16207', '#7c3aed', '#be185d', '#0e7490', '#4d7c0f'];
  return palette[index % palette.length] ?? '#1d4ed8';
}

/** The trip a run is, as the move command names it. */
export function tripOf(run: BusRun): TripRef {
  return {
    direction: run.direction,
    band_start: run.band_start,
    observation_minutes: run.observation_minutes,
    run: run.run,
    vehicle: run.vehicle,
  };
}

/** Where a rider of `from` may be moved by hand: the other trips of the same direction (the
 *  server's checker gives the verdict on seats and times, so full trips are offered too). */
export function moveTargets(runs: readonly BusRun[], from: BusRun): BusRun[] {
  const same = (a: TripRef, b: TripRef) =>
    a.direction === b.direction && a.band_start === b.band_start && a.observation_minutes === b.observation_minutes && a.run === b.run && a.vehicle === b.vehicle;
  return runs.filter((r) => r.direction === from.direction && !same(tripOf(r), tripOf(from)));
}
