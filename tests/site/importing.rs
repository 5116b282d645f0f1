//! A critic moving from Letterboxd: one command turns their export (the
//! zip or its folder) into reviews, a diary and lists that pass `marquee
//! check` and are served after a sync; a second run changes nothing and
//! never overwrites an edit; a malformed export writes nothing; and the
//! writing goes back out in Letterboxd's import format and as a backup zip.
//!
//! The fixture (`tests/fixtures/letterboxd/`) is a made-up member's
//! export; it is zipped here, at test time.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use marquee::letterboxd::{self, LetterboxdError, Outcome};
use serde_norway::Value;

use crate::common::{self, Options, TestSite, attr_of, text_of, texts_of};

fn fixture() -> PathBuf {
    common::repo().join("tests/fixtures/letterboxd")
}

/// Every file under `dir`, by relative path.
fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// Zips `files` (relative name → bytes) into `out`.
fn zip_files(out: &Path, files: &BTreeMap<String, Vec<u8>>) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

/// The fixture's files, with `prefix` before each name.
fn fixture_files(prefix: &str) -> BTreeMap<String, Vec<u8>> {
    files_of(&fixture())
        .into_iter()
        .map(|(name, bytes)| (format!("{prefix}{name}"), bytes))
        .collect()
}

/// A content file's front matter, parsed, and its body.
fn front_matter(content: &Path, path: &str) -> (Value, String) {
    let text = std::fs::read_to_string(content.join(path)).unwrap();
    let rest = text.strip_prefix("---\n").expect("YAML front matter");
    let (yaml, body) = rest.split_once("\n---\n").expect("closed front matter");
    (serde_norway::from_str(yaml).unwrap(), body.to_string())
}

