-- "Related" under a review page weighs up to a few thousand candidates (the
-- reviews sharing a tag with it). Read from the table, each is a row whose
-- first page also holds the start of its body: on 10,000 reviews that was
-- 3 ms of page reads per render. This index holds every column the query
-- reads from a candidate, so it reads the index alone (src/db/related.rs
-- names it with INDEXED BY: SQLite would otherwise look rows up by rowid).
CREATE INDEX reviews_related ON reviews
    (id, draft, published_at, rating_halves, film_year, director_slug, slug);
