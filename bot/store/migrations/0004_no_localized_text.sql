-- No localized text in SQLite: the usage purpose is looked up from policy_oid when rendering
-- (the certificate core's catalog), so both languages' copies go.
ALTER TABLE certificates DROP COLUMN usage_purpose_ko;
ALTER TABLE certificates DROP COLUMN usage_purpose_en;
