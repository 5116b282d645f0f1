-- Search moves from FTS5 to tantivy (src/search/, BENCHMARKS.md "Search
-- engines"): the index is a folder beside the database, and the publisher
-- feeds it from the queue right after each sync commits
-- (src/publish/indexing.rs).
--
-- `search_queue` stays the crash-safe record of what the index has not
-- taken yet: written in the sync's own transaction, emptied only after the
-- index has committed what it names. So every write queues the review,
-- deletions included (the index must drop them), and nothing writes the
-- FTS5 table any more.
DROP TRIGGER reviews_queue_insert;
DROP TRIGGER reviews_queue_update;
DROP TRIGGER reviews_queue_delete;
DROP TABLE review_search;

-- Presence is tested rather than INSERT OR IGNORE, as in 0002: an upsert's
-- conflict handling would override the one of the statements its
-- triggers run.
CREATE TRIGGER reviews_queue_insert AFTER INSERT ON reviews BEGIN
    INSERT INTO search_queue (review_id)
    SELECT new.id WHERE new.id NOT IN (SELECT review_id FROM search_queue);
END;

CREATE TRIGGER reviews_queue_update AFTER UPDATE ON reviews BEGIN
    INSERT INTO search_queue (review_id)
    SELECT new.id WHERE new.id NOT IN (SELECT review_id FROM search_queue);
END;

CREATE TRIGGER reviews_queue_delete AFTER DELETE ON reviews BEGIN
    INSERT INTO search_queue (review_id)
    SELECT old.id WHERE old.id NOT IN (SELECT review_id FROM search_queue);
END;

-- Which database an index belongs to: each commit of the index notes it,
-- so an index left beside a rebuilt or replaced database is not taken for
-- this one's.
INSERT INTO meta (key, value) VALUES ('search_index_identity', abs(random()));

-- The first start after this migration builds the index from every review.
INSERT INTO search_queue (review_id)
SELECT id FROM reviews WHERE id NOT IN (SELECT review_id FROM search_queue);

-- The search page names the tags of its facet counts as /tags does (the
-- first name in byte order among visible reviews): with this index, one
-- seek per tag rather than a visit to every review that carries it.
CREATE INDEX review_tags_by_slug_name ON review_tags (slug, name);
