//! SQLite FTS5, tuned, against tantivy (Marquee's `search` module), on the
//! same generated reviews: index build time and size, then each class of
//! query a reader types, single client, nothing cached between queries
//! (the page cache is not involved; SQLite's and the OS's caches are warm,
//! as on a running site). BENCHMARKS.md, "Search engines", has the figures.
//!
//! ```sh
//! cargo bench --bench search_engines                      # 10,000 reviews
//! cargo bench --bench search_engines -- --count 1000 --runs 50
//! ```
//!
//! Every query of a class runs `--runs` times, the queries of all classes
//! interleaved; p50 and p99 are over every run of the class.
//!
//! FTS5 variants: `today` is Marquee's table before tantivy (external
//! content, `detail=full`); `full`, `column` and `none` are contentless
//! tables with that `detail`, in files of their own so that their size is
//! the file's. Each is asked what the search page needs: the top 20
//! visible matches by weighted bm25 with the count ("rank + count"), and
//! then, for "page", the facet counts (ratings, years, tags: one GROUP BY
//! each) and, when nothing matched, a typo correction from the
//! `fts5vocab` table and the corrected query.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use marquee::search::{Change, IndexedReview, Request, SearchIndex};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};

/// SQL built with `format!` from the bench's own constants (table and
/// schema names), never from input.
macro_rules! sql {
    ($($format:tt)*) => {
        sqlx::AssertSqlSafe(format!($($format)*))
    };
}

/// The query classes of issue 13, with what a reader of the generated
/// corpus would type for each.
const CLASSES: &[(&str, &[&str])] = &[
    (
        "title word",
        &[
            "harbour",
            "silver",
            "neon",
            "cathedral",
            "wolves",
            "juniper",
            "thunder",
            "meridian",
        ],
    ),
    (
        "director's surname",
        &[
            "petrov",
            "ishikawa",
            "moreau",
            "halloran",
            "kowalski",
            "lindqvist",
            "nakamura",
            "zielinski",
        ],
    ),
    ("year", &["1954", "1971", "1988", "2003", "2016", "2024"]),
    (
        "tag",
        &[
            "noir",
            "western",
            "heist",
            "cannes",
            "restoration",
            "courtroom",
        ],
    ),
    (
        "word in (nearly) every review",
        &["grief", "camera", "the", "performance", "ending"],
    ),
    (
        "16 terms",
        &[
            "the the the the the the the the the the the the the the the the",
            "the film camera grief ending performance score haunting tender light story night silence city scene frame",
        ],
    ),
    (
        "typo, one edit",
        &[
            "harbor", "cathedrl", "junipr", "petrv", "ishikwa", "lanturn",
        ],
    ),
    (
        "typo, two edits",
        &["castelanno", "kathedrall", "zeilinsky", "perfromanse"],
    ),
    (
        "two words, phrase-ish",
        &[
            "silver harbour",
            "glass garden",
            "greta moreau",
            "hiro sato",
            "slow cinema",
            "science fiction",
            "tender performance",
        ],
    ),
];

/// bm25 weights per column: title, film title, director, year, tags, body
/// (tantivy's field weights, `search::schema::weighted`).
const RANK: &str = "bm25(8.0, 10.0, 6.0, 6.0, 5.0, 1.0)";
/// Today's table has no year column.
const RANK_TODAY: &str = "bm25(8.0, 10.0, 6.0, 5.0, 1.0)";

struct Args {
    count: usize,
    runs: usize,
}

fn args() -> Args {
    let mut args = Args {
        count: 10_000,
        runs: 30,
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        let mut value = || given.next().and_then(|value| value.parse().ok());
        match arg.as_str() {
            "--count" => args.count = value().unwrap_or(args.count),
            "--runs" => args.runs = value().unwrap_or(args.runs),
            _ => {} // cargo bench passes --bench
        }
    }
    args
}

fn main() {
    let args = args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(args));
}

