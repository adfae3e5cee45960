-- 0005: the municipality's 宛名番号 (個別宛名番号) of a resident (issue 12; docs/import-formats.md).
-- Never edit this file once landed: add a new numbered file instead.
--
-- The register may carry the number the municipality's own systems file a resident under;
-- the VRS 台帳形式 file's first column, 個別宛名番号, is filled with it. NULL when the register
-- did not give one (older files have no such column). Kept as text: leading zeros count.
ALTER TABLE residents ADD COLUMN atena_number TEXT
    CHECK (atena_number IS NULL OR length(atena_number) BETWEEN 1 AND 20);

-- What a batch wrote in 個別宛名番号 for each record, so that regenerating a batch writes the
-- same bytes whatever the register says later. Batches written before this column existed
-- left it blank, which the default reproduces.
ALTER TABLE vrs_batch_records ADD COLUMN atena_number TEXT NOT NULL DEFAULT '';
