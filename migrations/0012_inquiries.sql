-- 0012: the call centre's inquiries replicate (issue 16; docs/sync-spec.md §2, docs/call-centre.md).
-- Never edit this file once landed: add a new numbered file instead.
--
-- `topic` holds an InquiryTopic code from now on (rows logged before hold free text and read as
-- その他). A follow-up is open while no inquiry names its row in `closes`: the closing inquiry
-- is a new row, never an update, so the open/closed verdict is the same whatever order a
-- replica received the two in.
ALTER TABLE inquiries ADD COLUMN follow_up_needed INTEGER NOT NULL DEFAULT 0
    CHECK (follow_up_needed IN (0, 1));
ALTER TABLE inquiries ADD COLUMN follow_up_by TEXT NOT NULL DEFAULT '';
ALTER TABLE inquiries ADD COLUMN closes TEXT;
CREATE INDEX inquiries_closes ON inquiries (closes) WHERE closes IS NOT NULL;
CREATE INDEX inquiries_open_follow_ups ON inquiries (received_at) WHERE follow_up_needed = 1;
CREATE INDEX inquiries_day ON inquiries (received_at);
