//! One pass over the matches of a query: the page's best hits, how many
//! there are in all, and the counts beside them (tags, ratings, years,
//! decades), reading each match's fast fields once.
//!
//! Each facet is counted over the matches that pass every filter but its
//! own, so that its counts say what clicking it would show: with `tag=war`
//! chosen, the tag counts are what each other tag would give instead.
//! Matches published after `now` (scheduled reviews) are skipped.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::Filters;

/// Collects what a results page needs (see the module's comment).
pub(crate) struct Gather<'a> {
    pub(crate) filters: &'a Filters,
    /// Unix seconds: matches published later are not visible yet.
    pub(crate) now: i64,
    /// How many of the best hits to keep: the page's end.
    pub(crate) keep: usize,
}

/// What one pass gathered.
#[derive(Debug, Default)]
pub(crate) struct Gathered {
    /// The best hits, best first, as review ids with their scores.
    pub(crate) best: Vec<Ranked>,
    /// Visible matches that pass every filter.
    pub(crate) total: usize,
    /// Matches the query found and the collector looked at: the work done.
    pub(crate) examined: usize,
    pub(crate) tags: HashMap<String, usize>,
    /// Counts by rating, in half stars.
    pub(crate) ratings: BTreeMap<u64, usize>,
    pub(crate) years: BTreeMap<u64, usize>,
    /// Counts by decade, as its first year.
    pub(crate) decades: BTreeMap<u64, usize>,
}

/// A hit: higher scores first, then lower ids, so that ties fall the same
/// way however the index was built.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ranked {
    pub(crate) score: Score,
    pub(crate) id: u64,
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then(other.id.cmp(&self.id))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

/// The fast fields of one segment, and what was gathered from it.
pub(crate) struct SegmentGather {
    id: Column<u64>,
    rating: Column<u64>,
    year: Column<u64>,
    published: Column<i64>,
    tags: Option<StrColumn>,
    /// The chosen tag's number in this segment's tag column; `None` with a
    /// tag chosen means no review of this segment has it.
    chosen_tag: Option<u64>,
    filters: Filters,
    now: i64,
    keep: usize,
    /// The best hits so far, worst on top.
    best: BinaryHeap<Reverse<Ranked>>,
    total: usize,
    examined: usize,
    /// Counts by tag number in this segment's column.
    tag_counts: Vec<usize>,
    ratings: Tally,
    years: Tally,
    decades: Tally,
}

/// Counts by value over the range a column holds, in a flat array: a map
/// entry for every match was a fifth of the cost of a search for a word in
/// every review.
struct Tally {
    /// The first value counted.
    base: u64,
    /// Values are counted by `value / per`: 10 counts decades.
    per: u64,
    counts: Vec<usize>,
}

impl Tally {
    /// Room for every value `column` holds in this segment.
    fn over(column: &Column<u64>, per: u64) -> Self {
        let base = column.min_value() / per;
        let last = column.max_value() / per;
        // Years and ratings span little; a bound in case of nonsense.
        let len = last.saturating_sub(base).saturating_add(1).min(100_000);
        Self {
            base,
            per,
            counts: vec![0; len as usize],
        }
    }

    fn add(&mut self, value: u64) {
        let slot = (value / self.per).checked_sub(self.base);
        if let Some(count) = slot.and_then(|slot| self.counts.get_mut(slot as usize)) {
            *count += 1;
        }
    }

    /// The counts that are not zero, by value (a decade as its first year).
    fn into_map(self) -> BTreeMap<u64, usize> {
        self.counts
            .into_iter()
            .enumerate()
            .filter(|(_, count)| *count > 0)
            .map(|(slot, count)| ((self.base + slot as u64) * self.per, count))
            .collect()
    }
}

