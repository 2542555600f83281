-- One serial is active once per issuer *as normalised* (case, spacing): "O=YESSIGN" and
-- "O=yessign" must not make one certificate active for two users. The flow writes the key
-- (NFKC, collapsed spaces, casefold); lower() backfills rows of ASCII/Hangul issuer names.
ALTER TABLE certificates ADD COLUMN issuer_key TEXT NOT NULL DEFAULT '';
UPDATE certificates SET issuer_key = lower(issuer_dn);
DROP INDEX certificates_one_active;
CREATE UNIQUE INDEX certificates_one_active ON certificates (issuer_key, serial_hex)
    WHERE status = 'active';
