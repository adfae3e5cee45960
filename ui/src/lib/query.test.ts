import { describe, expect, it } from 'vitest';
import { classify, isKana, kanaKey } from './query';

describe('kanaKey', () => {
  it('folds hiragana, full-width and half-width katakana to one key', () => {
    expect(kanaKey('やまだ はなこ')).toBe('ヤマダハナコ');
    expect(kanaKey('ﾔﾏﾀﾞ ﾊﾅｺ')).toBe('ヤマダハナコ');
    expect(kanaKey('ヤマダ　ハナコ')).toBe('ヤマダハナコ');
    expect(kanaKey('ゆーこ')).toBe('ユーコ');
  });

  it('matches the Rust key for the same reading', () => {
    // Same cases as vax-domain kana::tests: the two must agree or searches miss.
    expect(kanaKey('すずき いちろう')).toBe('スズキイチロウ');
    expect(kanaKey('ｽｽﾞｷ ｲﾁﾛｳ')).toBe('スズキイチロウ');
    expect(kanaKey('ｻﾄウ よしこ')).toBe('サトウヨシコ');
  });

  it('tells kana from kanji and Latin', () => {
    expect(isKana('たなか')).toBe(true);
    expect(isKana('田中')).toBe(false);
    expect(isKana('Tanaka')).toBe(false);
    expect(isKana('   ')).toBe(false);
  });
});

describe('classify', () => {
  it('reads a scanner line of 18 digits and a 10-digit number as vouchers', () => {
    expect(classify('112620210000100001')).toEqual({ kind: 'query', query: { kind: 'voucher', text: '112620210000100001' } });
    expect(classify('0000100001')).toEqual({ kind: 'query', query: { kind: 'voucher', text: '0000100001' } });
    expect(classify('１１２６２０２１００００１００００１')).toEqual({ kind: 'query', query: { kind: 'voucher', text: '112620210000100001' } });
  });

  it('reads birth dates in the forms people type', () => {
    for (const typed of ['1941-04-01', '1941/4/1', '19410401', '１９４１/４/１']) {
      expect(classify(typed)).toEqual({ kind: 'query', query: { kind: 'birth_date', text: '1941-04-01' } });
    }
    expect(classify('1941-02-30')).toEqual({ kind: 'unknown' });
  });

  it('reads phone numbers and their last digits', () => {
    expect(classify('0773-62-1234')).toEqual({ kind: 'query', query: { kind: 'phone', text: '0773621234' } });
    expect(classify('090-1234-5678')).toEqual({ kind: 'query', query: { kind: 'phone', text: '09012345678' } });
    expect(classify('1234')).toEqual({ kind: 'query', query: { kind: 'phone', text: '1234' } });
  });

  it('sends kana as typed and refuses kanji with a reason', () => {
    expect(classify('やまだ')).toEqual({ kind: 'query', query: { kind: 'kana', text: 'やまだ' } });
    expect(classify('山田')).toEqual({ kind: 'kanji' });
    expect(classify('   ')).toEqual({ kind: 'empty' });
    expect(classify('12')).toEqual({ kind: 'unknown' });
    expect(classify('abc')).toEqual({ kind: 'unknown' });
  });
});
