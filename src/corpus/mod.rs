//! `marquee generate`: writes a large, realistic, deterministic set of
//! reviews for benchmarks and end-to-end checks.
//!
//! Every review uses every front-matter field, and 800–1,500 words of
//! markdown with headings, emphasis, links, lists and some spoiler blocks,
//! so that loading, rendering and searching it costs what real reviews
//! cost. The same seed always gives the same files (ChaCha8 is specified
//! to be stable across versions, unlike `StdRng`).
//!
//! Compiled only with the `generate` feature (the scripts' builds, and every
//! test build): a site has no use for it, so the program that serves one
//! neither carries it nor builds `rand`.

use std::fmt::Write as _;
use std::path::Path;

use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub mod posters;

const TAGS: [&str; 40] = [
    "Drama",
    "Comedy",
    "Thriller",
    "Horror",
    "Documentary",
    "Animation",
    "Romance",
    "Western",
    "Noir",
    "Musical",
    "Science fiction",
    "Fantasy",
    "War",
    "Crime",
    "Mystery",
    "Biopic",
    "Coming of age",
    "Family",
    "Satire",
    "Road movie",
    "Debut",
    "Festival",
    "Cannes",
    "Venice",
    "Berlin",
    "Sundance",
    "Restoration",
    "Silent",
    "Black and white",
    "Epic",
    "Slow cinema",
    "Heist",
    "Courtroom",
    "Sports",
    "Adaptation",
    "Remake",
    "Sequel",
    "Short",
    "Experimental",
    "Anthology",
];

const REGIONS: [&str; 8] = [
    "UK",
    "US",
    "France",
    "Germany",
    "Japan",
    "Australia",
    "Canada",
    "Ireland",
];

const FIRST_NAMES: [&str; 24] = [
    "Ada", "Bruno", "Celine", "Dario", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kasia",
    "Luca", "Maren", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tamsin", "Ugo", "Vera",
    "Wen", "Yusuf",
];

const LAST_NAMES: [&str; 24] = [
    "Almeida",
    "Brandt",
    "Castellano",
    "Dufresne",
    "Ekwueme",
    "Fontaine",
    "Gallo",
    "Halloran",
    "Ishikawa",
    "Jovanović",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okonkwo",
    "Petrov",
    "Quiroga",
    "Rinaldi",
    "Sato",
    "Thorne",
    "Ueda",
    "Valdés",
    "Whitlock",
    "Zielinski",
];

const TITLE_WORDS: [&str; 48] = [
    "Night",
    "River",
    "Glass",
    "Summer",
    "Lantern",
    "Harbour",
    "Winter",
    "Echo",
    "Silver",
    "Garden",
    "Letters",
    "Orchard",
    "Salt",
    "Paper",
    "Signal",
    "Crossing",
    "Ember",
    "Hollow",
    "Meridian",
    "North",
    "Tide",
    "Vesper",
    "Wolves",
    "Ash",
    "Bridges",
    "Cinder",
    "Dunes",
    "Fog",
    "Gold",
    "Horizon",
    "Island",
    "Juniper",
    "Kingdom",
    "Lights",
    "Mirror",
    "Neon",
    "Ocean",
    "Pilgrim",
    "Quarry",
    "Rain",
    "Stone",
    "Thunder",
    "Valley",
    "Wire",
    "Yard",
    "Zenith",
    "Cathedral",
    "Embers",
];

const NOUNS: [&str; 40] = [
    "camera",
    "frame",
    "score",
    "performance",
    "script",
    "cut",
    "close-up",
    "silence",
    "city",
    "house",
    "family",
    "road",
    "night",
    "memory",
    "ending",
    "scene",
    "sequence",
    "landscape",
    "voice",
    "gesture",
    "plot",
    "rhythm",
    "editor",
    "director",
    "lead",
    "ensemble",
    "story",
    "light",
    "shadow",
    "colour",
    "sound design",
    "dialogue",
    "tension",
    "humour",
    "grief",
    "desire",
    "ambition",
    "room",
    "window",
    "crowd",
];

