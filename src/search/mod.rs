//! The search engine: a tantivy index of the reviews, between the store and
//! the web layer. Chosen over SQLite FTS5 by measurement (BENCHMARKS.md,
//! "Search engines"): FTS5 must score every match of a common word, and
//! has no term dictionary to correct typos against or fast fields to
//! count facets from.
//!
//! The index is a cache, like the database: the publisher feeds it from
//! the database after each sync commits (`publish::indexing`), and it can
//! be rebuilt from the database at any time. It holds no SQL and no HTML.
//! It lives beside the database, in a folder named after it; a commit
//! carries the database's identity, so an index left beside another
//! database (a rebuilt or restored one) is not taken for its own.
//!
//! A reader's query is one call: `SearchIndex::search`, with the text,
//! the filters and the page; the result is the page's review ids in rank
//! order, the total, facet counts, and the typo correction applied or
//! suggested. Drafts are never indexed; a scheduled review is indexed with
//! its publication time and skipped until then.

mod collect;
mod query;
mod schema;
mod typo;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use tantivy::query::{BooleanQuery, BoostQuery, EmptyQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

use collect::{Gather, Gathered};
pub use query::{MAX_TERMS, QueryTerm};
use schema::Fields;

/// Why the index could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// tantivy refused: a damaged or missing file, a full disk.
    #[error("search index: {0}")]
    Engine(#[from] tantivy::TantivyError),
    /// Reading the index's files failed.
    #[error("search index: {0}")]
    Io(#[from] std::io::Error),
}

/// Filters a reader chose; each narrows the matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// A tag's slug.
    pub tag: Option<String>,
    /// A minimum rating, in half stars.
    pub rating: Option<u64>,
    /// The film's year.
    pub year: Option<u64>,
    /// The film's decade, as its first year (1970 for the 1970s).
    pub decade: Option<u64>,
}

/// A reader's search.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// What was typed.
    pub text: String,
    /// The filters chosen.
    pub filters: Filters,
    /// From 1.
    pub page: usize,
    /// Results per page.
    pub per_page: usize,
    /// Search for exactly what was typed: suggest a correction rather than
    /// apply it (the "search instead for" link).
    pub exact: bool,
}

/// What a search found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Visible matches that pass the filters, on every page.
    pub total: usize,
    /// This page's reviews, best first.
    pub ids: Vec<i64>,
    /// The terms searched (corrected, when a correction was applied), for
    /// the snippets to highlight.
    pub terms: Vec<QueryTerm>,
    /// Distinct terms beyond `MAX_TERMS`, not searched.
    pub ignored: usize,
    /// A typo correction, applied or suggested.
    pub correction: Option<Correction>,
    /// Counts per tag, rating, year and decade over the matches.
    pub facets: Facets,
    /// What the search cost, for the tests of the cost caps.
    pub work: Work,
}

/// A query with its typos corrected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    /// The corrected query, as a reader would type it.
    pub text: String,
    /// Shown instead of the query as typed ("Showing results for"), rather
    /// than only suggested ("Did you mean").
    pub applied: bool,
}

/// Counts beside the results: how many matches each filter would leave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// Tag slugs, most matches first.
    pub tags: Vec<(String, usize)>,
    /// Minimum ratings in half stars (whole stars, 5 down to 1), with how
    /// many matches have at least that.
    pub ratings: Vec<(u64, usize)>,
    /// Film years, most matches first.
    pub years: Vec<(u64, usize)>,
    /// Decades (their first year), latest first.
    pub decades: Vec<(u64, usize)>,
}

/// The work a search did: what bounds its cost, whatever the machine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Terms looked up in a dictionary (a term in a field, a segment's
    /// dictionary searched for a prefix or a typo).
    pub lookups: usize,
    /// Matching reviews scored and counted.
    pub examined: usize,
}

