import { describe, expect, it } from 'vitest';
import { addDaysIso, hms, ledgerCounts, todayInJapan, vialColour, vialLeftMs } from './stock';
import type { ManagerView, VialRow } from './ipc';

const vial: VialRow = {
  id: 'r#3',
  opened_at: '2021-05-17T09:00:00',
  use_by: '2021-05-17T15:00:00',
  seconds_left: 3600,
  doses: 6,
  given: 1,
  wasted: 0,
  left: 5,
  colour: 'amber',
};

describe('stock screen helpers', () => {
  it('counts a clock down in hours, minutes and seconds', () => {
    expect(hms(5_400_000)).toBe('1:30:00');
    expect(hms(61_000)).toBe('0:01:01');
    expect(hms(-5)).toBe('0:00:00');
  });

  it('counts a vial down from its load and turns it red when the clock runs out', () => {
    expect(vialLeftMs(vial, 600_000)).toBe(3_000_000);
    expect(vialColour(vial, 600_000)).toBe('amber');
    expect(vialColour(vial, 3_600_000)).toBe('red');
  });

  it('prefills the close-out with the ledger counts, leaving out fridge vials past their clock', () => {
    const view = {
      now: '2021-05-17T17:00:00+09:00',
      lots: [
        {
          product: 'comirnaty',
          lot: 'FA5765',
          expires_on: '2021-08-31',
          quarantined: null,
          frozen: 7,
          fridge: [
            { vials: 2, use_by: '2021-05-17T12:00:00', days_left: 0, colour: 'red' },
            { vials: 1, use_by: '2021-06-16T07:45:00', days_left: 29, colour: 'green' },
          ],
          vials: [],
          vials_received: 10,
          doses_given: 1,
          doses_wasted: 0,
          vials_wasted: 0,
        },
      ],
    } as unknown as ManagerView;
    expect(ledgerCounts(view)).toEqual([{ product: 'comirnaty', lot: 'FA5765', frozen: 7, fridge: 1 }]);
  });

  it('counts days in Japan time, across month ends', () => {
    // 2021-05-16 20:00 UTC is already the 17th in Japan.
    expect(todayInJapan(new Date('2021-05-16T20:00:00Z'))).toBe('2021-05-17');
    expect(todayInJapan(new Date('2021-05-16T14:59:59Z'))).toBe('2021-05-16');
    expect(addDaysIso('2021-05-31', 1)).toBe('2021-06-01');
    expect(addDaysIso('2021-03-01', -1)).toBe('2021-02-28');
  });
});