const ADJECTIVES: [&str; 36] = [
    "patient",
    "restless",
    "luminous",
    "brittle",
    "tender",
    "wry",
    "sprawling",
    "precise",
    "unhurried",
    "fierce",
    "playful",
    "sombre",
    "generous",
    "airless",
    "lyrical",
    "muscular",
    "quiet",
    "vivid",
    "elliptical",
    "bruising",
    "handsome",
    "knotty",
    "warm",
    "cold",
    "strange",
    "lucid",
    "uneven",
    "confident",
    "fragile",
    "sharp",
    "humane",
    "stylish",
    "austere",
    "lavish",
    "spare",
    "haunting",
];

const VERBS: [&str; 32] = [
    "lingers on",
    "circles",
    "undercuts",
    "rewards",
    "holds",
    "frames",
    "breaks",
    "trusts",
    "resists",
    "catches",
    "follows",
    "builds",
    "unsettles",
    "softens",
    "sharpens",
    "carries",
    "loses",
    "finds",
    "tests",
    "earns",
    "echoes",
    "stretches",
    "hides",
    "reveals",
    "balances",
    "misjudges",
    "honours",
    "mocks",
    "studies",
    "shelters",
    "frustrates",
    "illuminates",
];

const HEADINGS: [&str; 12] = [
    "The story",
    "The performances",
    "Behind the camera",
    "Sound and music",
    "What works",
    "What doesn't",
    "The look of it",
    "Where it falls short",
    "Context",
    "The ending",
    "In the cinema",
    "Verdict",
];

/// Writes `count` reviews into `out/reviews/`, a poster for each into
/// `out/static/posters/` (serve with `--static out/static`), a diary
/// (`diary_years`) and a few lists of their films and others, and a
/// `site.toml` if there is none. Returns how many reviews were written.
pub fn generate(out: &Path, count: usize, seed: u64) -> std::io::Result<usize> {
    let reviews = out.join("reviews");
    std::fs::create_dir_all(&reviews)?;
    let posters = out.join("static").join("posters");
    std::fs::create_dir_all(&posters)?;
    let site = out.join("site.toml");
    if !site.exists() {
        std::fs::write(
            &site,
            "title = \"Marquee corpus\"\ntagline = \"Generated reviews\"\nauthor = \"Corpus critic\"\nlanguage = \"en-GB\"\n",
        )?;
    }
    let mut films = Vec::with_capacity(count);
    for index in 0..count {
        // One generator per review, so review N is the same whatever the count.
        let mut rng =
            ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(index as u64));
        let (slug, film, text) = review(&mut rng, index);
        films.extend(reviewed_film(&slug, &text));
        std::fs::write(reviews.join(format!("{slug}.md")), text)?;
        let poster = posters::draw(&film, rng.random(), POSTER_WIDTH, POSTER_HEIGHT);
        std::fs::write(
            posters.join(format!("{slug}.jpg")),
            posters::jpeg(&poster, 80),
        )?;
    }
    write_diary_and_lists(out, seed, &films)?;
    Ok(count)
}

/// The corpus's posters: the size of a typical web poster, small enough
/// that 10,000 are drawn in seconds (about 20 kB each).
const POSTER_WIDTH: u32 = 400;
const POSTER_HEIGHT: u32 = 600;