/// A review as the index takes it, from the database.
#[derive(Debug, Clone)]
pub struct IndexedReview {
    /// The row id in SQLite.
    pub id: i64,
    /// The headline.
    pub title: String,
    /// The film's title.
    pub film_title: String,
    /// The film's director.
    pub director: Option<String>,
    /// Tags as (slug, name).
    pub tags: Vec<(String, String)>,
    /// The body's plain text.
    pub body: String,
    /// In half stars.
    pub rating: Option<u64>,
    /// The film's year.
    pub film_year: Option<u64>,
    /// Unix seconds.
    pub published: i64,
}

/// One change to the index.
#[derive(Debug, Clone)]
pub enum Change {
    /// Adds the review, or replaces the one with its id.
    Put(Box<IndexedReview>),
    /// Removes the review with this id, if indexed (a draft, a deletion).
    Remove(i64),
}

/// How many prefix expansions a `word*` term searches: the most frequent.
const MAX_EXPANSIONS: usize = 16;
/// How many words a prefix may scan in one dictionary: a bound on the
/// work of `a*`-like prefixes on a large vocabulary.
const MAX_PREFIX_SCAN: usize = 2_000;
/// How many tags and years the facets list.
const FACET_ROWS: usize = 12;
/// The writer's threads and memory: one thread, tantivy's minimum budget
/// and a little more. Edits are a few reviews; a first start's 10,000 take
/// a second or two more than with two threads, while the site is served
/// (BENCHMARKS.md), and the budget counts in the process's memory.
const WRITER_THREADS: usize = 1;
const WRITER_BYTES: usize = 24_000_000;

/// The index, its reader, and a writer made on first use.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    writer: Mutex<Option<IndexWriter>>,
    analyzer: TextAnalyzer,
    /// False for the stand-in of an index that could not be opened (a site
    /// served read-only): its results are incomplete.
    available: bool,
    /// Held by the publisher from a sync's commit until the index has its
    /// changes (`hold`); searches wait for it (`settled`), so that a review
    /// whose page is live is found.
    feeding: tokio::sync::RwLock<()>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("docs", &self.num_docs())
            .finish_non_exhaustive()
    }
}

/// How `SearchIndex::open` found the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// The index there, committed for this database.
    Kept,
    /// Made anew (missing, damaged, another database's, another schema):
    /// every review must be fed again.
    Made,
}

