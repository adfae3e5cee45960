import { describe, expect, it } from 'vitest';
import type { AlertView } from './ipc';
import { alertKey } from './sync-alerts';

function alert(kind: string, resident: string | null, dose: number | null, ids: string[]): AlertView {
  return { kind, resident, dose_number: dose, summary: '', summary_ja: '', records: ids.map((i) => `line ${i}`), record_ids: ids };
}

describe('alertKey', () => {
  it('keeps a duplicate dose the same alert when another record joins it', () => {
    expect(alertKey(alert('duplicate_dose', '0000100001', 1, ['a', 'b']))).toBe(
      alertKey(alert('duplicate_dose', '0000100001', 1, ['a', 'b', 'c'])),
    );
  });

  it('tells apart the alerts one list can hold', () => {
    const list = [
      alert('duplicate_dose', '0000100001', 1, ['a', 'b']),
      alert('duplicate_dose', '0000100001', 2, ['c', 'd']),
      alert('concurrent_bookings', '0000100001', 1, ['e', 'f']),
      alert('dose_from_expired_lot', '0000100001', 1, ['a']),
      alert('dose_from_expired_lot', '0000100001', 1, ['b']),
      alert('band_over_capacity', null, null, ['g', 'h']),
      alert('band_over_capacity', null, null, ['i']),
      alert('mismatched_void', null, null, ['j']),
    ];
    expect(new Set(list.map(alertKey)).size).toBe(list.length);
  });
});
