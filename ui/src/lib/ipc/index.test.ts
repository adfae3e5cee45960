import { describe, expect, it } from 'vitest';
import { toUserError, UserError } from './index';

describe('toUserError', () => {
  it('keeps the code, both messages and whether a doctor may override', () => {
    const e = toUserError({ code: 'DUPLICATE_DOSE', message: 'Dose 1 is given already', message_ja: '1回目は接種済みです', overridable: true });
    expect(e).toBeInstanceOf(UserError);
    expect(e.code).toBe('DUPLICATE_DOSE');
    expect(e.message).toBe('Dose 1 is given already');
    expect(e.messageJa).toBe('1回目は接種済みです');
    expect(e.overridable).toBe(true);
  });

  it('makes anything else an internal error nobody may override', () => {
    const e = toUserError(new TypeError('x is undefined'));
    expect(e.code).toBe('INTERNAL');
    expect(e.overridable).toBe(false);
    expect(e.messageJa).toContain('x is undefined');
  });

  it('returns a UserError as it is', () => {
    const e = new UserError('NOT_A_VOUCHER', 'm', 'j');
    expect(toUserError(e)).toBe(e);
    expect(e.overridable).toBe(false);
  });
});
