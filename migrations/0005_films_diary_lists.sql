-- Films, the diary and lists (issue 15). A film has no file of its own: it
-- is whatever reviews, diary entries and list entries say about it, joined
-- by the key content computes (`content::film`): the slug of its title and
-- year, which is its page's address, or the TMDB or IMDb id where given.

-- The film of each review, beside `reviews` rather than in it so that the
-- review upsert stays one statement of its own; written in the same sync
-- transaction, right after it.
CREATE TABLE review_films (
    review_id INTEGER PRIMARY KEY REFERENCES reviews (id) ON DELETE CASCADE,
    film_slug TEXT NOT NULL,
    tmdb INTEGER,
    imdb TEXT
) STRICT;
CREATE INDEX review_films_by_slug ON review_films (film_slug);
CREATE INDEX review_films_by_tmdb ON review_films (tmdb) WHERE tmdb IS NOT NULL;
CREATE INDEX review_films_by_imdb ON review_films (imdb) WHERE imdb IS NOT NULL;

-- One row per diary entry (`content/diary/{year}.yaml`), in the order of
-- its file; a file's rows are replaced whole when it changes, and stay as
-- they were while a new version of it is broken.
CREATE TABLE diary_entries (
    source_path TEXT NOT NULL,
    position INTEGER NOT NULL,
    watched TEXT NOT NULL,            -- YYYY-MM-DD
    film_title TEXT NOT NULL,
    film_year INTEGER,
    film_slug TEXT NOT NULL,
    tmdb INTEGER,
    imdb TEXT,
    rating_halves INTEGER CHECK (rating_halves BETWEEN 1 AND 10),
    rewatch INTEGER NOT NULL,
    liked INTEGER NOT NULL,
    note_html TEXT,
    review_slug TEXT,                 -- linked only while that review is visible
    modified_at INTEGER NOT NULL,     -- the file's mtime
    -- NULL for a diary file's entry. A review's `watched:` date stands for
    -- an entry too (its row has the review's path): shown from the
    -- review's publication, so a scheduled review's rating stays unseen.
    visible_from INTEGER,
    PRIMARY KEY (source_path, position)
) STRICT, WITHOUT ROWID;
-- The diary reads newest first; a film page reads its own entries.
CREATE INDEX diary_by_date ON diary_entries (watched DESC, source_path, position);
CREATE INDEX diary_by_film ON diary_entries (film_slug);
CREATE INDEX diary_by_tmdb ON diary_entries (tmdb) WHERE tmdb IS NOT NULL;
CREATE INDEX diary_by_imdb ON diary_entries (imdb) WHERE imdb IS NOT NULL;

-- Lists (`content/lists/{slug}.md`): visible as reviews are (not a draft,
-- published by now), so `db::visible` applies to them unchanged.
CREATE TABLE lists (
    id INTEGER PRIMARY KEY,
    source_path TEXT NOT NULL UNIQUE,
    slug TEXT NOT NULL UNIQUE,        -- the file name, which content insists is a slug
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    ranked INTEGER NOT NULL,
    draft INTEGER NOT NULL,
    published_at INTEGER NOT NULL,
    updated_at INTEGER,
    intro_html TEXT NOT NULL,
    modified_at INTEGER NOT NULL
) STRICT;
CREATE INDEX lists_by_published ON lists (published_at DESC) WHERE draft = 0;

CREATE TABLE list_items (
    list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,        -- 0 first; a ranked list shows position + 1
    film_title TEXT NOT NULL,
    film_year INTEGER,
    film_slug TEXT NOT NULL,
    tmdb INTEGER,
    imdb TEXT,
    note_html TEXT,
    PRIMARY KEY (list_id, position)
) STRICT, WITHOUT ROWID;
CREATE INDEX list_items_by_film ON list_items (film_slug);
CREATE INDEX list_items_by_tmdb ON list_items (tmdb) WHERE tmdb IS NOT NULL;
CREATE INDEX list_items_by_imdb ON list_items (imdb) WHERE imdb IS NOT NULL;

-- Reviews stored before this migration have no `review_films` row. Forgetting
-- each file's fingerprint (not the file: removals are still noticed) makes
-- the next sync read and store every file again, which writes them.
UPDATE sources SET hash = '', mtime_ns = 0, size = -1;
