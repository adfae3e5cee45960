import { describe, expect, it } from 'vitest';
import { clockTime, countdown, dateTime, percent, timeOfDay, timeRange } from './format';

describe('instants', () => {
  it('show the wall-clock time written in the instant, not the machine zone', () => {
    expect(clockTime('2021-05-17T09:06:30+09:00')).toBe('09:06');
    expect(clockTime('2021-05-17T23:59:00.123+09:00')).toBe('23:59');
    expect(dateTime('2021-05-17T09:06:30+09:00')).toBe('2021-05-17 09:06');
  });

  it('show text in another form as it came', () => {
    expect(clockTime('soon')).toBe('soon');
    expect(dateTime('2021-05-17')).toBe('2021-05-17');
  });
});

describe('times of day', () => {
  it('drop the seconds', () => {
    expect(timeOfDay('09:30:00')).toBe('09:30');
    expect(timeOfDay('09:30')).toBe('09:30');
    expect(timeRange('09:00:00', '09:30:00')).toBe('09:00–09:30');
  });
});

describe('countdown', () => {
  it('counts minutes and seconds, rounding up to the second', () => {
    expect(countdown(15 * 60 * 1000)).toBe('15:00');
    expect(countdown(125_000)).toBe('2:05');
    expect(countdown(1)).toBe('0:01');
    expect(countdown(0)).toBe('0:00');
    expect(countdown(-5000)).toBe('0:00');
  });
});

describe('percent', () => {
  it('is safe for an empty job and clamps', () => {
    expect(percent(0, 0)).toBe(0);
    expect(percent(1, 3)).toBe(33);
    expect(percent(5, 4)).toBe(100);
  });
});
