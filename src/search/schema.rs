//! What the index holds for each review, and how text becomes terms.
//!
//! Nothing is stored for display: a hit is a review id, and the page reads
//! the row from SQLite (which also checks, once more, that it is visible).
//! So the document store stays empty and needs no compression codec.

use tantivy::Index;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, SimpleTokenizer, TextAnalyzer};

/// The analyzer every text field and every query word goes through: words
/// are runs of letters and digits, compared without case or Latin
/// diacritics, as the snippet builder compares them (`db::search::snippet`).
pub(crate) const FOLD: &str = "marquee_fold";

/// The fields of the index, looked up once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// The review's row id in SQLite: the key of updates and deletions.
    pub(crate) id: Field,
    pub(crate) title: Field,
    pub(crate) film_title: Field,
    pub(crate) director: Field,
    /// Tag names, as words.
    pub(crate) tag_words: Field,
    /// The film's year as a word, so that "2016" finds the films of 2016.
    pub(crate) year_word: Field,
    pub(crate) body: Field,
    /// Tag slugs, whole, for the `tag` filter and the tag facet.
    pub(crate) tag: Field,
    /// The rating in half stars (absent when the review has none).
    pub(crate) rating: Field,
    /// The film's year (absent when unknown).
    pub(crate) year: Field,
    /// Publication time, unix seconds: a scheduled review is indexed and
    /// filtered out until then.
    pub(crate) published: Field,
}

/// The text fields a query word is looked up in, with the weight of a
/// match in each: a word of the film's title counts ten times one in the
/// body (the weights the FTS5 ranking used).
pub(crate) fn weighted(fields: &Fields) -> [(Field, f32); 6] {
    [
        (fields.film_title, 10.0),
        (fields.title, 8.0),
        (fields.director, 6.0),
        (fields.year_word, 6.0),
        (fields.tag_words, 5.0),
        (fields.body, 1.0),
    ]
}

/// The schema and its fields.
pub(crate) fn build() -> (Schema, Fields) {
    let mut schema = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(FOLD)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: schema.add_u64_field("id", INDEXED | FAST),
        title: schema.add_text_field("title", text.clone()),
        film_title: schema.add_text_field("film_title", text.clone()),
        director: schema.add_text_field("director", text.clone()),
        tag_words: schema.add_text_field("tag_words", text.clone()),
        year_word: schema.add_text_field("year_word", text.clone()),
        body: schema.add_text_field("body", text),
        tag: schema.add_text_field("tag", STRING | FAST),
        rating: schema.add_u64_field("rating", INDEXED | FAST),
        year: schema.add_u64_field("year", INDEXED | FAST),
        published: schema.add_i64_field("published", INDEXED | FAST),
    };
    (schema.build(), fields)
}

/// Registers the analyzer on an index (tokenizers are not saved with it).
pub(crate) fn register(index: &Index) {
    index.tokenizers().register(FOLD, analyzer());
}

/// See `FOLD`.
pub(crate) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The words of `text` as the index has them.
pub(crate) fn words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut words = Vec::new();
    while let Some(token) = stream.next() {
        words.push(token.text.clone());
    }
    words
}
