-- An invite may name the invitee's e-mail address: only an account with that address can accept
-- it. An account made from an invite without an address has an address nobody confirmed, and the
-- coordinator sees that.
ALTER TABLE plan_invites ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT TRUE;
