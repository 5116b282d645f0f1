-- Changes found by the benchmark (see BENCHMARKS.md).

-- 1. Counting the visible matches of a search joins every match to `reviews`
-- for its draft flag and publication time. A review's row holds its text
-- three times (markdown, HTML, plain), about 28 KB, so each lookup lands on
-- a page of its own; this index keeps those three small columns together,
-- a few hundred reviews to a page.
CREATE INDEX reviews_visibility ON reviews (id, draft, published_at);

-- 2. Indexing for search at the end of a sync, in one statement.
--
-- FTS5 writes its pending index to disk at every statement savepoint, and
-- in a sync's transaction every statement opens one. Indexing each review
-- as it was written (the triggers of 0001) therefore made one tiny index
-- segment per review, and FTS5 spent the rest of the sync merging them:
-- a third of a cold load. Now writing a review only queues it; the sync
-- then indexes the whole queue with one INSERT ... SELECT
-- (`db::reviews::index_queued`) before it commits, so a reader never sees
-- a review the index does not know.
--
-- A queued review is not in the index yet, so removing its old entry is
-- only done for reviews that are not queued. (Queueing tests for presence
-- rather than INSERT OR IGNORE: an upsert's conflict handling overrides the
-- one of the statements its triggers run.)
DROP TRIGGER reviews_search_insert;
DROP TRIGGER reviews_search_update;
DROP TRIGGER reviews_search_delete;

CREATE TABLE search_queue (
    review_id INTEGER PRIMARY KEY     -- a review written since it was indexed
) STRICT;

CREATE TRIGGER reviews_queue_insert AFTER INSERT ON reviews BEGIN
    INSERT INTO search_queue (review_id)
    SELECT new.id WHERE new.id NOT IN (SELECT review_id FROM search_queue);
END;

CREATE TRIGGER reviews_queue_update AFTER UPDATE ON reviews BEGIN
    INSERT INTO review_search (review_search, rowid, title, film_title, director, tags_text, body_text)
    SELECT 'delete', old.id, old.title, old.film_title, old.director, old.tags_text, old.body_text
    WHERE old.id NOT IN (SELECT review_id FROM search_queue);
    INSERT INTO search_queue (review_id)
    SELECT new.id WHERE new.id NOT IN (SELECT review_id FROM search_queue);
END;

CREATE TRIGGER reviews_queue_delete AFTER DELETE ON reviews BEGIN
    INSERT INTO review_search (review_search, rowid, title, film_title, director, tags_text, body_text)
    SELECT 'delete', old.id, old.title, old.film_title, old.director, old.tags_text, old.body_text
    WHERE old.id NOT IN (SELECT review_id FROM search_queue);
    DELETE FROM search_queue WHERE review_id = old.id;
END;
