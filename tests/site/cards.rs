//! Share cards: every review page, the home page and tag pages name a
//! 1200 × 630 PNG that Marquee draws once per change of what it shows.

use crate::common;

use axum::http::StatusCode;
use common::{Options, TestSite, attr_of, review};
use image::RgbaImage;
use marquee::cards::{CARD_HEIGHT, CARD_WIDTH, POSTER_PANEL, Palette, Rect, TEXT_BOX};

const BASE: &str = "https://films.example";

/// The card a page names, checked to be absolute with its size and text
/// alternative: its path on the site.
async fn card_path(site: &TestSite, page: &str) -> String {
    let response = site.get(page).await;
    assert_eq!(response.status, StatusCode::OK, "{page}");
    let html = response.html();
    let meta =
        |property: &str| attr_of(&html, &format!("meta[property=\"{property}\"]"), "content");
    let url = meta("og:image").unwrap_or_else(|| panic!("{page} has no og:image"));
    assert_eq!(meta("og:image:width").as_deref(), Some("1200"));
    assert_eq!(meta("og:image:height").as_deref(), Some("630"));
    assert!(!meta("og:image:alt").unwrap_or_default().is_empty());
    assert_eq!(
        attr_of(&html, "meta[name=\"twitter:card\"]", "content").as_deref(),
        Some("summary_large_image")
    );
    url.strip_prefix(BASE)
        .unwrap_or_else(|| panic!("og:image {url} is not absolute on {BASE}"))
        .to_string()
}