/// One review's slug, film title and file.
fn review(rng: &mut ChaCha8Rng, index: usize) -> (String, String, String) {
    let film = format!("{} {}", pick(rng, &TITLE_WORDS), pick(rng, &TITLE_WORDS));
    let film = if rng.random_bool(0.3) {
        format!("The {film}")
    } else {
        film
    };
    let slug = format!("{}-{index:05}", slug::slugify(&film));
    let director = person(rng);
    let year = rng.random_range(1925..=2026);
    let runtime = rng.random_range(72..=205);
    let halves = rng.random_range(1..=10);
    let rating = if halves % 2 == 0 {
        format!("{}", halves / 2)
    } else {
        format!("{}.5", halves / 2)
    };
    let published = date(rng, 2015, 2026);
    let updated = date(rng, 2026, 2026);
    let tag_count = rng.random_range(0..=4);
    let tags: Vec<&str> = TAGS[..].sample(rng, tag_count).copied().collect();
    let region_count = rng.random_range(1..=4);
    let regions: Vec<&str> = REGIONS[..].sample(rng, region_count).copied().collect();
    let spoilers = rng.random_bool(0.3);

    let mut text = String::with_capacity(10_000);
    let _ = writeln!(text, "---");
    let _ = writeln!(text, "title: \"{}\"", headline(rng));
    let _ = writeln!(
        text,
        "film:\n  title: \"{film}\"\n  year: {year}\n  director: \"{director}\"\n  runtime: {runtime}"
    );
    let _ = writeln!(text, "  poster: posters/{slug}.jpg");
    let _ = writeln!(
        text,
        "rating: {rating}\nspoilers: {spoilers}\npublished: {published}"
    );
    let _ = writeln!(text, "updated: {updated}\ndraft: false\nrelease_dates:");
    for region in &regions {
        let _ = writeln!(
            text,
            "  - region: {region}\n    date: {}",
            date(rng, year.min(2026), (year + 1).min(2027))
        );
    }
    let tag_list: Vec<String> = tags.iter().map(|tag| format!("\"{tag}\"")).collect();
    let _ = writeln!(text, "tags: [{}]", tag_list.join(", "));
    let _ = writeln!(text, "summary: \"{}\"", sentence(rng, 18).replace('"', "'"));
    let _ = writeln!(text, "slug: {slug}\nauthor: \"{}\"\n---", person(rng));
    let words = rng.random_range(800..=1500);
    body(rng, &mut text, words);
    (slug, film, text)
}

/// Markdown until `words` words are written: paragraphs under headings,
/// with a list, a link or two, emphasis, and sometimes a spoiler block.
fn body(rng: &mut ChaCha8Rng, text: &mut String, words: usize) {
    let mut written = 0;
    let mut headings = HEADINGS.to_vec();
    while written < words {
        if written > 0 && rng.random_bool(0.35) && !headings.is_empty() {
            let heading = headings.remove(rng.random_range(0..headings.len()));
            let _ = writeln!(text, "\n## {heading}\n");
        }
        let roll = rng.random_range(0..10);
        let (block, count) = match roll {
            0 => list(rng),
            1 if written > 200 => spoiler(rng),
            _ => paragraph(rng),
        };
        text.push_str(&block);
        text.push('\n');
        written += count;
    }
}

fn paragraph(rng: &mut ChaCha8Rng) -> (String, usize) {
    let sentences = rng.random_range(3..=6);
    let mut words = 0;
    let mut parts = Vec::with_capacity(sentences);
    for _ in 0..sentences {
        let length = rng.random_range(10..=24);
        words += length;
        parts.push(sentence(rng, length));
    }
    let mut paragraph = parts.join(" ");
    if rng.random_bool(0.3) {
        let word = pick(rng, &ADJECTIVES);
        paragraph = paragraph.replacen(word, &format!("*{word}*"), 1);
    }
    if rng.random_bool(0.2) {
        let noun = pick(rng, &NOUNS);
        paragraph.push_str(&format!(
            " See also [the {noun}](https://example.org/{}).",
            slug::slugify(noun)
        ));
    }
    (format!("\n{paragraph}\n"), words)
}

fn list(rng: &mut ChaCha8Rng) -> (String, usize) {
    let items = rng.random_range(3..=5);
    let mut block = String::from("\n");
    for _ in 0..items {
        let _ = writeln!(
            block,
            "- **{}** {}",
            capitalised(pick(rng, &NOUNS)),
            sentence(rng, 8)
        );
    }
    (block, items * 9)
}

fn spoiler(rng: &mut ChaCha8Rng) -> (String, usize) {
    let (paragraph, words) = paragraph(rng);
    (
        format!(
            "\n```spoiler What the {} reveals\n{}\n```\n",
            pick(rng, &NOUNS),
            paragraph.trim()
        ),
        words,
    )
}

fn sentence(rng: &mut ChaCha8Rng, length: usize) -> String {
    let mut words = Vec::with_capacity(length);
    words.push(format!(
        "The {} {}",
        pick(rng, &ADJECTIVES),
        pick(rng, &NOUNS)
    ));
    words.push(pick(rng, &VERBS).to_string());
    while words.len() + 2 < length {
        let word = match rng.random_range(0..4) {
            0 => pick(rng, &ADJECTIVES),
            1 => pick(rng, &VERBS),
            _ => pick(rng, &NOUNS),
        };
        words.push(word.to_string());
    }
    format!("{}.", words.join(" "))
}