async fn run(args: Args) {
    let dir = tempfile::tempdir().expect("temp dir");
    let content = dir.path().join("content");
    marquee::corpus::generate(&content, args.count, 1).expect("corpus");
    let db_path = dir.path().join("marquee.db");
    let started = Instant::now();
    load(&content, &db_path).await;
    eprintln!(
        "{} reviews loaded in {:.1} s",
        args.count,
        started.elapsed().as_secs_f64()
    );
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(&db_path)
                .create_if_missing(true),
        )
        .await
        .expect("database");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    let mut engines: Vec<Box<dyn Engine>> = Vec::new();
    let mut builds = Vec::new();
    for detail in ["full", "column", "none"] {
        let (engine, build) = Fts::build(&pool, dir.path(), detail, now).await;
        builds.push(build);
        engines.push(Box::new(engine));
    }
    let (today, build) = Fts::today(&pool, now).await;
    builds.insert(0, build);
    engines.insert(0, Box::new(today));
    let (tantivy, build) = Tantivy::build(&pool, &dir.path().join("tantivy"), now).await;
    builds.push(build);
    engines.push(Box::new(tantivy));

    println!("\n| engine | build | size |\n|---|---|---|");
    for (name, seconds, bytes) in &builds {
        let size = if *bytes == 0 {
            "inside the database".to_string()
        } else {
            format!("{:.1} MB", *bytes as f64 / 1e6)
        };
        println!("| {name} | {seconds:.2} s | {size} |");
    }
    let mut header = "| class | ".to_string();
    let mut rule = "|---|".to_string();
    for engine in &engines {
        header.push_str(&format!("{} |", engine.name()));
        rule.push_str("---|");
    }
    println!(
        "\np50 / p99 in ms, single client, {} runs of each query\n",
        args.runs
    );
    println!("{header}\n{rule}");
    let mut mix: Vec<Vec<Duration>> = vec![Vec::new(); engines.len()];
    for (class, queries) in CLASSES {
        let mut times: Vec<Vec<Duration>> = vec![Vec::new(); engines.len()];
        for _ in 0..args.runs {
            for query in *queries {
                for (engine, times) in engines.iter_mut().zip(&mut times) {
                    if let Some(took) = engine.time(query).await {
                        times.push(took);
                    }
                }
            }
        }
        let mut line = format!("| {class} |");
        for (times, mix) in times.iter_mut().zip(&mut mix) {
            line.push_str(&format!(" {} |", percentiles(times)));
            mix.extend(times.iter().copied());
        }
        println!("{line}");
    }
    let mut line = "| every class: searches/s (one client) |".to_string();
    for times in &mix {
        let total: Duration = times.iter().sum();
        line.push_str(&format!(
            " {:.0} |",
            times.len() as f64 / total.as_secs_f64()
        ));
    }
    println!("{line}");
    println!("\nWhat each found (total for the first query of each class, corrected as shown):");
    for (class, queries) in CLASSES {
        let mut line = format!("- {class} `{}`:", queries[0]);
        for engine in engines.iter_mut() {
            line.push_str(&format!(
                " {} {};",
                engine.name(),
                engine.describe(queries[0]).await
            ));
        }
        println!("{line}");
    }
}

/// The corpus loaded into a database, as `marquee serve` does.
async fn load(content: &Path, db: &Path) {
    let args = marquee::config::ServeArgs {
        addr: "127.0.0.1:0".parse().unwrap(),
        content: content.to_path_buf(),
        db: db.to_path_buf(),
        base_url: Some("https://films.example".into()),
        static_dir: PathBuf::from("static"),
        drafts: false,
        status_token: None,
        cache_mb: 0,
        cache_disk_mb: 0,
        no_watch: true,
        rescan_secs: 0,
        purge_hook: None,
    };
    let site = marquee::server::load(
        &args,
        marquee::clock::Clock::manual(time::OffsetDateTime::now_utc()),
    )
    .await
    .expect("site loads");
    site.syncer.index_pending().await.expect("indexed");
}

