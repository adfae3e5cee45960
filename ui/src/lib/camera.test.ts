import { describe, expect, it } from 'vitest';
import type { DeskCard } from './ipc';
import { cameraOutcome } from './camera';

const card = { card: { resident: { id: 42 } } } as unknown as DeskCard;

describe('cameraOutcome', () => {
  it('shows a voucher read like a scanned line and opens a single card', () => {
    const o = cameraOutcome({ kind: 'voucher', line: '112620210000100001', cards: [card] });
    expect(o).toEqual({
      kind: 'found',
      cards: [card],
      text: '112620210000100001',
      opened: 42,
    });
  });

  it('opens nothing when several or no residents match', () => {
    const o = cameraOutcome({ kind: 'voucher', line: '112620210000100001', cards: [] });
    expect(o.kind === 'found' && o.opened).toBe(null);
  });

  it('turns a code that is not a voucher into a bilingual problem', () => {
    const o = cameraOutcome({
      kind: 'not_a_voucher',
      text: 'https://example.org',
      message: 'This QR code is not a vaccination voucher (https://example.org).',
      message_ja: '接種券のQRコードではありません（https://example.org）。',
    });
    expect(o.kind).toBe('problem');
    if (o.kind === 'problem') {
      expect(o.error.code).toBe('NOT_A_VOUCHER');
      expect(o.error.messageJa).toContain('接種券のQRコードではありません');
    }
  });

  it('keeps the code of a failed lookup', () => {
    const o = cameraOutcome({ kind: 'failed', code: 'NOT_ENROLLED', message: 'm', message_ja: 'j' });
    expect(o.kind === 'problem' && o.error.code).toBe('NOT_ENROLLED');
  });
});
