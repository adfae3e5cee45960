import { describe as suite, expect, it } from 'vitest';
import type { Warning } from './ipc';
import { describe, severity, sortWarnings } from './warnings';

const all: Warning[] = [
  { code: 'needs_transport' },
  { code: 'anaphylaxis_history' },
  { code: 'no_booking', dose_number: 2 },
  { code: 'wrong_day', booked_date: '2021-05-18', booked_start: '09:00:00' },
  { code: 'already_checked_in', at: '2021-05-17T09:06:00+09:00' },
  { code: 'wrong_venue', booked_venue: 'デモ市西総合会館', booked_date: '2021-05-17' },
  { code: 'interval_not_reached', earliest: '2021-06-05' },
  { code: 'series_complete' },
  { code: 'municipality_differs', voucher: '011002', campaign: '262021' },
  { code: 'printed_dose_differs', printed: 2, due: 1 },
  { code: 'survey_declined' },
];

suite('warnings', () => {
  it('puts what stops a check-in first and information last, keeping order within a level', () => {
    const sorted = sortWarnings(all).map((w) => w.code);
    expect(sorted.slice(0, 4)).toEqual(['already_checked_in', 'wrong_venue', 'interval_not_reached', 'series_complete']);
    expect(sorted.slice(-2)).toEqual(['needs_transport', 'anaphylaxis_history']);
  });

  it('shows a duplicate or too-early dose as danger', () => {
    expect(severity({ code: 'series_complete' })).toBe('danger');
    expect(severity({ code: 'interval_not_reached', earliest: '2021-06-05' })).toBe('danger');
    expect(severity({ code: 'needs_transport' })).toBe('info');
  });

  it('words every warning in Japanese and English with its details', () => {
    for (const w of all) {
      expect(describe(w, 'ja').length).toBeGreaterThan(5);
      expect(describe(w, 'en').length).toBeGreaterThan(5);
    }
    expect(describe({ code: 'already_checked_in', at: '2021-05-17T09:06:00+09:00' }, 'ja')).toContain('09:06');
    expect(describe({ code: 'wrong_day', booked_date: '2021-05-18', booked_start: '09:30:00' }, 'en')).toBe(
      'Booked for 2021-05-18 09:30',
    );
    expect(describe({ code: 'printed_dose_differs', printed: 2, due: 1 }, 'ja')).toContain('2回目用');
  });
});