impl Collector for Gather<'_> {
    type Fruit = Gathered;
    type Child = SegmentGather;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentGather> {
        let fast = reader.fast_fields();
        let tags = fast.str("tag")?;
        let chosen_tag = match (&self.filters.tag, &tags) {
            (Some(tag), Some(column)) => column.dictionary().term_ord(tag.as_bytes())?,
            _ => None,
        };
        let tag_terms = tags.as_ref().map_or(0, |column| column.num_terms());
        let rating = fast.u64("rating")?;
        let year = fast.u64("year")?;
        Ok(SegmentGather {
            id: fast.u64("id")?,
            ratings: Tally::over(&rating, 1),
            years: Tally::over(&year, 1),
            decades: Tally::over(&year, 10),
            rating,
            year,
            published: fast.i64("published")?,
            tags,
            chosen_tag,
            filters: self.filters.clone(),
            now: self.now,
            keep: self.keep,
            best: BinaryHeap::new(),
            total: 0,
            examined: 0,
            tag_counts: vec![0; tag_terms],
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Gathered>) -> tantivy::Result<Gathered> {
        let mut merged = Gathered::default();
        for fruit in fruits {
            merged.best.extend(fruit.best);
            merged.total += fruit.total;
            merged.examined += fruit.examined;
            for (tag, count) in fruit.tags {
                *merged.tags.entry(tag).or_default() += count;
            }
            for (rating, count) in fruit.ratings {
                *merged.ratings.entry(rating).or_default() += count;
            }
            for (year, count) in fruit.years {
                *merged.years.entry(year).or_default() += count;
            }
            for (decade, count) in fruit.decades {
                *merged.decades.entry(decade).or_default() += count;
            }
        }
        merged.best.sort_by(|a, b| b.cmp(a));
        merged.best.truncate(self.keep);
        Ok(merged)
    }
}

/// Which filters one match passes.
struct Passes {
    tag: bool,
    rating: bool,
    year: bool,
    decade: bool,
}

impl Passes {
    fn all(&self) -> bool {
        self.tag && self.rating && self.year && self.decade
    }
}

impl SegmentGather {
    fn passes(&self, doc: DocId, rating: Option<u64>, year: Option<u64>) -> Passes {
        let tag = match (&self.filters.tag, self.chosen_tag, &self.tags) {
            (None, _, _) => true,
            (Some(_), Some(chosen), Some(column)) => column.term_ords(doc).any(|ord| ord == chosen),
            (Some(_), _, _) => false,
        };
        let rating = self
            .filters
            .rating
            .is_none_or(|min| rating.is_some_and(|halves| halves >= min));
        Passes {
            tag,
            rating,
            year: self.filters.year.is_none_or(|wanted| year == Some(wanted)),
            decade: self
                .filters
                .decade
                .is_none_or(|decade| year.is_some_and(|year| year / 10 * 10 == decade)),
        }
    }
}

impl SegmentCollector for SegmentGather {
    type Fruit = Gathered;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.examined += 1;
        if self.published.first(doc).is_none_or(|at| at > self.now) {
            return;
        }
        let rating = self.rating.first(doc);
        let year = self.year.first(doc);
        let passes = self.passes(doc, rating, year);
        if let Some(column) = &self.tags
            && passes.rating
            && passes.year
            && passes.decade
        {
            for ord in column.term_ords(doc) {
                if let Some(count) = self.tag_counts.get_mut(ord as usize) {
                    *count += 1;
                }
            }
        }
        if let Some(rating) = rating
            && passes.tag
            && passes.year
            && passes.decade
        {
            self.ratings.add(rating);
        }
        if let Some(year) = year
            && passes.tag
            && passes.rating
        {
            if passes.decade {
                self.years.add(year);
            }
            if passes.year {
                self.decades.add(year);
            }
        }
        if !passes.all() {
            return;
        }
        self.total += 1;
        let Some(id) = self.id.first(doc) else {
            return;
        };
        let ranked = Ranked { score, id };
        if self.best.len() < self.keep {
            self.best.push(Reverse(ranked));
        } else if self.best.peek().is_some_and(|worst| ranked > worst.0) {
            self.best.pop();
            self.best.push(Reverse(ranked));
        }
    }

    fn harvest(self) -> Gathered {
        let mut tags = HashMap::new();
        if let Some(column) = &self.tags {
            let mut name = String::new();
            for (ord, &count) in self.tag_counts.iter().enumerate() {
                if count > 0 && column.ord_to_str(ord as u64, &mut name).unwrap_or(false) {
                    tags.insert(name.clone(), count);
                }
            }
        }
        Gathered {
            best: self
                .best
                .into_iter()
                .map(|Reverse(ranked)| ranked)
                .collect(),
            total: self.total,
            examined: self.examined,
            tags,
            ratings: self.ratings.into_map(),
            years: self.years.into_map(),
            decades: self.decades.into_map(),
        }
    }
}
