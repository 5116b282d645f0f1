//! Heading ids, so that readers can link to a section (`#the-cast`) and the
//! link keeps working when the review is edited elsewhere.

use std::collections::{HashMap, HashSet};

/// The ids given out in one review: unique across the body and the spoiler
/// blocks inside it.
#[derive(Debug, Default)]
pub(super) struct HeadingIds {
    /// Every heading id given out so far.
    given: HashSet<String>,
    /// For each id base, the last numeric suffix tried, so that a thousand
    /// headings with one title cost a thousand steps, not half a million.
    suffixes: HashMap<String, usize>,
}

impl HeadingIds {
    /// An explicit `{#id}` wins, otherwise the slug of the heading text;
    /// either gets the first free `-2`, `-3`… when it is taken.
    pub(super) fn unique(&mut self, explicit: Option<&str>, title: &str) -> String {
        let base = match explicit {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => {
                let slug = slug::slugify(title);
                if slug.is_empty() {
                    "section".to_string()
                } else {
                    slug
                }
            }
        };
        let n = self.suffixes.entry(base.clone()).or_insert(1);
        let mut id = if *n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        while !self.given.insert(id.clone()) {
            *n += 1;
            id = format!("{base}-{n}");
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use crate::content::markdown::{Target, render};

    fn html(markdown: &str) -> String {
        render(markdown, Target::default()).html
    }

    #[test]
    fn headings_get_unique_ids() {
        let html = html("## The Cast\n\n## The Cast\n\n## Custom {#mine}");
        assert!(html.contains("<h2 id=\"the-cast\">"), "{html}");
        assert!(html.contains("<h2 id=\"the-cast-2\">"), "{html}");
        assert!(html.contains("<h2 id=\"mine\">"), "{html}");
    }

    #[test]
    fn headings_cannot_carry_handlers_or_raw_html() {
        let html = html(
            "# Hi {#mine .wide onclick=alert(1) style=color:red}\n\n## <img src=x onerror=alert(1)>Cast",
        );
        assert!(
            html.contains("<h1 id=\"mine\" class=\"wide\">Hi</h1>"),
            "{html}"
        );
        assert!(
            !html.contains("onclick") && !html.contains("style"),
            "{html}"
        );
        assert!(!html.contains("onerror"), "{html}");
    }

    #[test]
    fn heading_ids_stay_unique_beside_explicit_ones() {
        let html = html("# a\n\n# a {#a-2}\n\n# a\n\n# a");
        let ids: Vec<&str> = html
            .split("id=\"")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
            .collect();
        assert_eq!(ids, ["a", "a-2", "a-3", "a-4"]);
    }
}