/// Fetches a card and decodes it, checking it is an immutable 1200 × 630
/// PNG.
async fn card(site: &TestSite, path: &str) -> RgbaImage {
    let (status, headers, bytes) = site.get_bytes(path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    assert_eq!(headers["content-type"], "image/png");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let image = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
        .expect("a PNG")
        .to_rgba8();
    assert_eq!(image.dimensions(), (CARD_WIDTH, CARD_HEIGHT));
    image
}

fn rgb(hex: &str) -> [u8; 3] {
    let value = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap();
    [(value >> 16) as u8, (value >> 8) as u8, value as u8]
}

/// Pixels inside `area` within a small distance of `colour` (text is
/// antialiased, so only the cores of glyphs match).
fn count(image: &RgbaImage, area: Rect, colour: &str) -> usize {
    let target = rgb(colour);
    image
        .enumerate_pixels()
        .filter(|(x, y, _)| {
            (*x as f32) >= area.x
                && (*x as f32) < area.right
                && (*y as f32) >= area.y
                && (*y as f32) < area.bottom
        })
        .filter(|(_, _, pixel)| {
            pixel.0[..3]
                .iter()
                .zip(target)
                .all(|(a, b)| a.abs_diff(b) <= 12)
        })
        .count()
}

const WHOLE: Rect = Rect {
    x: 0.0,
    y: 0.0,
    right: CARD_WIDTH as f32,
    bottom: CARD_HEIGHT as f32,
};

async fn site_with(files: &[(&str, &str)]) -> TestSite {
    TestSite::build(
        Options {
            sample_content: false,
            ..Options::default()
        },
        files,
    )
    .await
}

#[tokio::test]
async fn a_review_page_names_an_absolute_card_that_is_a_1200_by_630_png() {
    let site = TestSite::sample().await;
    let path = card_path(&site, "/reviews/anora").await;
    assert!(path.starts_with("/cards/reviews/anora-"), "{path}");
    let image = card(&site, &path).await;
    // The film's title is drawn in the text box, and Anora's five stars.
    assert!(count(&image, TEXT_BOX, Palette::CARD.ink) > 500);
    assert!(count(&image, WHOLE, Palette::CARD.star) > 1000);
}

#[tokio::test]
async fn the_card_url_changes_with_the_review_and_the_old_one_is_gone() {
    let site = site_with(&[(
        "reviews/film.md",
        &review("A headline", "A Film", "rating: 3\n", "Text."),
    )])
    .await;
    let first = card_path(&site, "/reviews/film").await;
    card(&site, &first).await;

    site.write(
        "reviews/film.md",
        &review("A headline", "A Film", "rating: 4\n", "Text."),
    );
    site.sync_everything().await;
    let rerated = card_path(&site, "/reviews/film").await;
    assert_ne!(rerated, first, "a new rating, a new card");
    card(&site, &rerated).await;
    assert_eq!(site.get(&first).await.status, StatusCode::NOT_FOUND);

    site.write(
        "reviews/film.md",
        &review("A headline", "Another Film", "rating: 4\n", "Text."),
    );
    site.sync_everything().await;
    let retitled = card_path(&site, "/reviews/film").await;
    assert_ne!(retitled, rerated, "a new title, a new card");
    card(&site, &retitled).await;
    assert_eq!(site.get(&rerated).await.status, StatusCode::NOT_FOUND);

    for nonsense in [
        "/cards/reviews/film.png",
        "/cards/reviews/film-0000000000000000.png",
        "/cards/reviews/nobody-0000000000000000.png",
        "/cards/site-zz.png",
        "/cards/whatever",
    ] {
        assert_eq!(
            site.get(nonsense).await.status,
            StatusCode::NOT_FOUND,
            "{nonsense}"
        );
    }
}

#[tokio::test]
async fn the_home_page_and_tag_pages_have_the_site_card() {
    let site = TestSite::sample().await;
    let home = card_path(&site, "/").await;
    assert!(home.starts_with("/cards/site-"), "{home}");
    let image = card(&site, &home).await;
    assert!(
        count(&image, WHOLE, Palette::CARD.ink) > 1000,
        "the site's title"
    );
    assert_eq!(card_path(&site, "/tags/drama").await, home);
}

/// A PNG header that says 20,000 × 20,000 pixels, with a valid checksum.
fn pixel_bomb() -> Vec<u8> {
    let mut bytes = Vec::new();
    image::RgbImage::new(1, 1)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    bytes[16..20].copy_from_slice(&20_000u32.to_be_bytes());
    bytes[20..24].copy_from_slice(&20_000u32.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    bytes
}

fn green_poster() -> Vec<u8> {
    let mut bytes = Vec::new();
    image::RgbImage::from_pixel(200, 300, image::Rgb([20, 200, 60]))
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    bytes
}

#[tokio::test]
async fn broken_huge_remote_and_missing_posters_give_the_placeholder() {
    let with_poster = |poster: &str| {
        format!(
            "---\ntitle: Headline\nfilm:\n  title: Film\n  poster: {poster}\npublished: 2024-06-01\n---\nText.\n"
        )
    };
    let site = site_with(&[
        ("reviews/good/index.md", &with_poster("poster.png")),
        ("reviews/corrupt/index.md", &with_poster("poster.jpg")),
        ("reviews/bomb/index.md", &with_poster("poster.png")),
        ("reviews/huge/index.md", &with_poster("poster.png")),
        (
            "reviews/remote.md",
            &with_poster("https://images.example/p.jpg"),
        ),
        ("reviews/gone.md", &with_poster("posters/missing.jpg")),
        ("reviews/none.md", &review("Headline", "Film", "", "")),
    ])
    .await;
    let bundle = |name: &str| site.content().join("reviews").join(name);
    std::fs::write(bundle("good/poster.png"), green_poster()).unwrap();
    std::fs::write(
        bundle("corrupt/poster.jpg"),
        b"\xff\xd8\xff\xe0 not a JPEG at all",
    )
    .unwrap();
    std::fs::write(bundle("bomb/poster.png"), pixel_bomb()).unwrap();
    let mut huge = green_poster();
    huge.resize(30 * 1024 * 1024, 0);
    std::fs::write(bundle("huge/poster.png"), huge).unwrap();
    site.sync_everything().await;

    let green = "#14c83c";
    let image = card(&site, &card_path(&site, "/reviews/good").await).await;
    assert!(
        count(&image, POSTER_PANEL, green) as f32
            > POSTER_PANEL.width() * POSTER_PANEL.height() * 0.9,
        "a good poster fills its panel"
    );
    for slug in ["corrupt", "bomb", "huge", "remote", "gone", "none"] {
        let image = card(&site, &card_path(&site, &format!("/reviews/{slug}")).await).await;
        assert_eq!(count(&image, POSTER_PANEL, green), 0, "{slug}");
        assert!(
            count(&image, POSTER_PANEL, Palette::CARD.tint) > 10_000,
            "{slug}: the tinted placeholder"
        );
        assert!(
            count(&image, POSTER_PANEL, Palette::CARD.ink) > 200,
            "{slug}: the film's title on the placeholder"
        );
    }
}

#[tokio::test]
async fn the_stars_are_filled_in_halves() {
    let rated = |stars: &str| review("Headline", "Film", &format!("rating: {stars}\n"), "");
    let site = site_with(&[
        ("reviews/half.md", &rated("0.5")),
        ("reviews/one.md", &rated("1")),
        ("reviews/five.md", &rated("5")),
        ("reviews/unrated.md", &review("Headline", "Film", "", "")),
    ])
    .await;
    let mut gold = Vec::new();
    for slug in ["unrated", "half", "one", "five"] {
        let image = card(&site, &card_path(&site, &format!("/reviews/{slug}")).await).await;
        gold.push(count(&image, WHOLE, Palette::CARD.star));
    }
    let [unrated, half, one, five] = gold[..] else {
        unreachable!()
    };
    assert_eq!(unrated, 0);
    assert!(half > 200, "half a star is drawn: {gold:?}");
    assert!(one as f32 > half as f32 * 1.6, "{gold:?}");
    assert!(five as f32 > one as f32 * 4.5, "{gold:?}");
}

#[tokio::test]
async fn a_very_long_title_and_headline_stay_in_the_text_box() {
    let long_title = "The Unbelievably Long and Extraordinarily Winding Chronicle of Everything That Ever Happened in the Old Harbour Town ".repeat(3);
    let long_headline = "An astonishingly verbose headline that goes on, and on, and on, well past the point where anyone could reasonably be expected to keep reading it ".repeat(3);
    let unbroken = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherung".repeat(2);
    let site = site_with(&[
        (
            "reviews/long.md",
            &review(&long_headline, &long_title, "rating: 2.5\n", ""),
        ),
        ("reviews/unbroken.md", &review(&unbroken, &unbroken, "", "")),
    ])
    .await;
    for slug in ["long", "unbroken"] {
        let image = card(&site, &card_path(&site, &format!("/reviews/{slug}")).await).await;
        let ink = Palette::CARD.ink;
        assert!(count(&image, TEXT_BOX, ink) > 2000, "{slug}: text is drawn");
        let right_of_box = Rect {
            x: TEXT_BOX.right + 1.0,
            ..WHOLE
        };
        let below_box = Rect {
            x: TEXT_BOX.x,
            y: TEXT_BOX.bottom + 1.0,
            ..WHOLE
        };
        assert_eq!(
            count(&image, right_of_box, ink),
            0,
            "{slug}: text right of the box"
        );
        assert_eq!(
            count(&image, below_box, ink),
            0,
            "{slug}: text below the box"
        );
    }
}

#[tokio::test]
async fn cjk_and_arabic_titles_are_drawn() {
    let site = site_with(&[
        (
            "reviews/spirited.md",
            &review("Headline", "千と千尋の神隠し", "", ""),
        ),
        ("reviews/wadjda.md", &review("Headline", "وجدة", "", "")),
        (
            "reviews/mixed.md",
            &review("寄生虫 and وجدة", "기생충 Parasite", "", ""),
        ),
    ])
    .await;
    // The title's first line: its baseline is at 190.
    let title_line = Rect {
        y: 120.0,
        bottom: 205.0,
        ..TEXT_BOX
    };
    for slug in ["spirited", "wadjda", "mixed"] {
        let image = card(&site, &card_path(&site, &format!("/reviews/{slug}")).await).await;
        assert!(
            count(&image, title_line, Palette::CARD.ink) > 300,
            "{slug}: the title is drawn"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_requests_draw_a_card_once() {
    use tower::ServiceExt;
    let site = TestSite::sample().await;
    let path = card_path(&site, "/reviews/perfect-days").await;
    let cards = &site.site.state.cards;
    let before = cards.drawn();
    let requests: Vec<_> = (0..8)
        .map(|_| {
            let (router, path) = (site.router.clone(), path.clone());
            tokio::spawn(async move {
                let request = axum::http::Request::get(path)
                    .body(axum::body::Body::empty())
                    .unwrap();
                let response = router.oneshot(request).await.unwrap();
                let status = response.status();
                let body = http_body_util::BodyExt::collect(response.into_body())
                    .await
                    .unwrap()
                    .to_bytes();
                (status, body)
            })
        })
        .collect();
    let mut bodies = Vec::new();
    for request in requests {
        let (status, body) = request.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        bodies.push(body);
    }
    assert!(bodies.iter().all(|body| body == &bodies[0]));
    assert_eq!(cards.drawn(), before + 1, "drawn once");
    card(&site, &path).await;
    assert_eq!(cards.drawn(), before + 1, "then served from the folder");
    assert!(cards.dir().starts_with(site.dir.path()));

    // The folder is only a cache: deleted, the card is drawn again.
    std::fs::remove_dir_all(cards.dir()).unwrap();
    assert_eq!(
        card(&site, &path).await.dimensions(),
        (CARD_WIDTH, CARD_HEIGHT)
    );
    assert_eq!(cards.drawn(), before + 2, "drawn again");
}
