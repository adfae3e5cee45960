-- 0002: only authentic ops, revocation and token rotation (issue 15; docs/sync-spec.md §3a, §9).
-- Never edit this file once landed: add a new numbered file instead.

-- The public half of the key pair the device made at enrollment (64 hex digits). Ops in the
-- device's name are stored only when this key signed them. NULL for a device enrolled before
-- protocol 3: it cannot sign, so it enrolls again.
ALTER TABLE devices ADD COLUMN public_key TEXT;

-- When HQ revoked the device (a lost laptop): from then on its token and its new ops are
-- refused. The row stays, so its earlier ops still verify everywhere.
ALTER TABLE devices ADD COLUMN revoked_at TEXT;
