// Labels of the call centre's fixed lists, as the Rust side defines them
// (vax_domain::inquiry): the screen shows them, the dashboard counts by them.
import type { InquiryChannel, InquiryTopic } from './ipc';
import type { Lang } from './i18n.svelte';

export const TOPICS: readonly InquiryTopic[] = [
  'rebooking',
  'transport',
  'side_effects',
  'voucher_reissue',
  'venue_and_items',
  'other',
];

const TOPIC_LABELS: Record<InquiryTopic, { ja: string; en: string }> = {
  rebooking: { ja: '予約変更', en: 'Rebooking' },
  transport: { ja: '送迎', en: 'Transport' },
  side_effects: { ja: '副反応の相談', en: 'Side effects' },
  voucher_reissue: { ja: '接種券の再発行', en: 'Voucher reissue' },
  venue_and_items: { ja: '会場・持ち物', en: 'Venue and what to bring' },
  other: { ja: 'その他', en: 'Other' },
};

export const CHANNELS: readonly InquiryChannel[] = ['phone', 'counter', 'mail', 'web'];

const CHANNEL_LABELS: Record<InquiryChannel, { ja: string; en: string }> = {
  phone: { ja: '電話', en: 'Phone' },
  counter: { ja: '窓口', en: 'Counter' },
  mail: { ja: '郵送', en: 'Mail' },
  web: { ja: 'Web', en: 'Web' },
};

export function topicLabel(topic: InquiryTopic, lang: Lang): string {
  return TOPIC_LABELS[topic][lang];
}

export function channelLabel(channel: InquiryChannel, lang: Lang): string {
  return CHANNEL_LABELS[channel][lang];
}

/** The topic a digit key picks in the call form (1 = 予約変更 … 6 = その他). */
export function topicForKey(key: string): InquiryTopic | null {
  const n = Number.parseInt(key, 10);
  return Number.isInteger(n) && n >= 1 && n <= TOPICS.length ? TOPICS[n - 1]! : null;
}

/** Share of `n` in `of`, in percent with one decimal; '' when `of` is 0. */
export function percent(n: number, of: number): string {
  return of === 0 ? '' : ((n * 100) / of).toFixed(1);
}

/** An age band as the reports print it (vax_domain::report::AgeBand::label): `65-74`, `75+`. */
const BAND_LABELS: Record<string, string> = {
  under12: '0-11',
  teens: '12-19',
  twenties: '20-29',
  thirties: '30-39',
  forties: '40-49',
  fifties: '50-59',
  sixty_to_sixty_four: '60-64',
  sixty_five_to_seventy_four: '65-74',
  seventy_five_plus: '75+',
};

/** The label of an age band's code, in years (`65-74歳` / `65-74`). */
export function bandLabel(band: string, lang: 'ja' | 'en'): string {
  const years = BAND_LABELS[band] ?? band;
  return lang === 'ja' ? `${years}歳` : years;
}