fn percentiles(times: &mut [Duration]) -> String {
    if times.is_empty() {
        return "n/a".into();
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    format!(
        "{:.2} / {:.2}",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3
    )
}

fn size_of(path: &Path) -> u64 {
    if path.is_file() {
        return path.metadata().map(|m| m.len()).unwrap_or(0);
    }
    std::fs::read_dir(path)
        .map(|entries| entries.flatten().map(|entry| size_of(&entry.path())).sum())
        .unwrap_or(0)
}

/// One engine under test.
trait Engine {
    fn name(&self) -> String;
    /// How long one search page's worth of work took; `None` when the
    /// engine cannot run this query (a phrase without positions).
    fn time<'a>(
        &'a mut self,
        query: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<Duration>> + 'a>>;
    /// What the query found, for the reader of the table.
    fn describe<'a>(
        &'a mut self,
        query: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + 'a>>;
}

/// The words of a query, lower case, deduplicated, at most 16.
fn words(query: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
    {
        let word = word.to_lowercase();
        if !words.contains(&word) && words.len() < 16 {
            words.push(word);
        }
    }
    words
}

fn fts_expression(words: &[String]) -> String {
    words
        .iter()
        .map(|word| format!("\"{word}\""))
        .collect::<Vec<_>>()
        .join(" AND ")
}

struct Fts {
    pool: SqlitePool,
    name: String,
    /// The table, as SQL names it.
    table: String,
    vocab: String,
    rank: &'static str,
    now: i64,
}

struct Found {
    total: i64,
    corrected: Option<String>,
}

impl Fts {
    /// Marquee's table before tantivy (migration 0001's, dropped by 0003):
    /// external content, so its size is not a file's.
    async fn today(pool: &SqlitePool, now: i64) -> (Self, (String, f64, u64)) {
        sqlx::query(
            "CREATE VIRTUAL TABLE review_search USING fts5 (
                 title, film_title, director, tags_text, body_text,
                 content = 'reviews', content_rowid = 'id',
                 tokenize = 'unicode61 remove_diacritics 2')",
        )
        .execute(pool)
        .await
        .expect("create");
        let started = Instant::now();
        sqlx::query("INSERT INTO review_search (review_search) VALUES ('rebuild')")
            .execute(pool)
            .await
            .expect("index");
        let took = started.elapsed().as_secs_f64();
        let engine = Fts {
            pool: pool.clone(),
            name: "FTS5 today".into(),
            table: "main.review_search".into(),
            vocab: "temp.vocab_today".into(),
            rank: RANK_TODAY,
            now,
        };
        engine.make_vocab("main", "review_search").await;
        (engine, ("FTS5 today (drafts too)".into(), took, 0))
    }

    /// A contentless table of this `detail` in a file of its own.
    async fn build(
        pool: &SqlitePool,
        dir: &Path,
        detail: &str,
        now: i64,
    ) -> (Self, (String, f64, u64)) {
        let file = dir.join(format!("fts-{detail}.db"));
        let schema = format!("fts_{detail}");
        sqlx::query(sql!("ATTACH DATABASE '{}' AS {schema}", file.display()))
            .execute(pool)
            .await
            .expect("attach");
        sqlx::query(sql!(
            "CREATE VIRTUAL TABLE {schema}.fts USING fts5 (
                 title, film_title, director, year, tags_text, body_text,
                 content = '', detail = {detail},
                 tokenize = 'unicode61 remove_diacritics 2')"
        ))
        .execute(pool)
        .await
        .expect("create");
        let started = Instant::now();
        sqlx::query(sql!(
            "INSERT INTO {schema}.fts (rowid, title, film_title, director, year, tags_text, body_text)
             SELECT id, title, film_title, director, film_year, tags_text, body_text FROM reviews
             WHERE draft = 0"
        ))
        .execute(pool)
        .await
        .expect("index");
        sqlx::query(sql!("INSERT INTO {schema}.fts (fts) VALUES ('optimize')"))
            .execute(pool)
            .await
            .expect("optimize");
        let took = started.elapsed().as_secs_f64();
        sqlx::query(sql!("VACUUM {schema}"))
            .execute(pool)
            .await
            .expect("vacuum");
        let name = format!("FTS5 detail={detail}");
        let engine = Fts {
            pool: pool.clone(),
            name: name.clone(),
            table: format!("{schema}.fts"),
            vocab: format!("temp.vocab_{detail}"),
            rank: RANK,
            now,
        };
        engine.make_vocab(&schema, "fts").await;
        (engine, (name, took, size_of(&file)))
    }

    async fn make_vocab(&self, schema: &str, table: &str) {
        sqlx::query(sql!(
            "CREATE VIRTUAL TABLE {} USING fts5vocab({schema}, {table}, 'row')",
            self.vocab
        ))
        .execute(&self.pool)
        .await
        .expect("vocab");
    }

    /// The top 20 and the count, as Marquee's search statement asked them.
    async fn rank_and_count(&self, expression: &str) -> sqlx::Result<(Vec<i64>, i64)> {
        let ids: Vec<i64> = sqlx::query_scalar(sql!(
            "SELECT r.id FROM {t} AS f JOIN reviews r ON r.id = f.rowid
             WHERE f.{n} MATCH ?1 AND f.rank MATCH '{rank}'
               AND r.draft = 0 AND r.published_at <= ?2
             ORDER BY f.rank LIMIT 20",
            t = self.table,
            n = self.column_name(),
            rank = self.rank,
        ))
        .bind(expression)
        .bind(self.now)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar(sql!(
            "SELECT COUNT(*) FROM {t} AS f JOIN reviews r INDEXED BY reviews_visibility ON r.id = f.rowid
             WHERE f.{n} MATCH ?1 AND r.draft = 0 AND r.published_at <= ?2",
            t = self.table,
            n = self.column_name(),
        ))
        .bind(expression)
        .bind(self.now)
        .fetch_one(&self.pool)
        .await?;
        Ok((ids, total))
    }

    /// The table's own name, the hidden column MATCH compares with.
    fn column_name(&self) -> &str {
        self.table.rsplit('.').next().unwrap_or("fts")
    }

    /// Facet counts: ratings, years and tags over the visible matches.
    async fn facets(&self, expression: &str) -> sqlx::Result<usize> {
        let mut rows = 0;
        for (select, join) in [
            ("r.rating_halves", ""),
            ("r.film_year", ""),
            ("t.slug", "JOIN review_tags t ON t.review_id = r.id"),
        ] {
            let found = sqlx::query(sql!(
                "SELECT {select}, COUNT(*) FROM {t} AS f JOIN reviews r ON r.id = f.rowid {join}
                 WHERE f.{n} MATCH ?1 AND r.draft = 0 AND r.published_at <= ?2 GROUP BY 1",
                t = self.table,
                n = self.column_name(),
            ))
            .bind(expression)
            .bind(self.now)
            .fetch_all(&self.pool)
            .await?;
            rows += found.len();
        }
        Ok(rows)
    }

    /// Each word the vocabulary lacks, replaced by its closest word there
    /// (Meilisearch's typo allowance, the most frequent among equals).
    async fn correct(&self, words: &[String]) -> sqlx::Result<Option<Vec<String>>> {
        let mut changed = false;
        let mut out = Vec::new();
        for word in words {
            let known: Option<i64> =
                sqlx::query_scalar(sql!("SELECT doc FROM {} WHERE term = ?", self.vocab))
                    .bind(word)
                    .fetch_optional(&self.pool)
                    .await?;
            let typos = match word.chars().count() {
                0..=4 => 0,
                5..=8 => 1,
                _ => 2,
            };
            if known.is_some() || typos == 0 || !word.chars().all(char::is_alphabetic) {
                out.push(word.clone());
                continue;
            }
            let len = word.chars().count() as i64;
            let candidates = sqlx::query(sql!(
                "SELECT term, doc FROM {} WHERE length(term) BETWEEN ?1 AND ?2",
                self.vocab
            ))
            .bind(len - typos)
            .bind(len + typos)
            .fetch_all(&self.pool)
            .await?;
            let best = candidates
                .iter()
                .map(|row| (row.get::<String, _>(0), row.get::<i64, _>(1)))
                .map(|(term, doc)| (strsim::osa_distance(word, &term), term, doc))
                .filter(|(distance, _, _)| *distance > 0 && *distance <= typos as usize)
                .min_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)).then(a.1.cmp(&b.1)));
            match best {
                Some((_, term, _)) => {
                    changed = true;
                    out.push(term);
                }
                None => out.push(word.clone()),
            }
        }
        Ok(changed.then_some(out))
    }

    /// What the search page needs, as FTS5 would give it.
    async fn page(&self, query: &str) -> sqlx::Result<Found> {
        let words = words(query);
        let expression = fts_expression(&words);
        let (_, total) = self.rank_and_count(&expression).await?;
        if total > 0 {
            self.facets(&expression).await?;
            return Ok(Found {
                total,
                corrected: None,
            });
        }
        let Some(corrected) = self.correct(&words).await? else {
            return Ok(Found {
                total,
                corrected: None,
            });
        };
        let expression = fts_expression(&corrected);
        let (_, total) = self.rank_and_count(&expression).await?;
        self.facets(&expression).await?;
        Ok(Found {
            total,
            corrected: Some(corrected.join(" ")),
        })
    }
}

