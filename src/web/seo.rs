//! For search engines: `/sitemap.xml` lists every public page with the date
//! it last changed, and `/robots.txt` says where the sitemap is. Both use
//! the site's base URL, since crawlers need absolute addresses.

use axum::extract::State;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use time::OffsetDateTime;

use super::cache::CachePolicy;
use super::error::AppError;
use super::respond::Document;
use super::{AppState, modified, urls};
use crate::db;

const SITEMAP_NAMESPACE: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// Crawlers come back on their own schedule; an hour is plenty.
const SEO_CACHE_CONTROL: CachePolicy = CachePolicy::ForAnHour;

/// One `<url>` of the sitemap.
struct SitemapUrl {
    loc: String,
    /// When it last changed; the epoch when unknown (then no `<lastmod>` is
    /// written).
    lastmod: OffsetDateTime,
}

/// `GET /sitemap.xml`
pub(crate) async fn sitemap(State(state): State<AppState>) -> Result<Document, AppError> {
    let entries = sitemap_urls(&state).await?;
    let body =
        write_urlset(&entries).map_err(|error| AppError::Feed(format!("sitemap: {error}")))?;
    Ok(Document {
        content_type: "application/xml; charset=utf-8",
        body,
        policy: SEO_CACHE_CONTROL,
        modified: entries.iter().map(|entry| entry.lastmod).max(),
    })
}

/// The home page, the tag index, every visible review, every tag page,
/// every published standalone page, the lists and the diary. Drafts and scheduled reviews are left
/// out by the queries.
async fn sitemap_urls(state: &AppState) -> Result<Vec<SitemapUrl>, AppError> {
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    let site = state.site.get();
    let catalog = modified::catalog(&mut tx, &state.options.content_dir, now).await?;
    let mut entries = vec![
        SitemapUrl {
            loc: site.url("/"),
            lastmod: catalog,
        },
        SitemapUrl {
            loc: site.url("/tags"),
            lastmod: catalog,
        },
    ];
    let reviews = db::reviews::sitemap(&mut *tx, now).await?;
    let tags = db::reviews::tag_sitemap(&mut *tx, now).await?;
    let pages = db::pages::published(&mut *tx).await?;
    let listed = |path: fn(&str) -> String, rows: Vec<db::reviews::SitemapRow>| {
        rows.into_iter()
            .map(|row| SitemapUrl {
                loc: site.url(&path(&row.slug)),
                lastmod: row.modified,
            })
            .collect::<Vec<_>>()
    };
    entries.extend(listed(urls::review, reviews));
    entries.extend(listed(urls::tag, tags));
    entries.extend(pages.into_iter().map(|page| SitemapUrl {
        loc: site.url(&urls::page(&page.slug)),
        lastmod: page.modified,
    }));
    let lists = db::lists::visible_lists(&mut *tx, now).await?;
    entries.push(SitemapUrl {
        loc: site.url("/lists"),
        lastmod: catalog,
    });
    entries.extend(lists.into_iter().map(|list| SitemapUrl {
        loc: site.url(&urls::list(&list.slug)),
        lastmod: list.modified,
    }));
    if db::diary::count(&mut *tx, now, db::diary::Span::All).await? > 0 {
        entries.push(SitemapUrl {
            loc: site.url("/diary"),
            lastmod: catalog,
        });
    }
    // A review `updated` in the future (or a file dated there) changed no
    // later than now, as far as a crawler can know.
    for entry in &mut entries {
        entry.lastmod = entry.lastmod.min(now);
    }
    Ok(entries)
}

/// The sitemaps.org `urlset`, written with an XML writer that escapes.
fn write_urlset(urls: &[SitemapUrl]) -> std::io::Result<Vec<u8>> {
    let mut writer = Writer::new(Vec::new());
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer
        .create_element("urlset")
        .with_attribute(("xmlns", SITEMAP_NAMESPACE))
        .write_inner_content(|writer| {
            for url in urls {
                writer.create_element("url").write_inner_content(|writer| {
                    writer
                        .create_element("loc")
                        .write_text_content(BytesText::new(&url.loc))?;
                    if url.lastmod > OffsetDateTime::UNIX_EPOCH {
                        let date = url.lastmod.date().to_string();
                        writer
                            .create_element("lastmod")
                            .write_text_content(BytesText::new(&date))?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(writer.into_inner())
}

/// `GET /robots.txt`: everything may be crawled except search results (an
/// endless space of near-duplicate pages) and the editor's status page.
pub(crate) async fn robots(State(state): State<AppState>) -> Document {
    let site = state.site.get();
    let body = format!(
        "User-agent: *\nDisallow: /search\nDisallow: /status\n\nSitemap: {}\n",
        site.url("/sitemap.xml")
    );
    Document {
        content_type: "text/plain; charset=utf-8",
        body: body.into_bytes(),
        policy: SEO_CACHE_CONTROL,
        modified: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlset_escapes_and_dates() {
        let xml = write_urlset(&[
            SitemapUrl {
                loc: "https://films.example/?a=1&b=<2>".into(),
                lastmod: OffsetDateTime::from_unix_timestamp(1_729_209_600).unwrap(),
            },
            SitemapUrl {
                loc: "https://films.example/about".into(),
                lastmod: OffsetDateTime::UNIX_EPOCH,
            },
        ])
        .unwrap();
        let xml = String::from_utf8(xml).unwrap();
        assert!(
            xml.contains("<loc>https://films.example/?a=1&amp;b=&lt;2&gt;</loc>"),
            "{xml}"
        );
        assert!(xml.contains("<lastmod>2024-10-18</lastmod>"), "{xml}");
        assert_eq!(xml.matches("<lastmod>").count(), 1, "{xml}");
    }
}
