//! Posters, as readers and editors meet them: local images served in a few
//! sizes, as WebP and in their own format, under names that change with the
//! image; upright and without metadata; a placeholder where there is none;
//! and an image that cannot be used reported like any content error, while
//! the review stays readable.

use crate::common;

use std::collections::BTreeSet;
use std::io::Cursor;
use std::time::Duration;

use axum::http::StatusCode;
use common::{Options, TestSite, eventually, jpeg};
use image::{GenericImageView, ImageEncoder, ImageFormat};
use marquee::content;
use scraper::{Html, Selector};
use tower::ServiceExt;

const DEADLINE: Duration = Duration::from_secs(20);

/// A bundle review whose poster is `poster.{ext}` beside it, at
/// `/reviews/{folder}`.
fn bundle_review(film: &str, ext: &str, extra: &str) -> String {
    format!(
        "---\ntitle: On {film}\nfilm:\n  title: {film}\n  year: 2024\n  director: Ann Director\n  poster: poster.{ext}\npublished: 2024-06-01\n{extra}---\nThe review.\n"
    )
}

/// A site of only the test's own files: no sample reviews, whose posters
/// the background would be making meanwhile.
fn only_these() -> Options {
    Options {
        sample_content: false,
        ..Options::default()
    }
}

/// The review page once the poster's facts are known (its `<picture>`
/// offers a WebP `<source>`).
async fn page_with_sizes(site: &TestSite, path: &str) -> Html {
    eventually(DEADLINE, "the poster's sizes on the page", || async {
        let html = site.get(path).await.html();
        let ready = html
            .select(&Selector::parse("picture.poster source[type='image/webp']").unwrap())
            .next()
            .is_some();
        ready.then_some(html)
    })
    .await
}

/// `(url, width)` of every candidate of a `srcset`.
fn candidates(srcset: &str) -> Vec<(String, u32)> {
    srcset
        .split(',')
        .map(|candidate| {
            let (url, width) = candidate.trim().rsplit_once(' ').expect("url and width");
            let width = width.strip_suffix('w').expect("a width descriptor");
            (url.to_string(), width.parse().expect("a number"))
        })
        .collect()
}

fn attr(html: &Html, selector: &str, attribute: &str) -> String {
    common::attr_of(html, selector, attribute).unwrap_or_else(|| panic!("{selector} {attribute}"))
}

/// Fetches a derivative, checks its headers and decodes it.
async fn fetch_image(site: &TestSite, url: &str) -> (ImageFormat, image::DynamicImage, Vec<u8>) {
    let (status, headers, bytes) = site.get_bytes(url).await;
    assert_eq!(status, StatusCode::OK, "{url}");
    assert_eq!(
        headers["cache-control"], "public, max-age=31536000, immutable",
        "{url}"
    );
    let format = image::guess_format(&bytes).expect("an image");
    assert_eq!(
        headers["content-type"].to_str().unwrap(),
        format.to_mime_type(),
        "{url}"
    );
    let decoded = image::load_from_memory(&bytes).expect("decodes");
    (format, decoded, bytes)
}

