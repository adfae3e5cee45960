// Japanese first, English second. `t` reads the current language, so templates re-render
// when it changes.
export type Lang = 'ja' | 'en';

export const ui = $state<{ lang: Lang }>({ lang: 'ja' });

const text = {
  app_title: { ja: 'vaxledger 接種会場', en: 'vaxledger venue' },
  reception: { ja: '受付', en: 'Reception' },
  booth: { ja: '接種', en: 'Booth' },
  venue_day: { ja: '本日の会場', en: "Today's venue" },
  switch_lang: { ja: 'English', en: '日本語' },
  scan_label: { ja: '接種券を読み取る、または入力（券番号・カナ・生年月日・電話）', en: 'Scan the voucher or type (voucher no., kana, birth date, phone)' },
  search: { ja: '検索', en: 'Search' },
  not_found: { ja: '該当する住民はいません', en: 'No resident found' },
  unreadable: { ja: '読み取れません。券番号・カナ・生年月日（1941-04-01）・電話番号で入力してください', en: 'Not understood: enter a voucher number, kana, birth date (1941-04-01) or phone number' },
  kanji_not_searchable: { ja: '漢字では検索できません。カナで入力してください', en: 'Names are searched in kana, not kanji' },
  check_in: { ja: '受付する', en: 'Check in' },
  checked_in: { ja: '受付済み', en: 'Checked in' },
  cancel_check_in: { ja: '受付を取り消す', en: 'Cancel check-in' },
  cancel_reason: { ja: '取消理由（必須）', en: 'Reason (required)' },
  confirm_cancel: { ja: '取消を確定', en: 'Confirm cancellation' },
  age: { ja: '歳', en: ' years' },
  due_dose: { ja: '接種予定', en: 'Due' },
  dose_n: { ja: '{n}回目', en: 'dose {n}' },
  bookings: { ja: '予約', en: 'Bookings' },
  past_doses: { ja: '接種歴', en: 'Doses given' },
  none: { ja: 'なし', en: 'none' },
  voided: { ja: '取消', en: 'voided' },
  queue: { ja: '接種待ち', en: 'Waiting' },
  queue_empty: { ja: '受付済みで接種待ちの方はいません', en: 'Nobody is waiting' },
  select: { ja: '選択', en: 'Select' },
  record_dose: { ja: '接種を記録', en: 'Record dose' },
  lot: { ja: 'ロット', en: 'Lot' },
  no_lots: { ja: '本日使用するロットを登録してください', en: "Open today's lot first" },
  open_lot: { ja: 'ロットを登録', en: 'Open lot' },
  product: { ja: 'ワクチン', en: 'Vaccine' },
  lot_number: { ja: 'ロット番号', en: 'Lot number' },
  vaccinator: { ja: '接種医師', en: 'Vaccinator' },
  site: { ja: '接種部位', en: 'Site' },
  site_left: { ja: '左上腕', en: 'left upper arm' },
  site_right: { ja: '右上腕', en: 'right upper arm' },
  recorded: { ja: '記録しました。観察 {m} 分（{until} まで）', en: 'Recorded. Observe {m} min (until {until})' },
  override_title: { ja: '医師の判断で記録する（理由は記録に残ります）', en: "Record on a doctor's decision (the reason is logged)" },
  doctor: { ja: '医師名', en: 'Doctor' },
  reason: { ja: '理由（必須）', en: 'Reason (required)' },
  record_override: { ja: '医師判断で記録', en: 'Record with override' },
  observations: { ja: '経過観察', en: 'Observation' },
  observation_done: { ja: '観察終了', en: 'Done' },
  no_observations: { ja: '観察中の方はいません', en: 'Nobody under observation' },
  next_resident: { ja: '次の方へ', en: 'Next resident' },
  band: { ja: '時間帯', en: 'Band' },
  capacity: { ja: '定員', en: 'Places' },
  booked: { ja: '予約', en: 'Booked' },
  arrived: { ja: '受付', en: 'Checked in' },
  dosed: { ja: '接種', en: 'Dosed' },
  no_shows: { ja: '未来場', en: 'No-shows' },
  total: { ja: '合計', en: 'Total' },
  walk_ins: { ja: '予約外の受付', en: 'Walk-ins' },
  refresh: { ja: '更新', en: 'Refresh' },
  setup_title: { ja: 'はじめに', en: 'Getting started' },
  setup_empty: { ja: '台帳は空です。デモ市（65,000人・6会場）を読み込むと、すぐに会場の操作を試せます。', en: 'The ledger is empty. Load the demo city (65,000 residents, 6 venues) to try the venue at once.' },
  load_demo: { ja: 'デモ市を読み込む', en: 'Load the demo city' },
  loading_demo: { ja: '読み込み中…（数秒かかります）', en: 'Loading… (a few seconds)' },
  enroll_title: { ja: 'この端末の会場と役割', en: "This installation's venue and role" },
  venue: { ja: '会場', en: 'Venue' },
  role: { ja: '役割', en: 'Role' },
  enroll: { ja: '登録', en: 'Enroll' },
  role_reception: { ja: '受付', en: 'Reception' },
  role_booth: { ja: '接種', en: 'Booth' },
  role_venue_manager: { ja: '会場責任者', en: 'Venue manager' },
  role_headquarters: { ja: '本部', en: 'Headquarters' },
  role_call_centre: { ja: 'コールセンター', en: 'Call centre' },
  role_not_here: { ja: 'この役割の画面はまだありません。会場の役割を選んでください', en: 'This role has no screens yet; choose a venue role' },
  demo_label: { ja: 'デモデータ', en: 'demo data' },
  ledger: { ja: '台帳', en: 'Ledger' },
  hq: { ja: 'VRS出力', en: 'VRS export' },
  vrs_title: { ja: '接種記録のVRS出力（夜間バッチ）', en: 'Nightly VRS export of dose records' },
  vrs_folder: { ja: '出力フォルダ', en: 'Output folder' },
  vrs_encoding: { ja: '文字コード', en: 'Encoding' },
  vrs_header: { ja: '見出し行を付ける', en: 'Header row' },
  vrs_crlf: { ja: '改行をCRLFにする', en: 'CRLF line ends' },
  vrs_export_valid: { ja: '不備のある記録を除いて出力する', en: 'Export the valid records, list the rest' },
  vrs_site: { ja: '接種自治体コード（空欄なら住民の市町村コード）', en: 'Site municipality code (empty: the resident’s)' },
  vrs_run: { ja: 'VRSファイルを出力', en: 'Write the VRS files' },
  vrs_nothing_new: { ja: '新しい接種記録はありません（何も出力していません）', en: 'Nothing new: no file written' },
  vrs_done: { ja: 'バッチ {b}：{n}件（{r}人）、訂正 {c}件', en: 'Batch {b}: {n} records ({r} residents), {c} corrections' },
  vrs_left_out: { ja: '除外した記録（修正後、次回出力されます）', en: 'Left out (exported next time once fixed)' },
  vrs_batches: { ja: '出力履歴', en: 'Past batches' },
  vrs_no_batches: { ja: 'まだ出力していません', en: 'No batch yet' },
} as const;

export type TextKey = keyof typeof text;

export function t(key: TextKey, vars: Record<string, string | number> = {}): string {
  let s: string = text[key][ui.lang];
  for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, String(v));
  return s;
}

export function errorText(e: { message: string; messageJa: string }): string {
  return ui.lang === 'ja' ? e.messageJa : e.message;
}
