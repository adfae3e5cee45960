// What the notices screen shows of the backend's codes: each call-list reason and notice kind
// has its label in the one text table (i18n.svelte.ts).
import type { CallReason, CancelReason, NoticeKind } from './ipc';
import type { TextKey } from './i18n.svelte';

/** How many call-list lines the screen shows; calls.csv holds them all. */
export const CALLS_SHOWN = 50;

export function callReasonKey(reason: CallReason): TextKey {
  switch (reason) {
    case 'landline':
      return 'notices_reason_landline';
    case 'invalid_phone':
      return 'notices_reason_invalid_phone';
    case 'sms_too_long':
      return 'notices_reason_sms_too_long';
  }
}

export function kindKey(kind: NoticeKind): TextKey {
  switch (kind) {
    case 'change':
      return 'notices_kind_change';
    case 'cancel':
      return 'notices_kind_cancel';
    case 'first':
      return 'notices_kind_first';
  }
}

export function cancelReasonKey(reason: CancelReason): TextKey {
  switch (reason) {
    case 'withdrawn':
      return 'notices_cancel_withdrawn';
    case 'day_cut':
      return 'notices_cancel_day_cut';
    case 'no_place':
      return 'notices_cancel_no_place';
  }
}