impl SearchIndex {
    /// Opens the index in `dir` if it is this database's (`identity`, as
    /// the last commit noted it), or makes an empty one there in its place.
    pub fn open(dir: &Path, identity: &str) -> Result<(Self, Opened), SearchError> {
        match Self::open_as_it_is(dir, identity) {
            Ok(Some(index)) => return Ok((index, Opened::Kept)),
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, dir = %dir.display(), "the search index cannot be read; rebuilding it");
            }
        }
        match std::fs::remove_dir_all(dir) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error.into()),
            _ => {}
        }
        std::fs::create_dir_all(dir)?;
        let (schema, _) = schema::build();
        let index = Index::create_in_dir(dir, schema)?;
        Ok((Self::with_index(index)?, Opened::Made))
    }

    /// An empty index in memory: for a site served read-only whose index
    /// cannot be opened, and for tests.
    pub fn in_memory() -> Self {
        let (schema, _) = schema::build();
        Self::with_index(Index::create_in_ram(schema)).expect("an index in memory opens")
    }

    /// A stand-in for an index that could not be opened: empty, and
    /// saying that its results are incomplete.
    pub fn unavailable() -> Self {
        Self {
            available: false,
            ..Self::in_memory()
        }
    }

    /// Whether the results may lack reviews for want of an index.
    pub fn is_available(&self) -> bool {
        self.available
    }

    /// The index in `dir` when it is this database's and of this schema,
    /// opened without writing anything.
    pub fn open_as_it_is(dir: &Path, identity: &str) -> Result<Option<Self>, SearchError> {
        if !dir.join("meta.json").exists() {
            return Ok(None);
        }
        let index = Index::open_in_dir(dir)?;
        let (schema, _) = schema::build();
        if index.schema() != schema {
            tracing::info!("the search index has another schema; rebuilding it");
            return Ok(None);
        }
        if index.load_metas()?.payload.as_deref() != Some(identity) {
            tracing::info!("the search index is not this database's; rebuilding it");
            return Ok(None);
        }
        Ok(Some(Self::with_index(index)?))
    }

    fn with_index(index: Index) -> Result<Self, SearchError> {
        schema::register(&index);
        let (_, fields) = schema::build();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            fields,
            writer: Mutex::new(None),
            analyzer: schema::analyzer(),
            available: true,
            feeding: tokio::sync::RwLock::new(()),
        })
    }

    /// Marks the index as about to take a sync's changes, until the guard
    /// is dropped: taken before the database commits, dropped once the
    /// index has committed too.
    pub async fn hold(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.feeding.write().await
    }

    /// Waits until no sync's changes are on their way to the index.
    pub async fn settled(&self) {
        drop(self.feeding.read().await);
    }

    /// How many reviews the index holds (scheduled ones included).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Runs `work` with the writer, made on first use. A failure drops the
    /// writer and whatever it held uncommitted: the changes stay queued in
    /// the database and are given again.
    fn with_writer<T>(
        &self,
        work: impl FnOnce(&mut IndexWriter) -> Result<T, SearchError>,
    ) -> Result<T, SearchError> {
        let mut guard = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let writer = match guard.as_mut() {
            Some(writer) => writer,
            None => guard.insert(
                self.index
                    .writer_with_num_threads(WRITER_THREADS, WRITER_BYTES)?,
            ),
        };
        let result = work(writer);
        if result.is_err() {
            *guard = None;
        }
        result
    }

    /// Applies changes; searches see them after `commit`.
    pub fn write(&self, changes: Vec<Change>) -> Result<(), SearchError> {
        self.with_writer(|writer| {
            for change in changes {
                let id = match &change {
                    Change::Put(review) => review.id,
                    Change::Remove(id) => *id,
                };
                writer.delete_term(Term::from_field_u64(self.fields.id, id as u64));
                if let Change::Put(review) = change {
                    writer.add_document(self.document(&review))?;
                }
            }
            Ok(())
        })
    }

    /// Makes what was written visible to searches, noting `identity` (the
    /// database's) in the commit.
    pub fn commit(&self, identity: &str) -> Result<(), SearchError> {
        self.with_writer(|writer| {
            let mut commit = writer.prepare_commit()?;
            commit.set_payload(identity);
            commit.commit()?;
            Ok(())
        })?;
        self.reader.reload()?;
        Ok(())
    }

    /// Removes every review, for an index to be fed anew.
    pub fn clear(&self, identity: &str) -> Result<(), SearchError> {
        self.with_writer(|writer| Ok(writer.delete_all_documents()?))?;
        self.commit(identity)
    }

    fn document(&self, review: &IndexedReview) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.id, review.id as u64);
        doc.add_text(f.title, &review.title);
        doc.add_text(f.film_title, &review.film_title);
        if let Some(director) = &review.director {
            doc.add_text(f.director, director);
        }
        for (slug, name) in &review.tags {
            doc.add_text(f.tag, slug);
            doc.add_text(f.tag_words, name);
        }
        if let Some(year) = review.film_year {
            doc.add_u64(f.year, year);
            doc.add_text(f.year_word, year.to_string());
        }
        if let Some(rating) = review.rating {
            doc.add_u64(f.rating, rating);
        }
        doc.add_i64(f.published, review.published);
        doc.add_text(f.body, &review.body);
        doc
    }

    /// A reader's search (see the module's comment); `now` in unix seconds.
    pub fn search(&self, request: &Request, now: i64) -> Result<Outcome, SearchError> {
        let searcher = self.reader.searcher();
        let mut analyzer = self.analyzer.clone();
        let parsed = query::parse(&request.text, &mut analyzer);
        let mut work = Work::default();
        if parsed.terms.is_empty() {
            return Ok(Outcome::default());
        }
        let run = |terms: &[QueryTerm], work: &mut Work| {
            let mut search = Search {
                searcher: &searcher,
                fields: &self.fields,
                work,
            };
            search.run(terms, request, now)
        };
        let exact = run(&parsed.terms, &mut work)?;
        let corrected = if exact.total == 0 {
            corrected(&searcher, &self.fields, &parsed.terms, &mut work)?
        } else {
            None
        };
        let outcome = |gathered: Gathered, terms: Vec<QueryTerm>, correction, work| Outcome {
            total: gathered.total,
            ids: page_ids(&gathered, request),
            facets: facets(&gathered),
            terms,
            ignored: parsed.ignored,
            correction,
            work,
        };
        if let Some(terms) = corrected {
            let fixed = run(&terms, &mut work)?;
            if fixed.total > 0 {
                let text = query::Parsed {
                    terms: terms.clone(),
                    ignored: 0,
                }
                .display();
                if request.exact {
                    let correction = Correction {
                        text,
                        applied: false,
                    };
                    return Ok(outcome(exact, parsed.terms, Some(correction), work));
                }
                let correction = Correction {
                    text,
                    applied: true,
                };
                return Ok(outcome(fixed, terms, Some(correction), work));
            }
        }
        Ok(outcome(exact, parsed.terms.clone(), None, work))
    }
}

