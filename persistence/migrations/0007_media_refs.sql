-- Inbound media references, so a conversation reloaded from PostgreSQL (after passivation or a
-- crash) can still fetch its media.
ALTER TABLE messages
  ADD COLUMN media_id text,
  ADD COLUMN media_mime text,
  ADD COLUMN media_sha256 text,
  ADD COLUMN media_filename text,
  ADD COLUMN media_voice boolean NOT NULL DEFAULT false;