fn yaml_file(content: &Path, path: &str) -> Value {
    serde_norway::from_str(&std::fs::read_to_string(content.join(path)).unwrap()).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .map(|items| {
            items
                .iter()
                .map(|item| item.as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A site with no content but what the test imports.
async fn empty_site() -> TestSite {
    TestSite::build(
        Options {
            sample_content: false,
            ..Options::default()
        },
        &[],
    )
    .await
}

fn check_is_clean(content: &Path) {
    let report = marquee::content::check(content).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

#[tokio::test]
async fn an_export_becomes_reviews_a_diary_and_lists_that_pass_check() {
    let site = empty_site().await;
    let content = site.content().to_path_buf();
    let report = letterboxd::import(&fixture(), &content, false).unwrap();
    check_is_clean(&content);

    // The review: headline from its first sentence, the logged date as
    // `published`, no `watched` (its diary entry holds the viewing).
    let (parasite, body) = front_matter(&content, "reviews/parasite.md");
    assert_eq!(
        parasite["title"].as_str(),
        Some("The stairs do all the talking.")
    );
    assert_eq!(parasite["film"]["title"].as_str(), Some("Parasite"));
    assert_eq!(parasite["film"]["year"].as_i64(), Some(2019));
    assert_eq!(parasite["rating"].as_f64(), Some(5.0));
    assert_eq!(parasite["published"].as_str(), Some("2024-03-02"));
    assert!(parasite.get("watched").is_none());
    assert_eq!(strings(&parasite["tags"]), ["thriller", "class"]);
    assert_eq!(
        parasite["letterboxd"].as_str(),
        Some("https://boxd.it/fx001")
    );
    assert!(parasite.get("director").is_none() && parasite["film"].get("runtime").is_none());
    assert_eq!(
        body,
        "The stairs do all the talking. Every *step* down is a lesson, and the \"peach\" scene plays like a heist.\n\n\
         A second paragraph, with **bold** words and [my notes](https://example.com/notes).\n"
    );
    // Reviewed twice: two reviews. A quote on its own lines is a block.
    let (again, body) = front_matter(&content, "reviews/parasite-2.md");
    assert_eq!(again["rating"].as_f64(), Some(4.5));
    assert_eq!(
        body,
        "Still the stairs, five years on.\n\n> A line I wrote down, with a comma\n\nAfter it, the rain.\n"
    );
    let (amelie, body) = front_matter(&content, "reviews/amelie.md");
    assert_eq!(amelie["spoilers"].as_bool(), Some(true));
    assert_eq!(amelie["film"]["title"].as_str(), Some("Amélie"));
    assert!(!body.contains("contains spoilers"), "{body}");
    // Markdown's characters in the text stay words.
    let (_, body) = front_matter(&content, "reviews/qian-toqian-xun-noshen-yin-si.md");
    assert_eq!(
        body,
        "Bathhouse rules: \\*no\\* shoes & a #1 train ride\\_ over water.\n"
    );
    // A review seen on no logged day keeps no `watched` either.
    let (stalker, _) = front_matter(&content, "reviews/stalker.md");
    assert!(stalker.get("watched").is_none());
    // No text: no review, but its diary entry.
    let reviews: Vec<String> = files_of(&content.join("reviews")).into_keys().collect();
    assert_eq!(
        reviews,
        [
            "amelie.md",
            "parasite-2.md",
            "parasite.md",
            "qian-toqian-xun-noshen-yin-si.md",
            "stalker.md"
        ]
    );

    let diary = yaml_file(&content, "diary/2024.yaml");
    let entries = diary["entries"].as_sequence().unwrap();
    let films: Vec<&str> = entries
        .iter()
        .map(|e| e["film"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        films,
        [
            "Parasite",
            "Amélie",
            "千と千尋の神隠し",
            "Heat",
            "Crouching Tiger, Hidden Dragon"
        ]
    );
    assert_eq!(entries[0]["review"].as_str(), Some("parasite"));
    assert_eq!(entries[0]["date"].as_str(), Some("2024-03-01"));
    assert_eq!(entries[3]["liked"].as_bool(), Some(true));
    assert!(entries[3].get("review").is_none());
    let later = yaml_file(&content, "diary/2025.yaml");
    let rewatch = &later["entries"][1];
    assert_eq!(rewatch["rewatch"].as_bool(), Some(true));
    assert_eq!(rewatch["review"].as_str(), Some("parasite-2"));

    let (ranked, intro) = front_matter(&content, "lists/best-of-2001.md");
    assert_eq!(ranked["ranked"].as_bool(), Some(true));
    let order: Vec<&str> = ranked["films"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|film| film["title"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["千と千尋の神隠し", "Amélie"]);
    assert_eq!(
        ranked["films"][0]["note"].as_str(),
        Some("The **train**, \"quietly\".")
    );
    assert_eq!(intro, "Two films from *one* year.\n\nA second paragraph.\n");
    let (unranked, _) = front_matter(&content, "lists/comfort-films.md");
    assert!(unranked.get("ranked").is_none());
    let (watchlist, _) = front_matter(&content, "lists/watchlist.md");
    assert_eq!(watchlist["draft"].as_bool(), Some(true));
    assert_eq!(watchlist["films"].as_sequence().unwrap().len(), 2);

    // deleted/ and orphaned/ are left out.
    let all: String = files_of(&content)
        .values()
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .collect();
    assert!(!all.contains("Deleted Film") && !all.contains("Orphaned Film"));
    assert!(
        report
            .plan
            .skipped
            .iter()
            .any(|s| s.contains("no review text"))
    );
    assert_eq!(report.plan.diary_added, 7);

    // Served after a sync.
    site.sync_everything().await;
    let page = site.get("/reviews/parasite").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.html();
    assert_eq!(
        text_of(&html, "h1").as_deref(),
        Some("The stairs do all the talking.")
    );
    assert_eq!(
        text_of(&html, ".review-body em, article em").as_deref(),
        Some("step")
    );
    assert!(attr_of(&html, "a[href='https://example.com/notes']", "href").is_some());
    let html = site.get("/reviews/amelie").await.html();
    assert!(text_of(&html, ".spoiler-notice").is_some());
    let html = site.get("/diary/2024").await.html();
    assert!(
        texts_of(&html, ".diary-entry .diary-film")
            .contains(&"Crouching Tiger, Hidden Dragon (2000)".to_string())
    );
    let list = site.get("/lists/best-of-2001").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        text_of(&list.html(), "h1").as_deref(),
        Some("Best of 2001, ranked")
    );
    assert_eq!(
        site.get("/lists/watchlist").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_zip_writes_the_same_files_as_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let from_folder = dir.path().join("a");
    letterboxd::import(&fixture(), &from_folder, false).unwrap();
    for prefix in ["", "letterboxd-vesper-2026/"] {
        let zip = dir.path().join("export.zip");
        zip_files(&zip, &fixture_files(prefix));
        let from_zip = dir.path().join(format!("b{}", prefix.len()));
        letterboxd::import(&zip, &from_zip, false).unwrap();
        assert_eq!(
            files_of(&from_zip),
            files_of(&from_folder),
            "prefix {prefix:?}"
        );
    }
}

#[tokio::test]
async fn importing_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    letterboxd::import(&fixture(), &content, false).unwrap();
    let before = files_of(&content);
    let report = letterboxd::import(&fixture(), &content, false).unwrap();
    assert_eq!(files_of(&content), before);
    assert!(
        report
            .plan
            .files
            .iter()
            .all(|file| file.outcome == Outcome::Unchanged),
        "{report}"
    );
    assert_eq!((report.plan.diary_added, report.plan.diary_present), (0, 7));
}

#[tokio::test]
async fn an_edited_file_is_kept_and_new_entries_are_added() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    letterboxd::import(&fixture(), &content, false).unwrap();
    let edited_review = std::fs::read_to_string(content.join("reviews/parasite.md"))
        .unwrap()
        .replace("The stairs do all the talking.", "My own headline");
    std::fs::write(content.join("reviews/parasite.md"), &edited_review).unwrap();
    let edited_diary = format!(
        "# kept as I wrote it\n{}",
        std::fs::read_to_string(content.join("diary/2024.yaml"))
            .unwrap()
            .replace("rating: 4\n", "rating: 3\n")
    );
    std::fs::write(content.join("diary/2024.yaml"), &edited_diary).unwrap();

    // The member logs one more film, with a review.
    let export = dir.path().join("export");
    common::copy_dir(&fixture(), &export);
    let row = "2024-12-01,Close-Up,1990,https://boxd.it/fx009,4.5,,Finally.,,2024-11-30\n";
    for file in ["diary.csv", "reviews.csv"] {
        let mut text = std::fs::read_to_string(export.join(file)).unwrap();
        text.push_str(&if file == "diary.csv" {
            row.replace(",Finally.,", ",")
        } else {
            row.to_string()
        });
        std::fs::write(export.join(file), text).unwrap();
    }
    let report = letterboxd::import(&export, &content, false).unwrap();
    check_is_clean(&content);
    assert_eq!(
        std::fs::read_to_string(content.join("reviews/parasite.md")).unwrap(),
        edited_review
    );
    let outcome = |path: &str| {
        report
            .plan
            .files
            .iter()
            .find(|file| file.path == path)
            .map(|file| file.outcome.clone())
    };
    assert_eq!(outcome("reviews/parasite.md"), Some(Outcome::Kept));
    assert_eq!(outcome("reviews/close-up.md"), Some(Outcome::Write));
    assert_eq!(outcome("diary/2024.yaml"), Some(Outcome::Added(1)));
    assert!(
        report
            .to_string()
            .contains("kept reviews/parasite.md (edited since import)")
    );
    let diary = std::fs::read_to_string(content.join("diary/2024.yaml")).unwrap();
    assert!(diary.starts_with(&edited_diary), "{diary}");
    let entries = yaml_file(&content, "diary/2024.yaml")["entries"].clone();
    let entries = entries.as_sequence().unwrap();
    assert_eq!(entries.len(), 6);
    assert_eq!(entries[3]["rating"].as_f64(), Some(3.0));
    assert_eq!(entries[5]["film"]["title"].as_str(), Some("Close-Up"));
    assert_eq!(entries[5]["review"].as_str(), Some("close-up"));
}

#[tokio::test]
async fn a_slug_taken_by_another_file_gets_the_next_free_one() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    let mine = common::review("Mine", "Parasite", "", "My own words.");
    common::write_file(&content.join("reviews/parasite.md"), &mine);
    letterboxd::import(&fixture(), &content, false).unwrap();
    check_is_clean(&content);
    assert_eq!(
        std::fs::read_to_string(content.join("reviews/parasite.md")).unwrap(),
        mine
    );
    let uri = |path: &str| {
        front_matter(&content, path).0["letterboxd"]
            .as_str()
            .map(str::to_string)
    };
    assert_eq!(
        uri("reviews/parasite-2.md").as_deref(),
        Some("https://boxd.it/fx001")
    );
    assert_eq!(
        uri("reviews/parasite-3.md").as_deref(),
        Some("https://boxd.it/fx002")
    );
}

#[tokio::test]
async fn a_dry_run_says_what_it_would_write_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    let report = letterboxd::import(&fixture(), &content, true).unwrap();
    assert!(!content.exists());
    let summary = report.to_string();
    assert!(
        summary
            .lines()
            .any(|line| line == "would write reviews/parasite.md"),
        "{summary}"
    );
    assert!(summary.contains("reviews: 5 to write"), "{summary}");
}

/// The export with `file` replaced by `bytes`, zipped.
fn broken_export(dir: &Path, name: &str, file: &str, bytes: Vec<u8>) -> PathBuf {
    let mut files = fixture_files("");
    files.insert(file.to_string(), bytes);
    let zip = dir.join(name);
    zip_files(&zip, &files);
    zip
}

fn fixture_text(file: &str) -> String {
    std::fs::read_to_string(fixture().join(file)).unwrap()
}

#[tokio::test]
async fn a_malformed_export_names_file_and_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    common::write_file(
        &content.join("reviews/mine.md"),
        &common::review("Mine", "Flow", "", "Mine."),
    );
    let before = files_of(&content);
    let wrong_header = fixture_text("reviews.csv").replacen("Name,", "Title,", 1);
    let truncated = {
        let text = fixture_text("diary.csv");
        text[..text.len() - 20].to_string()
    };
    let latin1 = fixture_text("reviews.csv")
        .replace("Café", "Caf\u{0}")
        .into_bytes();
    let latin1: Vec<u8> = latin1
        .into_iter()
        .map(|b| if b == 0 { 0xe9 } else { b })
        .collect();
    let cases = [
        (
            broken_export(
                dir.path(),
                "header.zip",
                "reviews.csv",
                wrong_header.into_bytes(),
            ),
            "reviews.csv",
            Some(1),
        ),
        (
            broken_export(
                dir.path(),
                "truncated.zip",
                "diary.csv",
                truncated.into_bytes(),
            ),
            "diary.csv",
            Some(8),
        ),
        (
            broken_export(dir.path(), "latin1.zip", "reviews.csv", latin1),
            "reviews.csv",
            Some(8),
        ),
    ];
    for (export, file, line) in cases {
        match letterboxd::import(&export, &content, false) {
            Err(LetterboxdError::Malformed {
                file: f,
                line: l,
                reason,
            }) => {
                assert_eq!((f.as_str(), l), (file, line), "{reason}");
            }
            other => panic!("{}: {other:?}", export.display()),
        }
        assert_eq!(files_of(&content), before);
    }

    // A zip bomb: megabytes of zeros in a few kilobytes.
    let bomb = broken_export(dir.path(), "bomb.zip", "watched.csv", vec![b'0'; 8 << 20]);
    let error = letterboxd::import(&bomb, &content, false).unwrap_err();
    assert!(
        matches!(&error, LetterboxdError::Malformed { file, .. } if file == "watched.csv"),
        "{error}"
    );
    assert!(
        error.to_string().contains("unpacks to more than"),
        "{error}"
    );
    // A name that climbs out of the export.
    let climbing = broken_export(dir.path(), "climb.zip", "../escape.csv", b"x".to_vec());
    let error = letterboxd::import(&climbing, &content, false).unwrap_err();
    assert!(error.to_string().contains("../escape.csv"), "{error}");
    assert!(!dir.path().join("escape.csv").exists());
    assert_eq!(files_of(&content), before);
}

#[test]
fn the_command_exits_non_zero_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export");
    common::copy_dir(&fixture(), &export);
    std::fs::write(
        export.join("diary.csv"),
        fixture_text("diary.csv").replace("2024-08-31", "31/08/2024"),
    )
    .unwrap();
    let content = dir.path().join("content");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_marquee"))
        .args(["import", "letterboxd"])
        .arg(&export)
        .arg("--content")
        .arg(&content)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("diary.csv:7: `Watched Date` is `31/08/2024`"),
        "{stderr}"
    );
    assert!(!content.exists());
}

