-- Images in a review, beyond a measured local poster.
--
-- `body_images`: the local images a review's body shows (a bundle's files,
-- or under static/), as the HTML links them: a JSON array of paths. The
-- publisher makes their sizes like a poster's (src/publish/imaging.rs),
-- and the review page gives each `srcset`, `width` and `height` from
-- `images`. Bodies stored before this column are rendered again at the
-- next sync (the renderer's version went up), which fills it.
--
-- `poster_width`, `poster_height`: a poster URL's size as the editor gave
-- it, so pages reserve its shape (a local file's is read from the file).
ALTER TABLE reviews ADD COLUMN body_images TEXT NOT NULL DEFAULT '[]';
ALTER TABLE reviews ADD COLUMN poster_width INTEGER;
ALTER TABLE reviews ADD COLUMN poster_height INTEGER;
