-- The secret store shared by the replicas (src/secrets/postgres-store.ts): each value encrypted
-- on its own (AES-256-GCM, key from MCP_PUBLISH_SECRET_KEY); the database never sees one in clear.
CREATE TABLE secrets (
  key        text  PRIMARY KEY,
  iv         bytea NOT NULL,
  tag        bytea NOT NULL,
  data       bytea NOT NULL,
  -- Which key encrypted it (a hash of the key, never the key), so a wrong key is named, not guessed.
  key_id     text  NOT NULL
);
