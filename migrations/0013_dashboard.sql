-- 0013: the dashboards count from indexes (issue 16; docs/call-centre.md, docs/BENCHMARKS.md).
-- Never edit this file once landed: add a new numbered file instead.
--
-- Partial indexes hold only what the dashboards count (valid doses, check-ins not cancelled),
-- and expression indexes hold the Japan-time day (the first ten characters of the RFC 3339
-- time), so "per venue and day" is a scan of one index in order: no table lookups, no sort.
CREATE INDEX dose_records_valid ON dose_records (resident_id, dose_number)
    WHERE voided_at IS NULL;
CREATE INDEX dose_records_valid_venue_day ON dose_records (venue_id, substr(administered_at, 1, 10))
    WHERE voided_at IS NULL;
CREATE INDEX check_ins_valid_venue_day ON check_ins (venue_id, substr(checked_in_at, 1, 10))
    WHERE cancelled_at IS NULL;
-- Coverage groups residents by birth date and district.
CREATE INDEX residents_birth_district ON residents (birth_date, district);
-- Calls by day and topic.
CREATE INDEX inquiries_day_topic ON inquiries (substr(received_at, 1, 10), topic);
