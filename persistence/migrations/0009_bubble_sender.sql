-- Exactly once and in order through failover (docs/delivery.md).
--
-- sender: the process (its incarnation) that stored a pending bubble and will send it. Another
-- process finding it still pending cannot know whether the channel API accepted it before the
-- sender died (the "sent" mark commits after the call): it waits for a status webhook naming
-- the bubble (biz_opaque_callback_data) and claims it only then. NULL: released by its sender
-- (anyone may send it at once).
ALTER TABLE messages ADD COLUMN sender bigint;

-- The pending bubbles of a conversation, found when a newer one is stored so the older ones
-- leave first. Same rows as before (pending, outbound), now keyed by conversation.
DROP INDEX IF EXISTS messages_outbox;
CREATE INDEX messages_outbox ON messages (conversation_id, id)
  WHERE direction = 'out' AND status = 'pending';
