-- A search names the films whose slugs begin with what was typed
-- (src/db/search/titles.rs): up to a hundred reviews for a common word of a
-- title ("silver"), each checked for visibility and read for its film's
-- title and year. Read from the table, each is a row whose first page also
-- holds the start of its body: 1-1.3 ms of page reads per search on 10,000
-- reviews, more than the rest of the search. This index holds every column
-- the query reads from a review, so the query reads the index alone (it
-- names it with INDEXED BY: SQLite would otherwise look rows up by rowid).
CREATE INDEX reviews_film_names ON reviews (id, draft, published_at, film_title, film_year);
