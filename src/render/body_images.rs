//! Images in a review's text, served in sizes like its poster.
//!
//! The stored body links each image as the editor named it (the renderer
//! lists the local ones, `content::markdown::Rendered::images`), and the
//! publisher measures them after the sync, in the background. So the sizes
//! are given here, when a page is rendered: each `<img>` whose file has
//! been measured gets `srcset` and `sizes`, `width` and `height` (nothing
//! shifts while it loads), and lazy, asynchronous loading. Until then, or
//! when the file cannot be used, it stays as the editor linked it.
//!
//! Attributes are set on the element the body already has, so no markup is
//! written here. The `srcset` offers the WebP sizes (every browser that
//! reads `srcset` decodes WebP), and `src` stays in the source's own format
//! for those that read neither.

use std::collections::HashMap;

use lol_html::{RewriteStrSettings, element, rewrite_str};

use super::views::PosterView;

/// How wide an image in the text is shown: the body's measure (40rem) on a
/// wide screen, the screen's width less its margins on a phone.
const SIZES: &str = "(min-width: 44rem) 40rem, calc(100vw - 2.5rem)";

/// `html` with the images `sized` knows (by `src`) given their sizes. The
/// body is returned as it was when none is known, or if it cannot be
/// rewritten (it came from our own renderer and sanitizer, so that would
/// be a bug, logged, never a broken page).
pub(crate) fn sized(html: &str, sized: &HashMap<String, PosterView>) -> String {
    if sized.is_empty() {
        return html.to_string();
    }
    let settings =
        RewriteStrSettings::new().append_element_content_handler(element!("img[src]", |img| {
            let src = img.get_attribute("src").unwrap_or_default();
            if let Some(PosterView::Sized(image)) = sized.get(&src) {
                let srcset = image.webp_srcset.as_deref().unwrap_or(&image.srcset);
                img.set_attribute("src", &image.src)?;
                img.set_attribute("srcset", srcset)?;
                img.set_attribute("sizes", SIZES)?;
                img.set_attribute("width", &image.width.to_string())?;
                img.set_attribute("height", &image.height.to_string())?;
                img.set_attribute("loading", "lazy")?;
                img.set_attribute("decoding", "async")?;
            }
            Ok(())
        }));
    let rewritten = rewrite_str(html, settings);
    rewritten.unwrap_or_else(|error| {
        tracing::error!(%error, "sizing a body's images failed; serving it as stored");
        html.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::views::{PlainPoster, SizedPoster};

    fn known() -> HashMap<String, PosterView> {
        HashMap::from([(
            "/reviews/a/still.jpg".to_string(),
            PosterView::Sized(SizedPoster {
                webp_srcset: Some("/images/h-160.webp 160w, /images/h-320.webp 320w".into()),
                srcset: "/images/h-160.jpg 160w, /images/h-320.jpg 320w".into(),
                src: "/images/h-320.jpg".into(),
                width: 320,
                height: 180,
            }),
        )])
    }

    fn img(html: &str) -> HashMap<String, String> {
        let html = scraper::Html::parse_fragment(html);
        let selector = scraper::Selector::parse("img").unwrap();
        let img = html.select(&selector).next().unwrap();
        img.value()
            .attrs()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn a_measured_image_gets_its_sizes_and_keeps_its_alt() {
        let out = sized(
            r#"<p><img src="/reviews/a/still.jpg" alt="A &quot;quiet&quot; still"></p>"#,
            &known(),
        );
        let attrs = img(&out);
        assert_eq!(attrs["src"], "/images/h-320.jpg");
        assert_eq!(
            attrs["srcset"],
            "/images/h-160.webp 160w, /images/h-320.webp 320w"
        );
        assert_eq!(attrs["sizes"], SIZES);
        assert_eq!(
            (attrs["width"].as_str(), attrs["height"].as_str()),
            ("320", "180")
        );
        assert_eq!(attrs["loading"], "lazy");
        assert_eq!(attrs["decoding"], "async");
        assert_eq!(attrs["alt"], "A \"quiet\" still");
    }

    #[test]
    fn other_images_are_left_as_linked() {
        let html = r#"<p><img src="https://img.example/x.jpg" alt="x"></p>"#;
        assert_eq!(sized(html, &known()), html);
        let plain = HashMap::from([(
            "/reviews/a/still.jpg".to_string(),
            PosterView::Plain(PlainPoster {
                url: "/reviews/a/still.jpg".into(),
                width: 200,
                height: 300,
            }),
        )]);
        let html = r#"<img src="/reviews/a/still.jpg" alt="">"#;
        assert_eq!(sized(html, &plain), html);
        assert_eq!(sized(html, &HashMap::new()), html);
    }
}
