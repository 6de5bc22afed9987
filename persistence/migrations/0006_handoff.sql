-- Human handoff: who wrote an outgoing message (the bot, a person, or the system's handoff
-- notice), and escalations on the conversation.
ALTER TABLE messages ADD COLUMN author text NOT NULL DEFAULT 'bot'
  CHECK (author IN ('customer', 'bot', 'human', 'system'));
UPDATE messages SET author = 'customer' WHERE direction = 'in';


ALTER TABLE conversations
  ADD COLUMN escalated_at timestamptz,
  ADD COLUMN escalation_priority text,
  ADD COLUMN escalation_department text,
  ADD COLUMN customer_turns integer NOT NULL DEFAULT 0;
