import { describe, expect, it } from 'vitest';
import { callReasonKey, cancelReasonKey, kindKey } from './notices';
import { t, ui } from './i18n.svelte';

describe('notice labels', () => {
  it('names every call-list reason in both languages', () => {
    ui.lang = 'ja';
    expect(t(callReasonKey('landline'))).toBe('固定電話');
    expect(t(callReasonKey('sms_too_long'))).toBe('SMS文字数超過');
    ui.lang = 'en';
    expect(t(callReasonKey('invalid_phone'))).toBe('Check the number');
    ui.lang = 'ja';
  });

  it('tells a change from a first notice', () => {
    ui.lang = 'ja';
    expect(t(kindKey('change'))).toBe('変更');
    expect(t(kindKey('first'))).toBe('新規');
    expect(t(kindKey('cancel'))).toBe('取消');
    expect(t(cancelReasonKey('day_cut'))).toBe('会場日程の中止');
    expect(t(cancelReasonKey('withdrawn'))).toBe('接種希望の取下げ');
    expect(t(cancelReasonKey('no_place'))).toBe('定員の変更');
  });
});
