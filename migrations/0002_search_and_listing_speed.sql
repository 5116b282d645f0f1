-- Indexes found by the benchmark (BENCHMARKS.md).
--
-- Counting the visible matches of a search joins every match to `reviews`
-- for its draft flag and publication time. A review's row holds its text
-- three times (markdown, HTML, plain), about 28 KB, so each lookup lands on
-- a page of its own; this index keeps those three small columns together,
-- a few hundred reviews to a page.
CREATE INDEX reviews_visibility ON reviews (id, draft, published_at);