/// The plain text of a markdown body, whitespace folded.
fn body_text(markdown: &str) -> String {
    let text: String = pulldown_cmark::Parser::new(markdown)
        .filter_map(|event| match event {
            pulldown_cmark::Event::Text(text) => Some(format!("{text} ")),
            _ => None,
        })
        .collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn the_letterboxd_export_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    letterboxd::import(&fixture(), &first, false).unwrap();
    let csv_path = dir.path().join("marquee.csv");
    letterboxd::export_csv(&first, &csv_path).unwrap();
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header[..7],
        [
            "Title",
            "Year",
            "Rating",
            "WatchedDate",
            "Rewatch",
            "Tags",
            "Review"
        ]
    );
    assert!(header.contains(&"tmdbID".to_string()) && header.contains(&"imdbID".to_string()));

    let second = dir.path().join("second");
    letterboxd::import(&csv_path, &second, false).unwrap();
    check_is_clean(&second);
    let summary = |content: &Path| {
        let mut reviews: Vec<_> = files_of(&content.join("reviews"))
            .into_keys()
            .map(|name| {
                let (front, body) = front_matter(content, &format!("reviews/{name}"));
                (
                    front["film"]["title"].as_str().unwrap().to_string(),
                    front["published"].as_str().unwrap().to_string(),
                    front["title"].as_str().unwrap().to_string(),
                    front["film"]["year"].as_i64(),
                    front["rating"].as_f64().map(|stars| stars.to_string()),
                    front
                        .get("watched")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    strings(&front["tags"]),
                    body_text(&body),
                )
            })
            .collect();
        reviews.sort();
        reviews
    };
    assert_eq!(summary(&first).len(), 5);
    assert_eq!(summary(&second), summary(&first));
    let viewings = |content: &Path| {
        let mut all: Vec<_> = ["diary/2024.yaml", "diary/2025.yaml"]
            .iter()
            .flat_map(|path| {
                yaml_file(content, path)["entries"]
                    .as_sequence()
                    .unwrap()
                    .clone()
            })
            .map(|e| {
                (
                    e["date"].as_str().unwrap().to_string(),
                    e["film"]["title"].as_str().unwrap().to_string(),
                    e["rating"].as_f64().map(|stars| stars.to_string()),
                    e.get("rewatch").is_some(),
                    e.get("review").is_some(),
                )
            })
            .collect();
        all.sort();
        all
    };
    assert_eq!(viewings(&second), viewings(&first));
}

