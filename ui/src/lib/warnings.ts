// How each desk warning is shown. When a warning applies is decided in Rust
// (vax-app desk::reception); this module decides its colour, order and wording.
import type { Warning } from './ipc';
import type { Lang } from './i18n.svelte';
import { clockTime, timeOfDay } from './format';
import { topicLabel } from './callcentre';

export type Severity = 'danger' | 'warning' | 'info';

const SEVERITY: Record<Warning['code'], Severity> = {
  already_checked_in: 'danger',
  series_complete: 'danger',
  interval_not_reached: 'danger',
  wrong_venue: 'danger',
  wrong_day: 'warning',
  no_booking: 'warning',
  municipality_differs: 'warning',
  printed_dose_differs: 'warning',
  survey_declined: 'warning',
  anaphylaxis_history: 'info',
  needs_transport: 'info',
  open_follow_up: 'warning',
};

const RANK: Record<Severity, number> = { danger: 0, warning: 1, info: 2 };

export function severity(w: Warning): Severity {
  return SEVERITY[w.code];
}

/** Most serious first; the order within a severity is kept. */
export function sortWarnings(ws: readonly Warning[]): Warning[] {
  return ws
    .map((w, i) => ({ w, i }))
    .sort((a, b) => RANK[severity(a.w)] - RANK[severity(b.w)] || a.i - b.i)
    .map(({ w }) => w);
}

export function describe(w: Warning, lang: Lang): string {
  const ja = lang === 'ja';
  switch (w.code) {
    case 'already_checked_in':
      return ja ? `本日 ${clockTime(w.at)} に受付済みです` : `Already checked in today at ${clockTime(w.at)}`;
    case 'series_complete':
      return ja ? '接種はすべて完了しています（追加の接種はできません）' : 'All doses are given: no further dose';
    case 'interval_not_reached':
      return ja ? `接種間隔が足りません：${w.earliest} 以降に接種できます` : `Interval not reached: not before ${w.earliest}`;
    case 'wrong_venue':
      return ja ? `予約は別の会場です：${w.booked_venue}（${w.booked_date}）` : `Booked at another venue: ${w.booked_venue} (${w.booked_date})`;
    case 'wrong_day':
      return ja ? `予約日は ${w.booked_date} ${timeOfDay(w.booked_start)} です` : `Booked for ${w.booked_date} ${timeOfDay(w.booked_start)}`;
    case 'no_booking':
      return ja ? `${w.dose_number}回目の予約がありません` : `No booking for dose ${w.dose_number}`;
    case 'municipality_differs':
      return ja ? `接種券の市町村コード ${w.voucher} は本市（${w.campaign}）と異なります` : `Voucher municipality ${w.voucher} is not ours (${w.campaign})`;
    case 'printed_dose_differs':
      return ja ? `接種券は${w.printed}回目用ですが、接種予定は${w.due}回目です` : `Voucher printed for dose ${w.printed}, but dose ${w.due} is due`;
    case 'survey_declined':
      return ja ? '意向調査では「希望しない」と回答しています' : 'The survey answer was "does not want"';
    case 'anaphylaxis_history':
      return ja ? 'アナフィラキシー歴あり：30分観察' : 'Anaphylaxis history: 30-minute observation';
    case 'needs_transport':
      return ja ? '送迎あり：帰りの便を確認' : 'Uses transport: check the ride home';
    case 'open_follow_up': {
      const by = w.follow_up_by ? (ja ? `（担当: ${w.follow_up_by}）` : ` (by ${w.follow_up_by})`) : '';
      return ja
        ? `コールセンターの折り返し待ち：${topicLabel(w.topic, 'ja')}「${w.note}」${by}`
        : `Open call-centre follow-up: ${topicLabel(w.topic, 'en')} "${w.note}"${by}`;
    }
  }
}
