-- 0018: the bus ride a notice told (issue 13; docs/notices.md, docs/transport.md). A
-- resident who rides is told the pick-up time and point and when the bus home leaves; a
-- re-plan that moves them tells the resident again, so the notice keeps what it told.
-- Never edit this file once landed: add a new numbered file instead.

-- vax_domain::ride_notice::RideNotice::record (`09:20|○○公民館前|11:45`); NULL: no ride told.
ALTER TABLE notices ADD COLUMN ride TEXT;