#[tokio::test]
async fn the_archive_holds_the_whole_content_folder() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    letterboxd::import(&fixture(), &content, false).unwrap();
    let out = dir.path().join("backup.zip");
    let count = letterboxd::export_archive(&content, &out).unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut unpacked = BTreeMap::new();
    for index in 0..zip.len() {
        let mut entry = zip.by_index(index).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        unpacked.insert(entry.name().unwrap().to_string(), bytes);
    }
    assert_eq!(count, unpacked.len());
    assert_eq!(unpacked, files_of(&content));
}

#[tokio::test]
async fn new_entries_join_a_diary_written_by_hand_in_yaml_or_toml() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    // Indented items, as the sample and `marquee new --diary` write them.
    let yaml = "# My 2024\nentries:\n  - date: 2024-01-13\n    film: { title: Perfect Days, year: 2023 }\n    rating: 4\n";
    let toml = "[[entries]]\ndate = 2025-02-01\nfilm = { title = \"Flow\", year = 2024 }\n";
    common::write_file(&content.join("diary/2024.yaml"), yaml);
    common::write_file(&content.join("diary/2025.toml"), toml);
    letterboxd::import(&fixture(), &content, false).unwrap();
    check_is_clean(&content);
    let written = std::fs::read_to_string(content.join("diary/2024.yaml")).unwrap();
    assert!(written.starts_with(yaml), "{written}");
    let entries = yaml_file(&content, "diary/2024.yaml")["entries"].clone();
    let films: Vec<&str> = entries
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| e["film"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(films.len(), 6);
    assert_eq!(films[0], "Perfect Days");
    let written = std::fs::read_to_string(content.join("diary/2025.toml")).unwrap();
    assert!(written.starts_with(toml), "{written}");
    let parsed: toml::Table = written.parse().unwrap();
    let titles: Vec<&str> = parsed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["film"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Flow", "Heat", "Parasite"]);
    assert!(!content.join("diary/2025.yaml").exists());
}
