// Small helpers of the paper back-entry screen (Paper.svelte), kept apart to be tested.

/** `YYYY-MM-DD` of a day in the kiosk's local time zone. */
export function isoDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** The day `n` days after `date` (`YYYY-MM-DD`). */
export function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return isoDate(new Date(y!, m! - 1, d! + n));
}

/** What a USB scanner or a person typed into the voucher field, without blanks, hyphens or a
 * trailing CR/LF, full-width digits made ASCII (the backend checks the rest). */
export function normaliseVoucher(text: string): string {
  return text
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\s\-－ー]/g, '');
}
