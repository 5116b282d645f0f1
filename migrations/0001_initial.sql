-- Marquee's schema. The markdown files in content/ are the source of truth:
-- everything here can be rebuilt from them, so we optimise for reading pages
-- and for cheap re-syncs, not for preserving history.
--
-- Times are unix seconds (UTC) in INTEGER columns; calendar dates are ISO
-- text (YYYY-MM-DD), which sorts correctly as text. Tables are STRICT so a
-- wrong type is an error at insert rather than a surprise at read.

-- One row per content file we have seen. The hash lets a restart skip files
-- that did not change; mtime and size let it skip even reading them. A file
-- whose current version is broken keeps its error here while the last good
-- version of its review stays in `reviews`.
CREATE TABLE sources (
    path TEXT PRIMARY KEY,            -- relative to the content dir, '/'-separated
    hash TEXT NOT NULL,               -- xxh3-128 of the bytes last read
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    error_line INTEGER,
    error_field TEXT,
    error_reason TEXT                 -- NULL when the file loaded cleanly
) STRICT;

CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    source_path TEXT NOT NULL UNIQUE,
    -- The review that holds a slug keeps it: a second file claiming it is an
    -- error on that file, never a silent takeover.
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    film_title TEXT NOT NULL,
    film_year INTEGER,
    director TEXT,
    director_slug TEXT,
    runtime_minutes INTEGER,
    poster TEXT,
    -- Half stars, 1..10, so 3.5 stars is exactly 7.
    rating_halves INTEGER CHECK (rating_halves BETWEEN 1 AND 10),
    spoilers INTEGER NOT NULL,
    draft INTEGER NOT NULL,
    published_at INTEGER NOT NULL,
    updated_at INTEGER,
    summary TEXT NOT NULL,
    author TEXT,
    asset_base TEXT,                  -- '/reviews/<slug>/' for page bundles
    body_markdown TEXT NOT NULL,      -- kept so feeds can render their variant
    body_html TEXT NOT NULL,          -- rendered once, at load time
    body_text TEXT NOT NULL,          -- plain text, for the search index
    tags_text TEXT NOT NULL,          -- tag names joined, for the search index
    modified_at INTEGER NOT NULL      -- the source file's mtime: Last-Modified
) STRICT;

-- Listings show published, non-draft reviews newest first; scheduling is a
-- comparison of published_at with the clock at query time.
CREATE INDEX reviews_by_published ON reviews (published_at DESC) WHERE draft = 0;
CREATE INDEX reviews_by_rating ON reviews (rating_halves, published_at DESC) WHERE draft = 0;
CREATE INDEX reviews_by_year ON reviews (film_year, published_at DESC) WHERE draft = 0;
CREATE INDEX reviews_by_director ON reviews (director_slug, published_at DESC) WHERE draft = 0;

CREATE TABLE review_tags (
    review_id INTEGER NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,        -- the order the editor wrote them in
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (review_id, slug)
) STRICT, WITHOUT ROWID;
CREATE INDEX review_tags_by_slug ON review_tags (slug, review_id);

CREATE TABLE release_dates (
    review_id INTEGER NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    region TEXT NOT NULL,
    region_slug TEXT NOT NULL,        -- for /reviews/{slug}/release/{region}.ics
    date TEXT NOT NULL,
    PRIMARY KEY (review_id, region_slug)
) STRICT, WITHOUT ROWID;

-- Standalone pages (content/pages/<slug>.md), served at /{slug}.
CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    source_path TEXT NOT NULL UNIQUE,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    body_html TEXT NOT NULL,
    menu INTEGER NOT NULL,            -- linked from the site navigation
    weight INTEGER NOT NULL,          -- navigation order, low first
    draft INTEGER NOT NULL,
    modified_at INTEGER NOT NULL
) STRICT;

-- Small facts about the content as a whole.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;

-- Full-text search over what a reader would type: the headline, the film,
-- its director, tags and the review itself. An external-content table keeps
-- one copy of the text (in `reviews`) while still allowing snippet().
CREATE VIRTUAL TABLE review_search USING fts5 (
    title, film_title, director, tags_text, body_text,
    content = 'reviews', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER reviews_search_insert AFTER INSERT ON reviews BEGIN
    INSERT INTO review_search (rowid, title, film_title, director, tags_text, body_text)
    VALUES (new.id, new.title, new.film_title, new.director, new.tags_text, new.body_text);
END;

CREATE TRIGGER reviews_search_delete AFTER DELETE ON reviews BEGIN
    INSERT INTO review_search (review_search, rowid, title, film_title, director, tags_text, body_text)
    VALUES ('delete', old.id, old.title, old.film_title, old.director, old.tags_text, old.body_text);
END;

CREATE TRIGGER reviews_search_update AFTER UPDATE ON reviews BEGIN
    INSERT INTO review_search (review_search, rowid, title, film_title, director, tags_text, body_text)
    VALUES ('delete', old.id, old.title, old.film_title, old.director, old.tags_text, old.body_text);
    INSERT INTO review_search (rowid, title, film_title, director, tags_text, body_text)
    VALUES (new.id, new.title, new.film_title, new.director, new.tags_text, new.body_text);
END;