/// This page's ids, from the best hits gathered up to its end.
fn page_ids(gathered: &Gathered, request: &Request) -> Vec<i64> {
    let offset = request.page.saturating_sub(1) * request.per_page;
    gathered
        .best
        .iter()
        .skip(offset)
        .take(request.per_page)
        .map(|ranked| ranked.id as i64)
        .collect()
}

/// The facets of a pass, in the order the page lists them.
fn facets(gathered: &Gathered) -> Facets {
    let mut tags: Vec<(String, usize)> = gathered
        .tags
        .iter()
        .map(|(tag, count)| (tag.clone(), *count))
        .collect();
    tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    tags.truncate(FACET_ROWS);
    let ratings = (1..=5u64)
        .rev()
        .map(|stars| {
            let at_least: usize = gathered.ratings.range(stars * 2..).map(|(_, n)| n).sum();
            (stars * 2, at_least)
        })
        .filter(|(_, count)| *count > 0)
        .collect();
    let mut years: Vec<(u64, usize)> = gathered.years.iter().map(|(y, n)| (*y, *n)).collect();
    years.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    years.truncate(FACET_ROWS);
    let decades = gathered
        .decades
        .iter()
        .rev()
        .map(|(d, n)| (*d, *n))
        .collect();
    Facets {
        tags,
        ratings,
        years,
        decades,
    }
}

/// The text fields, with their weights (see `schema::weighted`).
fn text_fields(fields: &Fields) -> impl Iterator<Item = Field> {
    schema::weighted(fields).into_iter().map(|(field, _)| field)
}

/// The terms with each word the index lacks replaced by its correction;
/// `None` when no word needed one or none could be found.
fn corrected(
    searcher: &Searcher,
    fields: &Fields,
    terms: &[QueryTerm],
    work: &mut Work,
) -> Result<Option<Vec<QueryTerm>>, SearchError> {
    let text: Vec<Field> = text_fields(fields).collect();
    let mut changed = false;
    let mut out = Vec::with_capacity(terms.len());
    for term in terms {
        let mut term = term.clone();
        if !term.prefix {
            for word in &mut term.words {
                let mut frequency = 0;
                for &field in &text {
                    work.lookups += 1;
                    frequency += searcher.doc_freq(&Term::from_field_text(field, word))?;
                }
                if frequency > 0 {
                    continue;
                }
                if let Some(fixed) = typo::correct(searcher, &text, word, &mut work.lookups)? {
                    *word = fixed;
                    changed = true;
                }
            }
        }
        if !out.contains(&term) {
            out.push(term);
        }
    }
    Ok(changed.then_some(out))
}

