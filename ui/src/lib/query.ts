// What the reception field holds: a scanner types 18 or 10 digits and Enter; a person
// types a voucher number, a reading in any kana, a birth date or a phone number.
import type { DeskQuery } from './ipc';

/** Folds a reading the way the ledger does: NFKC, hiragana to katakana, no blanks. */
export function kanaKey(text: string): string {
  return Array.from(text.normalize('NFKC'))
    .filter((c) => !/\s/u.test(c))
    .map((c) => {
      const code = c.codePointAt(0) ?? 0;
      return (code >= 0x3041 && code <= 0x3096) || code === 0x309d || code === 0x309e
        ? String.fromCodePoint(code + 0x60)
        : c;
    })
    .join('');
}

/** Whether the text is a reading: katakana (after folding), ー and ・ only. */
export function isKana(text: string): boolean {
  const key = kanaKey(text);
  return key.length > 0 && /^[\u30A1-\u30FAー・ヽヾ]+$/u.test(key);
}

export type Classified =
  | { kind: 'query'; query: DeskQuery }
  | { kind: 'empty' }
  | { kind: 'kanji' }
  | { kind: 'unknown' };

function validDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return y >= 1900 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** Decides what kind of search the text is. */
export function classify(input: string): Classified {
  const text = input.normalize('NFKC').trim();
  if (text === '') return { kind: 'empty' };

  const date = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/.exec(text);
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    if (validDate(y, m, d)) {
      const iso = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
      return { kind: 'query', query: { kind: 'birth_date', text: iso } };
    }
    return { kind: 'unknown' };
  }

  if (/^[\d\s-]+$/.test(text)) {
    const digits = text.replace(/\D/g, '');
    const hyphenated = text.includes('-');
    // A scanner types bare digits: 18 is the QR/OCR line, 10 the voucher number.
    if (digits.length === 18) return { kind: 'query', query: { kind: 'voucher', text: digits } };
    if (digits.length === 10 && !hyphenated) return { kind: 'query', query: { kind: 'voucher', text: digits } };
    if (digits.length === 8 && !hyphenated && /^(19|20)/.test(digits)) {
      const [y, m, d] = [Number(digits.slice(0, 4)), Number(digits.slice(4, 6)), Number(digits.slice(6, 8))];
      if (validDate(y, m, d)) {
        return { kind: 'query', query: { kind: 'birth_date', text: `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}` } };
      }
    }
    if (digits.length >= 4 && digits.length <= 11) return { kind: 'query', query: { kind: 'phone', text: digits } };
    return { kind: 'unknown' };
  }

  if (isKana(text)) return { kind: 'query', query: { kind: 'kana', text } };
  if (/\p{Script=Han}/u.test(text)) return { kind: 'kanji' };
  return { kind: 'unknown' };
}
