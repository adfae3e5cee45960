import { describe, expect, it } from 'vitest';
import { credentialOf, msUntil } from './staff';

describe('credentialOf', () => {
  it('reads a scanned staff card from the code field, whatever the PIN field holds', () => {
    expect(credentialOf(' VAXSTAFF1.S01.00ff ', '12')).toEqual({ kind: 'card', payload: 'VAXSTAFF1.S01.00ff' });
  });
  it('takes a typed code with its PIN', () => {
    expect(credentialOf(' S01', ' 4821 ')).toEqual({ kind: 'pin', code: 'S01', pin: '4821' });
  });
});

describe('msUntil', () => {
  it('counts down to the lock and never below zero', () => {
    const now = Date.parse('2021-05-17T09:00:00+09:00');
    expect(msUntil('2021-05-17T09:05:00+09:00', now)).toBe(300_000);
    expect(msUntil('2021-05-17T08:59:00+09:00', now)).toBe(0);
  });
});