fn headline(rng: &mut ChaCha8Rng) -> String {
    format!(
        "A {} {} of {}",
        pick(rng, &ADJECTIVES),
        pick(rng, &NOUNS),
        pick(rng, &NOUNS)
    )
}

fn person(rng: &mut ChaCha8Rng) -> String {
    format!("{} {}", pick(rng, &FIRST_NAMES), pick(rng, &LAST_NAMES))
}

fn date(rng: &mut ChaCha8Rng, from_year: i32, to_year: i32) -> String {
    let year = rng.random_range(from_year..=to_year.max(from_year));
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=28);
    format!("{year}-{month:02}-{day:02}")
}

fn pick<'a>(rng: &mut ChaCha8Rng, words: &[&'a str]) -> &'a str {
    words.choose(rng).copied().unwrap_or("film")
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// A film the diary and lists may name: a reviewed one (with its review's
/// slug) or one never reviewed.
#[derive(Debug, Clone)]
struct CorpusFilm {
    title: String,
    year: i32,
    review: Option<String>,
}

/// The film of a generated review, read back from its front matter.
fn reviewed_film(slug: &str, text: &str) -> Option<CorpusFilm> {
    let split = crate::content::front_matter::split(text).ok()?;
    let front: crate::content::review::ReviewFrontMatter =
        crate::content::front_matter::deserialize(&split).ok()?;
    Some(CorpusFilm {
        title: front.film.title,
        year: front.film.year?,
        review: Some(slug.to_string()),
    })
}

/// The diary's years: the last two, so that the sample's own 2024 never
/// clashes when the two are served together.
const DIARY_YEARS: [i32; 2] = [2025, 2026];

/// Writes `diary/{year}.yaml` for each of `DIARY_YEARS` (250–400 entries,
/// some rewatches) and four lists into `out`.
fn write_diary_and_lists(out: &Path, seed: u64, reviewed: &[CorpusFilm]) -> std::io::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00d1_a4e5);
    // Films seen but never reviewed, so some entries have no review.
    let unreviewed: Vec<CorpusFilm> = (0..120)
        .map(|_| CorpusFilm {
            title: format!(
                "{} {}",
                pick(&mut rng, &TITLE_WORDS),
                pick(&mut rng, &TITLE_WORDS)
            ),
            year: rng.random_range(1950..=2026),
            review: None,
        })
        .collect();
    let diary = out.join("diary");
    std::fs::create_dir_all(&diary)?;
    let mut seen: Vec<CorpusFilm> = Vec::new();
    for year in DIARY_YEARS {
        let count = rng.random_range(250..=400);
        let text = diary_year(&mut rng, year, count, reviewed, &unreviewed, &mut seen);
        std::fs::write(diary.join(format!("{year}.yaml")), text)?;
    }
    let lists = out.join("lists");
    std::fs::create_dir_all(&lists)?;
    for (index, (title, ranked, films, draft)) in [
        ("Best of the archive", true, 10, false),
        ("Favourites to rewatch", false, 15, false),
        ("Overlooked gems", true, 25, false),
        ("Still deciding", false, 8, true),
    ]
    .into_iter()
    .enumerate()
    {
        let text = film_list(&mut rng, title, ranked, films, draft, reviewed, &unreviewed);
        let slug = format!("{}-{index}", slug::slugify(title));
        std::fs::write(lists.join(format!("{slug}.md")), text)?;
    }
    Ok(())
}

/// A film for an entry: usually a reviewed one (when there are any).
fn any_film<'a>(
    rng: &mut ChaCha8Rng,
    reviewed: &'a [CorpusFilm],
    unreviewed: &'a [CorpusFilm],
) -> &'a CorpusFilm {
    let from = if reviewed.is_empty() || rng.random_bool(0.3) {
        unreviewed
    } else {
        reviewed
    };
    from.choose(rng).unwrap_or(&unreviewed[0])
}