#[tokio::test]
async fn every_srcset_candidate_serves_an_image_of_its_stated_width_and_type() {
    let site = TestSite::build(
        only_these(),
        &[("reviews/anora/index.md", &bundle_review("Anora", "jpg", ""))],
    )
    .await;
    site.write_bytes("reviews/anora/poster.jpg", &jpeg(900, 1350, 1));
    site.sync_everything().await;
    let html = page_with_sizes(&site, "/reviews/anora").await;

    let webp = candidates(&attr(&html, "picture.poster source", "srcset"));
    let fallback = candidates(&attr(&html, "picture.poster img", "srcset"));
    let widths: Vec<u32> = webp.iter().map(|(_, width)| *width).collect();
    assert_eq!(widths, [160, 320, 640, 900], "never wider than the source");
    assert_eq!(
        fallback.iter().map(|(_, width)| *width).collect::<Vec<_>>(),
        widths
    );
    for (candidates, expected) in [(&webp, ImageFormat::WebP), (&fallback, ImageFormat::Jpeg)] {
        for (url, width) in candidates {
            let (format, decoded, _) = fetch_image(&site, url).await;
            assert_eq!(format, expected, "{url}");
            assert_eq!(decoded.width(), *width, "{url}");
            let expected_height = f64::from(*width) * 1350.0 / 900.0;
            assert!(
                (f64::from(decoded.height()) - expected_height).abs() <= 1.0,
                "{url}: {}×{}",
                decoded.width(),
                decoded.height()
            );
        }
    }
    // The <img> reserves the poster's shape, and the page asks for it first.
    let img = "picture.poster img";
    let width: f64 = attr(&html, img, "width").parse().unwrap();
    let height: f64 = attr(&html, img, "height").parse().unwrap();
    assert!((height / width - 1.5).abs() < 0.01, "{width}×{height}");
    assert_eq!(attr(&html, img, "fetchpriority"), "high");
    let (_, src, _) = fetch_image(&site, &attr(&html, img, "src")).await;
    assert_eq!(f64::from(src.width()), width);
}

