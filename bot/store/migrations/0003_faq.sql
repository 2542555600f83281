-- What customers asked that the FAQ could not answer, and their feedback on answers.
CREATE TABLE faq_queries (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    user_id   INTEGER,
    query     TEXT NOT NULL,
    decision  TEXT NOT NULL,
    entry_id  TEXT,
    score     REAL
);
CREATE INDEX faq_queries_by_decision ON faq_queries (decision, at);

CREATE TABLE faq_feedback (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    user_id   INTEGER NOT NULL,
    entry_id  TEXT NOT NULL,
    helpful   INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    UNIQUE (user_id, entry_id, at)
);