/// One search's state: the searcher and what it has cost.
struct Search<'a> {
    searcher: &'a Searcher,
    fields: &'a Fields,
    work: &'a mut Work,
}

impl Search<'_> {
    /// Every term must match (in any field); the filters, visibility and
    /// the page are the collector's.
    fn run(
        &mut self,
        terms: &[QueryTerm],
        request: &Request,
        now: i64,
    ) -> Result<Gathered, SearchError> {
        let mut clauses = Vec::with_capacity(terms.len());
        for term in terms {
            clauses.push((Occur::Must, self.term_query(term)?));
        }
        let query: Box<dyn Query> = if clauses.len() == 1 {
            clauses.remove(0).1
        } else {
            Box::new(BooleanQuery::new(clauses))
        };
        let gather = Gather {
            filters: &request.filters,
            now,
            keep: request.page.max(1) * request.per_page,
        };
        let gathered = self.searcher.search(&query, &gather)?;
        self.work.examined += gathered.examined;
        Ok(gathered)
    }

    /// A term in any text field, each field weighted.
    fn term_query(&mut self, term: &QueryTerm) -> Result<Box<dyn Query>, SearchError> {
        let words: Vec<String> = if term.prefix {
            self.expansions(&term.words[0])?
        } else {
            vec![]
        };
        let mut fields = Vec::new();
        for (field, weight) in schema::weighted(self.fields) {
            let per_field: Box<dyn Query> = if term.prefix {
                let options = words
                    .iter()
                    .map(|word| (Occur::Should, self.word_query(field, word)))
                    .collect();
                Box::new(BooleanQuery::new(options))
            } else if let [word] = term.words.as_slice() {
                self.word_query(field, word)
            } else {
                self.work.lookups += term.words.len();
                let terms = term
                    .words
                    .iter()
                    .map(|word| Term::from_field_text(field, word))
                    .collect();
                Box::new(PhraseQuery::new(terms))
            };
            fields.push((
                Occur::Should,
                Box::new(BoostQuery::new(per_field, weight)) as Box<dyn Query>,
            ));
        }
        if term.prefix && words.is_empty() {
            return Ok(Box::new(EmptyQuery));
        }
        Ok(Box::new(BooleanQuery::new(fields)))
    }

    fn word_query(&mut self, field: Field, word: &str) -> Box<dyn Query> {
        self.work.lookups += 1;
        Box::new(TermQuery::new(
            Term::from_field_text(field, word),
            IndexRecordOption::WithFreqs,
        ))
    }

    /// The words that begin with `prefix`, the `MAX_EXPANSIONS` found in
    /// the most reviews (then alphabetically).
    fn expansions(&mut self, prefix: &str) -> Result<Vec<String>, SearchError> {
        let mut found: HashMap<String, u64> = HashMap::new();
        for field in text_fields(self.fields) {
            for segment in self.searcher.segment_readers() {
                self.work.lookups += 1;
                let index = segment.inverted_index(field)?;
                let mut stream = index.terms().range().ge(prefix.as_bytes()).into_stream()?;
                let mut scanned = 0;
                while stream.advance() && scanned < MAX_PREFIX_SCAN {
                    scanned += 1;
                    if !stream.key().starts_with(prefix.as_bytes()) {
                        break;
                    }
                    if let Ok(word) = std::str::from_utf8(stream.key()) {
                        *found.entry(word.to_string()).or_default() +=
                            u64::from(stream.value().doc_freq);
                    }
                }
            }
        }
        let mut words: Vec<(String, u64)> = found.into_iter().collect();
        words.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(words
            .into_iter()
            .take(MAX_EXPANSIONS)
            .map(|(word, _)| word)
            .collect())
    }
}

#[cfg(test)]
mod tests;
