-- The wait announced to a queued caller on entry, next to the real wait, so the accuracy
-- of the visible-queue announcements is reported [IVR-5]. PostgreSQL flavour.

UPDATE schema_info SET value = '3' WHERE key = 'version';

ALTER TABLE calls ADD COLUMN announced_wait_seconds BIGINT;
