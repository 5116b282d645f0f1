-- Facts about the local images reviews show (their posters), so that a
-- page renders `width`, `height` and the derivatives' names without
-- opening the image. The publisher keeps it in step after each sync
-- (src/publish/imaging.rs): it stats every poster a review names, and
-- reads and hashes only those whose size or mtime moved. Like the rest of
-- the database it is a cache of the files.
--
-- One row per (review, image as written): two reviews naming one file
-- get a row each, and share derivatives through the hash. An image that
-- cannot be used has `error` set and no facts; the status page and
-- `marquee check` name it on the review's `film.poster`.
CREATE TABLE images (
    review_path TEXT NOT NULL,
    reference   TEXT NOT NULL,            -- as the review names it
    root        TEXT NOT NULL CHECK (root IN ('content', 'static')),
    file        TEXT NOT NULL,            -- under the root, `/` separated
    mtime_ns    INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    hash        TEXT,                     -- xxh3-128 of the bytes
    width       INTEGER,                  -- upright (EXIF orientation applied)
    height      INTEGER,
    format      TEXT CHECK (format IN ('jpeg', 'png', 'webp')),
    error       TEXT,
    PRIMARY KEY (review_path, reference),
    CHECK ((error IS NULL) = (hash IS NOT NULL))
) WITHOUT ROWID;

-- Serving a derivative finds its source by hash.
CREATE INDEX images_by_hash ON images (hash);
