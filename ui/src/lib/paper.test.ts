import { describe, expect, it } from 'vitest';
import { addDays, isoDate, normaliseVoucher } from './paper';

describe('paper back-entry helpers', () => {
  it('formats a local day and steps across month and year ends', () => {
    expect(isoDate(new Date(2021, 4, 7))).toBe('2021-05-07');
    expect(addDays('2021-05-31', 1)).toBe('2021-06-01');
    expect(addDays('2021-12-31', 1)).toBe('2022-01-01');
    expect(addDays('2021-03-01', -1)).toBe('2021-02-28');
  });

  it('cleans a scanned or typed voucher line but keeps its digits', () => {
    expect(normaliseVoucher('112620210000123456\r\n')).toBe('112620210000123456');
    expect(normaliseVoucher('１１２６ ２０２１-0000123456')).toBe('112620210000123456');
    expect(normaliseVoucher('abc')).toBe('abc');
  });
});
