-- When the catalog's pages (listings, feeds, the sitemap) last changed, for
-- their Last-Modified: the newest modification time of a file readers see
-- (a review or list that is not a draft, a diary), as it was when last read
-- without an error. A draft, a file with an error (its last good version
-- stays published, and its time with it), site.toml and the standalone
-- pages (the layout's, timed apart) have none of their own. So saving a
-- draft, or a broken file, moves no listing's Last-Modified, and the cache
-- keeps them (src/db/sync.rs). The index answers max() in one step.
ALTER TABLE sources ADD COLUMN public_mtime_ns INTEGER;
UPDATE sources SET public_mtime_ns = mtime_ns
WHERE error_reason IS NULL
    AND path <> 'site.toml' AND NOT (path >= 'pages/' AND path < 'pages0')
    AND path NOT IN (SELECT source_path FROM reviews WHERE draft = 1)
    AND path NOT IN (SELECT source_path FROM lists WHERE draft = 1);
CREATE INDEX sources_public ON sources (public_mtime_ns) WHERE public_mtime_ns IS NOT NULL;
