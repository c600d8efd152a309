-- natter's first SQLite schema. Times are integer microseconds since the Unix epoch (UTC);
-- durations are integer microseconds. Applied by SqliteStore inside one transaction.

CREATE TABLE channels (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  name        TEXT    NOT NULL UNIQUE,
  description TEXT    NOT NULL DEFAULT '',
  sort_order  INTEGER NOT NULL DEFAULT 0,
  is_private  INTEGER NOT NULL DEFAULT 0 CHECK (is_private IN (0, 1))
);

CREATE TABLE users (
  id         TEXT    PRIMARY KEY,
  username   TEXT    NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL
);
CREATE INDEX users_username_idx ON users (username);

CREATE TABLE chat_messages (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  cache_id    INTEGER NOT NULL UNIQUE,
  owner_id    TEXT    NOT NULL,
  username    TEXT    NOT NULL,
  channel     TEXT    NOT NULL,
  message     TEXT    NOT NULL,
  authored_at INTEGER NOT NULL
);
CREATE INDEX chat_messages_channel_idx ON chat_messages (channel, cache_id);
CREATE INDEX chat_messages_owner_idx ON chat_messages (owner_id, cache_id);

-- Full-text index over chat_messages.message, kept in step by the triggers below. Diacritics
-- are kept (é is not e), as PostgreSQL's 'simple' configuration does.
CREATE VIRTUAL TABLE chat_messages_fts USING fts5(
  message, content = 'chat_messages', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER chat_messages_fts_insert AFTER INSERT ON chat_messages BEGIN
  INSERT INTO chat_messages_fts (rowid, message) VALUES (new.id, new.message);
END;
CREATE TRIGGER chat_messages_fts_delete AFTER DELETE ON chat_messages BEGIN
  INSERT INTO chat_messages_fts (chat_messages_fts, rowid, message)
  VALUES ('delete', old.id, old.message);
END;
CREATE TRIGGER chat_messages_fts_update AFTER UPDATE OF message ON chat_messages BEGIN
  INSERT INTO chat_messages_fts (chat_messages_fts, rowid, message)
  VALUES ('delete', old.id, old.message);
  INSERT INTO chat_messages_fts (rowid, message) VALUES (new.id, new.message);
END;

CREATE TABLE private_messages (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  cache_id     INTEGER NOT NULL UNIQUE,
  owner_id     TEXT    NOT NULL,
  username     TEXT    NOT NULL,
  recipient_id TEXT    NOT NULL,
  recipient    TEXT    NOT NULL,
  message      TEXT    NOT NULL,
  authored_at  INTEGER NOT NULL
);
CREATE INDEX private_messages_owner_idx ON private_messages (owner_id, cache_id);
CREATE INDEX private_messages_recipient_idx ON private_messages (recipient_id, cache_id);

CREATE TABLE sessions (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id  TEXT    NOT NULL,
  start    INTEGER NOT NULL,
  "end"    INTEGER,
  duration INTEGER
);
CREATE INDEX sessions_start_idx ON sessions (start);
CREATE INDEX sessions_open_idx ON sessions (id) WHERE "end" IS NULL;

CREATE TABLE bans (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  owner_id       TEXT    NOT NULL,
  banished_id    TEXT    NOT NULL,
  reason         TEXT    NOT NULL DEFAULT '',
  start          INTEGER NOT NULL,
  "end"          INTEGER,
  duration_hours INTEGER,
  pardoned       INTEGER NOT NULL DEFAULT 0 CHECK (pardoned IN (0, 1))
);
CREATE INDEX bans_banished_idx ON bans (banished_id, id);

CREATE TABLE rate_limiter (
  id             INTEGER PRIMARY KEY,
  owner_id       TEXT    NOT NULL DEFAULT '',
  message_limit  INTEGER NOT NULL CHECK (message_limit > 0),
  window_seconds INTEGER NOT NULL CHECK (window_seconds > 0)
);

CREATE TABLE server_instances (
  id         TEXT    PRIMARY KEY,
  name       TEXT    NOT NULL,
  created_at INTEGER NOT NULL
);
