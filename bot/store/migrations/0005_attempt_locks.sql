-- The counters also count wrong identity numbers, not only passwords: name them for what
-- they are. Scopes stay as they were ('user:<id>', 'cert:<sha256>' or 'cert:file-<sha256>').
ALTER TABLE password_locks RENAME TO attempt_locks;
