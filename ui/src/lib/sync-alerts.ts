// The identity of a replication alert on the HQ screen, for keying the list and the form state
// typed beside each alert (a void reason): the list is read again every few seconds, and an
// alert may move, appear or go meanwhile.
import type { AlertView } from './ipc';

/** Stable while the alert is open. A duplicate dose or concurrent rebookings concern one
 *  resident's dose — records may join them as replicas sync; the other kinds are their records. */
export function alertKey(a: AlertView): string {
  switch (a.kind) {
    case 'duplicate_dose':
    case 'concurrent_bookings':
      return `${a.kind}:${a.resident ?? ''}:${a.dose_number ?? ''}`;
    default:
      return `${a.kind}:${a.record_ids.join(',')}`;
  }
}