#[tokio::test]
async fn names_that_are_not_a_current_derivative_are_not_found() {
    let site = TestSite::build(
        only_these(),
        &[("reviews/anora/index.md", &bundle_review("Anora", "jpg", ""))],
    )
    .await;
    site.write_bytes("reviews/anora/poster.jpg", &jpeg(400, 600, 1));
    site.sync_everything().await;
    let html = page_with_sizes(&site, "/reviews/anora").await;
    let (url, _) = candidates(&attr(&html, "picture.poster source", "srcset"))[0].clone();
    let hash = url
        .trim_start_matches("/images/")
        .split('-')
        .next()
        .unwrap()
        .to_string();
    for path in [
        format!("/images/{hash}-1280.webp"),
        format!("/images/{hash}-161.webp"),
        format!("/images/{hash}-160.png"),
        format!("/images/{}-160.webp", "0".repeat(32)),
        "/images/..%2F..%2Fmarquee.db".to_string(),
        "/images/poster.jpg".to_string(),
    ] {
        assert_eq!(
            site.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

/// A list of the two films of the listing test.
const BOTH_LIST: &str = "---\ntitle: Both\nranked: false\npublished: 2024-06-02\nfilms:\n  - { title: Anora, year: 2024 }\n  - { title: Perfect Days, year: 2024 }\n---\n";

#[tokio::test]
async fn every_listing_shows_the_poster_or_a_placeholder_with_the_title() {
    let with = bundle_review("Anora", "jpg", "rating: 4\ntags: [Drama]\n");
    let without = "---\ntitle: Quiet\nfilm:\n  title: Perfect Days\n  year: 2024\n  director: Ann Director\npublished: 2024-06-01\nrating: 4\ntags: [Drama]\n---\nBody.\n";
    let site = TestSite::build(
        Options {
            sample_content: false,
            ..Options::default()
        },
        &[
            ("reviews/anora/index.md", &with),
            ("reviews/perfect-days.md", without),
            ("lists/both.md", BOTH_LIST),
        ],
    )
    .await;
    site.write_bytes("reviews/anora/poster.jpg", &jpeg(400, 600, 1));
    site.sync_everything().await;
    for path in [
        "/",
        "/tags/drama",
        "/ratings/4",
        "/films/2024",
        "/directors/ann-director",
        "/search?q=director",
        "/lists/both",
    ] {
        let html = site.get(path).await.html();
        let cards: Vec<_> = html
            .select(&Selector::parse("article.card, li.search-result").unwrap())
            .collect();
        assert_eq!(cards.len(), 2, "{path}");
        for card in cards {
            let film: String = card
                .select(&Selector::parse(".card-film a").unwrap())
                .next()
                .unwrap()
                .text()
                .collect();
            let poster = card
                .select(&Selector::parse("picture.card-poster img").unwrap())
                .next();
            let placeholder = card
                .select(&Selector::parse(".poster-placeholder").unwrap())
                .next();
            if film.starts_with("Anora") {
                let poster = poster.unwrap_or_else(|| panic!("{path}: Anora's poster"));
                assert_eq!(poster.value().attr("loading"), Some("lazy"));
                assert!(
                    poster.value().attr("srcset").is_some(),
                    "{path}: {:?}",
                    poster.value()
                );
                assert!(placeholder.is_none());
            } else {
                assert!(poster.is_none(), "{path}");
                let placeholder = placeholder.unwrap_or_else(|| panic!("{path}: a placeholder"));
                assert_eq!(placeholder.text().collect::<String>(), "Perfect Days");
                assert_eq!(placeholder.value().attr("aria-hidden"), Some("true"));
            }
        }
    }
}

/// A PNG of `size`×`size` one-bit pixels, all black: a complete, valid
/// image of a few hundred kB that decodes to gigabytes.
fn pixel_bomb(size: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut header = Vec::new();
    header.extend_from_slice(&size.to_be_bytes());
    header.extend_from_slice(&size.to_be_bytes());
    header.extend_from_slice(&[1, 0, 0, 0, 0]); // 1 bit, grey, deflate, no filter, no interlace
    let row = vec![0u8; 1 + size.div_ceil(8) as usize];
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..size {
        std::io::Write::write_all(&mut encoder, &row).unwrap();
    }
    let data = encoder.finish().unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &data);
    chunk(&mut png, b"IEND", &[]);
    png
}

#[tokio::test]
async fn an_unusable_image_is_a_content_error_and_the_review_still_renders() {
    let mut huge = jpeg(200, 300, 1);
    huge.resize(30 * 1024 * 1024, 0);
    // A PNG cut off half-way: its header is fine, its pixels are not.
    let mut truncated = Vec::new();
    let noise = image::RgbImage::from_fn(300, 450, |x, y| {
        image::Rgb([(x * 7 + y * 13) as u8, (x * y) as u8, (x ^ y) as u8])
    });
    noise
        .write_to(&mut Cursor::new(&mut truncated), ImageFormat::Png)
        .unwrap();
    truncated.truncate(truncated.len() / 2);
    let cases: [(&str, &str, Vec<u8>, &str); 4] = [
        (
            "corrupt",
            "jpg",
            b"not an image at all".to_vec(),
            "not a JPEG, PNG or WebP",
        ),
        ("bomb", "png", pixel_bomb(20_000), "20000×20000 pixels"),
        ("huge", "jpg", huge, "30 MB, more than the 20 MB"),
        ("truncated", "png", truncated, "cannot be decoded"),
    ];
    let files: Vec<(String, String)> = cases
        .iter()
        .map(|(name, ext, _, _)| {
            (
                format!("reviews/{name}/index.md"),
                bundle_review(&format!("Film {name}"), ext, ""),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let site = TestSite::build(
        Options {
            status_token: Some("token".into()),
            sample_content: false,
            ..Options::default()
        },
        &files,
    )
    .await;
    for (name, ext, bytes, _) in &cases {
        site.write_bytes(&format!("reviews/{name}/poster.{ext}"), bytes);
    }
    site.sync_everything().await;

    // The status page lists each, on the review's `film.poster`.
    let rows = eventually(DEADLINE, "four poster errors on /status", || async {
        let html = site.get("/status?token=token").await.html();
        let rows: Vec<Vec<String>> = html
            .select(&Selector::parse("table.errors tbody tr").unwrap())
            .map(|row| {
                row.select(&Selector::parse("td").unwrap())
                    .map(|cell| cell.text().collect::<String>())
                    .collect()
            })
            .collect();
        (rows.len() == cases.len()).then_some(rows)
    })
    .await;
    for (name, _, _, reason) in &cases {
        let row = rows
            .iter()
            .find(|row| row[0] == format!("reviews/{name}/index.md"))
            .unwrap_or_else(|| panic!("{name}: {rows:?}"));
        assert_eq!(row[2], "film.poster", "{name}");
        assert!(row[3].contains(reason), "{name}: {}", row[3]);
    }
    // `marquee check` says the same, without a server.
    let report = content::check(site.content()).expect("checks");
    for (name, _, _, reason) in &cases {
        let error = report
            .errors
            .iter()
            .find(|error| error.path == format!("reviews/{name}/index.md"))
            .unwrap_or_else(|| panic!("{name}: {:?}", report.errors));
        assert_eq!(error.field.as_deref(), Some("film.poster"));
        assert!(error.reason.contains(reason), "{name}: {}", error.reason);
    }
    // Each review is still there, without a poster, and its card has the
    // placeholder.
    for (name, _, _, _) in &cases {
        let response = site.get(&format!("/reviews/{name}")).await;
        assert_eq!(response.status, StatusCode::OK, "{name}");
        let html = response.html();
        assert!(
            common::attr_of(&html, "article.review", "class")
                .is_some_and(|class| !class.contains("has-poster"))
        );
        assert!(
            html.select(&Selector::parse("picture").unwrap())
                .next()
                .is_none()
        );
    }
    let home = site.get("/").await.html();
    assert_eq!(
        home.select(&Selector::parse(".poster-placeholder").unwrap())
            .count(),
        cases.len()
    );
}

/// TIFF-format EXIF saying "turn a quarter clockwise" and giving a
/// latitude: what a phone writes into a photo.
fn exif_rotated_with_gps() -> Vec<u8> {
    let mut tiff = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    // IFD0: Orientation = 6, GPSInfo -> offset 38.
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
    tiff.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD: GPSLatitudeRef = "N".
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&[0x01, 0x00, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff
}

#[tokio::test]
async fn derivatives_are_upright_and_carry_no_exif() {
    // 300×200 as stored, red on the left and blue on the right; the EXIF
    // says to turn it a quarter clockwise, which puts red at the top.
    let pixels = image::RgbImage::from_fn(300, 200, |x, _| {
        if x < 150 {
            image::Rgb([220, 20, 20])
        } else {
            image::Rgb([20, 20, 220])
        }
    });
    let mut photo = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut photo, 95);
    encoder.set_exif_metadata(exif_rotated_with_gps()).unwrap();
    encoder
        .write_image(pixels.as_raw(), 300, 200, image::ExtendedColorType::Rgb8)
        .unwrap();
    let gps = exif::Reader::new()
        .read_from_container(&mut Cursor::new(&photo))
        .expect("the source has EXIF");
    assert!(
        gps.get_field(exif::Tag::GPSLatitudeRef, exif::In::PRIMARY)
            .is_some()
    );

    let site = TestSite::build(
        only_these(),
        &[("reviews/photo/index.md", &bundle_review("Photo", "jpg", ""))],
    )
    .await;
    site.write_bytes("reviews/photo/poster.jpg", &photo);
    site.sync_everything().await;
    let html = page_with_sizes(&site, "/reviews/photo").await;
    let width: u32 = attr(&html, "picture.poster img", "width").parse().unwrap();
    let height: u32 = attr(&html, "picture.poster img", "height").parse().unwrap();
    assert_eq!((width, height), (200, 300), "upright: portrait");

    let mut urls = candidates(&attr(&html, "picture.poster source", "srcset"));
    urls.extend(candidates(&attr(&html, "picture.poster img", "srcset")));
    for (url, _) in urls {
        let (_, decoded, bytes) = fetch_image(&site, &url).await;
        assert!(decoded.height() > decoded.width(), "{url}: upright");
        let top = decoded.get_pixel(decoded.width() / 2, decoded.height() / 4);
        let bottom = decoded.get_pixel(decoded.width() / 2, decoded.height() * 3 / 4);
        assert!(top[0] > 150 && top[2] < 100, "{url}: red on top, {top:?}");
        assert!(
            bottom[2] > 150 && bottom[0] < 100,
            "{url}: blue below, {bottom:?}"
        );
        let exif = exif::Reader::new().read_from_container(&mut Cursor::new(&bytes));
        assert!(
            exif.is_err() || exif.unwrap().fields().next().is_none(),
            "{url} carries EXIF"
        );
        assert!(
            !bytes.windows(4).any(|window| window == b"Exif"),
            "{url} carries an EXIF block"
        );
    }
}

fn cached_files(site: &TestSite) -> BTreeSet<String> {
    std::fs::read_dir(site.images_dir())
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn derivatives_are_made_in_the_background_and_again_on_first_request_once() {
    let site = TestSite::build(
        only_these(),
        &[("reviews/anora/index.md", &bundle_review("Anora", "jpg", ""))],
    )
    .await;
    site.write_bytes("reviews/anora/poster.jpg", &jpeg(700, 1050, 1));
    site.sync_everything().await;
    // Four widths in two formats, made with no request for any.
    let imaging = site.site.state.imaging.clone();
    eventually(DEADLINE, "the derivatives on disk", || async {
        (cached_files(&site).len() == 8 && imaging.sources_made() == 1).then_some(())
    })
    .await;
    let html = page_with_sizes(&site, "/reviews/anora").await;

    // The cache deleted: the same page, and the first requests (all at
    // once) make the source's derivatives once between them.
    std::fs::remove_dir_all(site.images_dir()).unwrap();
    let again = site.get("/reviews/anora").await.html();
    assert_eq!(again.html(), html.html());
    let mut urls = candidates(&attr(&html, "picture.poster source", "srcset"));
    urls.extend(candidates(&attr(&html, "picture.poster img", "srcset")));
    let mut requests = tokio::task::JoinSet::new();
    for (url, _) in urls {
        let router = site.router.clone();
        requests.spawn(async move {
            let request = axum::http::Request::get(&url)
                .body(axum::body::Body::empty())
                .unwrap();
            router.oneshot(request).await.unwrap().status()
        });
    }
    for status in requests.join_all().await {
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(imaging.sources_made(), 2, "one more encode for all of them");
    assert_eq!(cached_files(&site).len(), 8);
}

#[tokio::test]
async fn a_changed_poster_gets_new_addresses_and_the_old_ones_go() {
    let site = TestSite::build(
        only_these(),
        &[("reviews/anora/index.md", &bundle_review("Anora", "jpg", ""))],
    )
    .await;
    site.write_bytes("reviews/anora/poster.jpg", &jpeg(400, 600, 1));
    site.sync_everything().await;
    let before = page_with_sizes(&site, "/reviews/anora").await;
    let old = attr(&before, "picture.poster img", "src");
    fetch_image(&site, &old).await;

    site.write_bytes("reviews/anora/poster.jpg", &jpeg(400, 600, 99));
    site.sync_everything().await;
    let after = page_with_sizes(&site, "/reviews/anora").await;
    let new = attr(&after, "picture.poster img", "src");
    assert_ne!(new, old);
    fetch_image(&site, &new).await;
    assert_eq!(site.get(&old).await.status, StatusCode::NOT_FOUND);
    let old_hash = old.trim_start_matches("/images/")[..32].to_string();
    eventually(DEADLINE, "the old derivatives swept", || async {
        let files = cached_files(&site);
        (!files.iter().any(|file| file.starts_with(&old_hash)) && !files.is_empty()).then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_sample_reviews_show_their_posters_from_the_static_folder() {
    let site = TestSite::sample().await;
    let html = page_with_sizes(&site, "/reviews/anora").await;
    let (url, width) = candidates(&attr(&html, "picture.poster img", "srcset"))
        .pop()
        .unwrap();
    let (format, decoded, _) = fetch_image(&site, &url).await;
    assert_eq!((format, decoded.width()), (ImageFormat::Jpeg, width));
    let home = site.get("/").await.html();
    assert_eq!(
        home.select(&Selector::parse("picture.card-poster").unwrap())
            .count(),
        4,
        "every sample review has a poster"
    );
    // `marquee check` finds them in the repository's static/, beside
    // content/, as a site's own would be.
    let report = content::check(&common::repo().join("content")).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

/// The review page once the body's image `selector` has its sizes.
async fn body_with_sizes(site: &TestSite, path: &str, selector: &str) -> Html {
    eventually(DEADLINE, "the body image's sizes on the page", || async {
        let html = site.get(path).await.html();
        common::attr_of(&html, selector, "srcset").map(|_| html)
    })
    .await
}

#[tokio::test]
async fn images_in_the_text_are_served_in_sizes_and_a_broken_one_is_reported() {
    let body = "---\ntitle: On Stills\nfilm:\n  title: Stills\n  year: 2024\npublished: 2024-06-01\n---\n\
                The opening.\n\n![The diner at night](frames/diner.jpg)\n\n\
                ![A set photo](/static/sets/set.png)\n\n![Broken](broken.jpg)\n\n\
                ![Elsewhere](https://img.example/far.jpg)\n";
    let site = TestSite::build(
        Options {
            status_token: Some("token".into()),
            ..only_these()
        },
        &[("reviews/stills/index.md", body)],
    )
    .await;
    site.write_bytes("reviews/stills/frames/diner.jpg", &jpeg(1600, 900, 3));
    site.write_bytes("reviews/stills/broken.jpg", b"not an image");
    let mut set = Vec::new();
    image::RgbImage::from_pixel(500, 400, image::Rgb([20, 90, 160]))
        .write_to(&mut Cursor::new(&mut set), ImageFormat::Png)
        .unwrap();
    let set_path = site.content().parent().unwrap().join("static/sets/set.png");
    std::fs::create_dir_all(set_path.parent().unwrap()).unwrap();
    std::fs::write(&set_path, &set).unwrap();
    site.sync_everything().await;

    let diner = ".review-body img[alt='The diner at night']";
    let html = body_with_sizes(&site, "/reviews/stills", diner).await;
    for (selector, source_width, source_height, fallback) in [
        (diner, 1600.0, 900.0, ImageFormat::Jpeg),
        (
            ".review-body img[alt='A set photo']",
            500.0,
            400.0,
            ImageFormat::Png,
        ),
    ] {
        let html = body_with_sizes(&site, "/reviews/stills", selector).await;
        let srcset = candidates(&attr(&html, selector, "srcset"));
        assert!(!srcset.is_empty(), "{selector}");
        for (url, width) in &srcset {
            let (format, decoded, _) = fetch_image(&site, url).await;
            assert_eq!(format, ImageFormat::WebP, "{url}");
            assert_eq!(decoded.width(), *width, "{url}");
            assert!(f64::from(*width) <= source_width, "never upscaled: {url}");
        }
        // Its shape is reserved, it loads when scrolled to, and browsers
        // without srcset get the source's own format.
        let width: f64 = attr(&html, selector, "width").parse().unwrap();
        let height: f64 = attr(&html, selector, "height").parse().unwrap();
        assert!(
            (height / width - source_height / source_width).abs() < 0.01,
            "{selector}: {width}×{height}"
        );
        assert_eq!(attr(&html, selector, "loading"), "lazy");
        assert_eq!(attr(&html, selector, "decoding"), "async");
        assert!(attr(&html, selector, "sizes").contains("40rem"));
        let (format, src, _) = fetch_image(&site, &attr(&html, selector, "src")).await;
        assert_eq!(format, fallback, "{selector}");
        assert_eq!(f64::from(src.width()), width);
    }
    // A URL and a broken file stay as linked; the page renders.
    assert_eq!(
        attr(&html, ".review-body img[alt='Elsewhere']", "src"),
        "https://img.example/far.jpg"
    );
    assert_eq!(
        common::attr_of(&html, ".review-body img[alt='Elsewhere']", "srcset"),
        None
    );
    assert_eq!(
        attr(&html, ".review-body img[alt='Broken']", "src"),
        "/reviews/stills/broken.jpg"
    );
    assert_eq!(
        common::attr_of(&html, ".review-body img[alt='Broken']", "srcset"),
        None
    );
    // The broken one is the review's error on its body, on the status page
    // and in `marquee check`.
    let row = eventually(DEADLINE, "the body image's error on /status", || async {
        let html = site.get("/status?token=token").await.html();
        html.select(&Selector::parse("table.errors tbody tr").unwrap())
            .map(|row| {
                row.select(&Selector::parse("td").unwrap())
                    .map(|cell| cell.text().collect::<String>())
                    .collect::<Vec<_>>()
            })
            .find(|row| row[0] == "reviews/stills/index.md")
    })
    .await;
    assert_eq!(row[2], "body");
    assert!(row[3].contains("broken.jpg"), "{row:?}");
    let report = content::check(site.content()).expect("checks");
    let error = report
        .errors
        .iter()
        .find(|error| error.path == "reviews/stills/index.md")
        .unwrap_or_else(|| panic!("{:?}", report.errors));
    assert_eq!(error.field.as_deref(), Some("body"));
    assert!(error.reason.contains("broken.jpg"), "{}", error.reason);
}

#[tokio::test]
async fn a_poster_url_is_shown_as_given_at_the_size_the_editor_gave() {
    let sized = "---\ntitle: Far\nfilm:\n  title: Far Away\n  year: 2024\n  poster: https://img.example/far.jpg\n  poster_width: 500\n  poster_height: 740\npublished: 2024-06-01\n---\nBody.\n";
    let plain = "---\ntitle: Near\nfilm:\n  title: Near By\n  year: 2024\n  poster: https://img.example/near.jpg\npublished: 2024-06-02\n---\nBody.\n";
    let site = TestSite::build(
        only_these(),
        &[("reviews/far.md", sized), ("reviews/near.md", plain)],
    )
    .await;
    // On the review page and on the cards alike.
    for (path, selector, url, size) in [
        (
            "/reviews/far",
            "picture.poster img",
            "https://img.example/far.jpg",
            ("500", "740"),
        ),
        (
            "/reviews/near",
            "picture.poster img",
            "https://img.example/near.jpg",
            ("200", "300"),
        ),
        (
            "/",
            "article.card:has(a[href='/reviews/far']) picture img",
            "https://img.example/far.jpg",
            ("500", "740"),
        ),
        (
            "/",
            "article.card:has(a[href='/reviews/near']) picture img",
            "https://img.example/near.jpg",
            ("200", "300"),
        ),
    ] {
        let html = site.get(path).await.html();
        assert_eq!(attr(&html, selector, "src"), url, "{path} {selector}");
        assert_eq!(
            (
                attr(&html, selector, "width").as_str(),
                attr(&html, selector, "height").as_str()
            ),
            size,
            "{path} {selector}"
        );
        assert_eq!(
            common::attr_of(&html, selector, "srcset"),
            None,
            "shown as given"
        );
    }
}

#[tokio::test]
async fn a_poster_saved_into_its_bundle_is_picked_up_by_the_watcher_alone() {
    let site = TestSite::build(
        Options {
            watch: true,
            ..only_these()
        },
        &[
            ("reviews/anora/index.md", &bundle_review("Anora", "jpg", "")),
            ("reviews/flow/index.md", &bundle_review("Flow", "jpg", "")),
        ],
    )
    .await;
    site.write_bytes("reviews/anora/poster.jpg", &jpeg(400, 600, 1));
    site.write_bytes("reviews/flow/poster.jpg", &jpeg(400, 600, 2));
    site.sync_everything().await;
    let flow = attr(
        &page_with_sizes(&site, "/reviews/flow").await,
        "picture.poster img",
        "src",
    );
    let before = page_with_sizes(&site, "/reviews/anora").await;
    let old = attr(&before, "picture.poster img", "src");

    // Only the image changes: the watcher's sync looks at that bundle's
    // images again (and no others), and the page shows the new poster.
    site.write_bytes("reviews/anora/poster.jpg", &jpeg(500, 600, 7));
    let new = eventually(DEADLINE, "the new poster on the page", || async {
        let html = site.get("/reviews/anora").await.html();
        common::attr_of(&html, "picture.poster img", "src").filter(|src| *src != old)
    })
    .await;
    let (_, image, _) = fetch_image(&site, &new).await;
    assert_eq!(image.width() * 600, image.height() * 500, "the new shape");
    // Flow's poster, which that sync did not look at, is as it was.
    let html = site.get("/reviews/flow").await.html();
    assert_eq!(attr(&html, "picture.poster img", "src"), flow);
}