impl Engine for Fts {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn time<'a>(
        &'a mut self,
        query: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<Duration>> + 'a>> {
        Box::pin(async move {
            let started = Instant::now();
            self.page(query).await.ok()?;
            Some(started.elapsed())
        })
    }

    fn describe<'a>(
        &'a mut self,
        query: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + 'a>> {
        Box::pin(async move {
            match self.page(query).await {
                Ok(Found {
                    total,
                    corrected: Some(text),
                }) => format!("{total} (as \"{text}\")"),
                Ok(found) => found.total.to_string(),
                Err(error) => format!("error ({error})"),
            }
        })
    }
}

struct Tantivy {
    index: SearchIndex,
    now: i64,
}

impl Tantivy {
    async fn build(pool: &SqlitePool, dir: &Path, now: i64) -> (Self, (String, f64, u64)) {
        let mut tags: HashMap<i64, Vec<(String, String)>> = HashMap::new();
        for row in sqlx::query(
            "SELECT review_id, slug, name FROM review_tags ORDER BY review_id, position",
        )
        .fetch_all(pool)
        .await
        .expect("tags")
        {
            tags.entry(row.get(0))
                .or_default()
                .push((row.get(1), row.get(2)));
        }
        let rows = sqlx::query(
            "SELECT id, title, film_title, director, body_text, rating_halves, film_year, published_at
             FROM reviews WHERE draft = 0",
        )
        .fetch_all(pool)
        .await
        .expect("reviews");
        let changes: Vec<Change> = rows
            .into_iter()
            .map(|row| {
                let id: i64 = row.get(0);
                Change::Put(Box::new(IndexedReview {
                    id,
                    title: row.get(1),
                    film_title: row.get(2),
                    director: row.get(3),
                    body: row.get(4),
                    rating: row.get::<Option<i64>, _>(5).map(|r| r as u64),
                    film_year: row.get::<Option<i64>, _>(6).map(|y| y as u64),
                    published: row.get(7),
                    tags: tags.remove(&id).unwrap_or_default(),
                }))
            })
            .collect();
        let started = Instant::now();
        let (index, _) = SearchIndex::open(dir, "bench").expect("index");
        index.write(changes).expect("write");
        index.commit("bench").expect("commit");
        let took = started.elapsed().as_secs_f64();
        let name = "tantivy".to_string();
        (Tantivy { index, now }, (name, took, size_of(dir)))
    }

    fn search(&self, query: &str) -> marquee::search::Outcome {
        self.index
            .search(
                &Request {
                    text: query.to_string(),
                    page: 1,
                    per_page: 20,
                    ..Request::default()
                },
                self.now,
            )
            .expect("search")
    }
}

impl Engine for Tantivy {
    fn name(&self) -> String {
        "tantivy".into()
    }

    fn time<'a>(
        &'a mut self,
        query: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<Duration>> + 'a>> {
        Box::pin(async move {
            let started = Instant::now();
            std::hint::black_box(self.search(query));
            Some(started.elapsed())
        })
    }

    fn describe<'a>(
        &'a mut self,
        query: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + 'a>> {
        Box::pin(async move {
            let outcome = self.search(query);
            match outcome.correction {
                Some(correction) => format!("{} (as \"{}\")", outcome.total, correction.text),
                None => outcome.total.to_string(),
            }
        })
    }
}
