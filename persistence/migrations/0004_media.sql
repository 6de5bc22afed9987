-- Inbound media: one row per media message, written by the tenant's media actor once the
-- pipeline has stored (or failed to store) the file. The bytes live on the node's disk under
-- `path` (content-addressed by sha256), never in the database.
CREATE TABLE media_files (
  id              bigserial PRIMARY KEY,
  tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  message_id      bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  media_id        text NOT NULL,     -- Meta's media id (expires after 7 days)
  sha256          text,              -- lowercase hex of the stored bytes; null when not stored
  mime_type       text NOT NULL DEFAULT '',  -- sniffed from the bytes, not the declared one
  size_bytes      bigint NOT NULL DEFAULT 0,
  path            text,
  description     text NOT NULL DEFAULT '',  -- the one line the conversation sees
  extracted_text  text,              -- document text or voice transcription
  status          text NOT NULL CHECK (status IN ('stored', 'failed')),
  error           text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, message_id)
);
CREATE INDEX media_files_sha256 ON media_files (sha256) WHERE sha256 IS NOT NULL;

-- Tenant isolation as for every tenant table (0003): the transaction's parley.tenant_id decides.
ALTER TABLE media_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE media_files FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON media_files USING (parley_tenant_visible(tenant_id))
  WITH CHECK (parley_tenant_visible(tenant_id));

-- 0003's default privileges cover tables made by the same role; say it outright in case the
-- migrations ever run as another one.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parley_app') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON media_files TO parley_app;
    GRANT USAGE, SELECT ON SEQUENCE media_files_id_seq TO parley_app;
  END IF;
END $$;
