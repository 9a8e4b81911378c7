-- The state store's collections (src/state/pg-state-store.ts): one row per entry, in insertion
-- order (`seq`, renewed when a value is replaced), with an optional expiry in epoch ms.
CREATE TABLE state_entries (
  collection text   NOT NULL,
  id         text   NOT NULL,
  value      json   NOT NULL,
  expires_at bigint,
  seq        bigserial NOT NULL,
  PRIMARY KEY (collection, id)
);
CREATE INDEX state_entries_order ON state_entries (collection, seq);
CREATE INDEX state_entries_expiry ON state_entries (expires_at) WHERE expires_at IS NOT NULL;

-- Every change is announced to the other replicas when its transaction commits (LISTEN/NOTIFY):
-- who made it is the writing connection's application_name, so a replica skips its own. A purge
-- of expired entries sets mcp_publish.purge and is not announced (expiry is not a deletion).
CREATE FUNCTION state_entries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row_ state_entries;
BEGIN
  IF current_setting('mcp_publish.purge', true) = 'on' THEN RETURN NULL; END IF;
  IF TG_OP = 'DELETE' THEN row_ := OLD; ELSE row_ := NEW; END IF;
  PERFORM pg_notify('mcp_publish_state', json_build_object(
    'c', row_.collection, 'i', row_.id,
    'k', CASE WHEN TG_OP = 'DELETE' THEN 'deleted' ELSE 'changed' END,
    'o', current_setting('application_name'))::text);
  RETURN NULL;
END $$;

CREATE TRIGGER state_entries_notify AFTER INSERT OR UPDATE OR DELETE ON state_entries
  FOR EACH ROW EXECUTE FUNCTION state_entries_notify();
