-- Plan settings kept beside the live document (title, bydel, periode and status live in its
-- `meta` map): the adoption (the frozen version BU adopted, the meeting date and the sak
-- number), the cover's place and date, the contact person, and archiving. Dates are
-- YYYY-MM-DD; empty text means not set.

ALTER TABLE plans ADD COLUMN adopted_version TEXT;          -- plan_versions.id, set with status vedtatt
ALTER TABLE plans ADD COLUMN adopted_date TEXT NOT NULL DEFAULT '';
ALTER TABLE plans ADD COLUMN adopted_sak TEXT NOT NULL DEFAULT '';
ALTER TABLE plans ADD COLUMN cover_place TEXT NOT NULL DEFAULT '';
ALTER TABLE plans ADD COLUMN cover_date TEXT NOT NULL DEFAULT '';
ALTER TABLE plans ADD COLUMN contact TEXT NOT NULL DEFAULT '';
ALTER TABLE plans ADD COLUMN archived_at INTEGER;           -- unix milliseconds; NULL while in use
