-- Users (language preference) and PTB persistence as JSON.
CREATE TABLE users (
    user_id     INTEGER PRIMARY KEY,
    language    TEXT CHECK (language IN ('ko', 'en')),
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL
);

CREATE TABLE ptb_conversations (
    name   TEXT NOT NULL,
    key    TEXT NOT NULL,          -- JSON array of the conversation key
    state  TEXT NOT NULL,          -- JSON value of the state
    PRIMARY KEY (name, key)
);

CREATE TABLE ptb_data (
    kind   TEXT NOT NULL CHECK (kind IN ('user', 'chat', 'bot', 'callback')),
    id     INTEGER NOT NULL,       -- user or chat id; 0 for bot and callback data
    data   TEXT NOT NULL,          -- JSON object
    PRIMARY KEY (kind, id)
);