/// One diary year, its entries in date order; about one in eight a rewatch
/// of a film already seen.
fn diary_year(
    rng: &mut ChaCha8Rng,
    year: i32,
    count: usize,
    reviewed: &[CorpusFilm],
    unreviewed: &[CorpusFilm],
    seen: &mut Vec<CorpusFilm>,
) -> String {
    let mut days: Vec<String> = (0..count).map(|_| date(rng, year, year)).collect();
    days.sort();
    let mut text = String::with_capacity(count * 120);
    let _ = writeln!(text, "# Generated: the films watched in {year}.\nentries:");
    for day in days {
        let rewatch = !seen.is_empty() && rng.random_bool(0.125);
        let film = if rewatch {
            seen.choose(rng)
                .cloned()
                .unwrap_or_else(|| unreviewed[0].clone())
        } else {
            any_film(rng, reviewed, unreviewed).clone()
        };
        let title = film.title.replace('"', "'");
        let _ = writeln!(
            text,
            "  - date: {day}\n    film: {{ title: \"{title}\", year: {} }}",
            film.year
        );
        if rng.random_bool(0.8) {
            let halves: u8 = rng.random_range(1..=10);
            let _ = writeln!(text, "    rating: {}", f64::from(halves) / 2.0);
        }
        if rewatch {
            let _ = writeln!(text, "    rewatch: true");
        }
        if rng.random_bool(0.3) {
            let _ = writeln!(text, "    liked: true");
        }
        if rng.random_bool(0.2) {
            let note = sentence(rng, 12).replace('"', "'");
            let _ = writeln!(text, "    note: \"{note}\"");
        }
        if let Some(slug) = film.review.as_deref().filter(|_| rng.random_bool(0.4)) {
            let _ = writeln!(text, "    review: {slug}");
        }
        seen.push(film);
    }
    text
}

/// One list of `films` films, the odd one with a note.
fn film_list(
    rng: &mut ChaCha8Rng,
    title: &str,
    ranked: bool,
    films: usize,
    draft: bool,
    reviewed: &[CorpusFilm],
    unreviewed: &[CorpusFilm],
) -> String {
    let mut text = String::with_capacity(films * 80 + 400);
    let _ = writeln!(
        text,
        "---\ntitle: \"{title}\"\nranked: {ranked}\npublished: {}\ndraft: {draft}\nfilms:",
        date(rng, 2025, 2026)
    );
    for _ in 0..films {
        let film = any_film(rng, reviewed, unreviewed);
        let _ = writeln!(
            text,
            "  - title: \"{}\"\n    year: {}",
            film.title.replace('"', "'"),
            film.year
        );
        if rng.random_bool(0.3) {
            let note = sentence(rng, 10).replace('"', "'");
            let _ = writeln!(text, "    note: \"{note}\"");
        }
    }
    let _ = writeln!(text, "---\n{}", sentence(rng, 30));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::check_with_static;

    #[test]
    fn generated_reviews_are_valid_deterministic_and_full_length() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        generate(first.path(), 12, 7).unwrap();
        generate(second.path(), 12, 7).unwrap();
        let report = check_with_static(first.path(), &first.path().join("static")).unwrap();
        assert_eq!(
            report.files, 19,
            "12 reviews, two diary years, four lists and site.toml"
        );
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        for entry in std::fs::read_dir(first.path().join("reviews")).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let twin = std::fs::read_to_string(
                second
                    .path()
                    .join("reviews")
                    .join(path.file_name().unwrap()),
            )
            .unwrap();
            assert_eq!(text, twin, "same seed, same file");
            let body = text.splitn(3, "---\n").nth(2).unwrap();
            let words = body.split_whitespace().count();
            assert!((750..=1700).contains(&words), "{words} words in {path:?}");
        }
        for year in DIARY_YEARS {
            let name = format!("diary/{year}.yaml");
            let text = std::fs::read_to_string(first.path().join(&name)).unwrap();
            assert_eq!(
                text,
                std::fs::read_to_string(second.path().join(&name)).unwrap()
            );
            let entries = text.matches("  - date: ").count();
            assert!(
                (250..=400).contains(&entries),
                "{entries} entries in {name}"
            );
            assert!(text.contains("rewatch: true"), "{name} has rewatches");
            assert!(text.contains("review: "), "{name} links reviews");
        }
    }
}
