import { describe, expect, it } from 'vitest';
import { bars, valuesOf } from './chart';

describe('chart specs', () => {
  it('carry their numbers series by series', () => {
    const spec = bars(['6/1', '6/2'], [
      { label: '接種', data: [3, 4], color: '#000' },
      { label: '予約', data: [5, 6], color: '#fff' },
    ]);
    expect(valuesOf(spec)).toBe('接種:3,4;予約:5,6');
    expect(spec.data.labels).toEqual(['6/1', '6/2']);
  });
});
