//! Which film a review, a diary entry or a list entry is about. Reviews,
//! the diary and lists are written apart, often years apart, so they are
//! joined by a key computed here once: the film's title and year, folded
//! (case and punctuation do not matter: `Anora`, `ANORA` and `Anora!` from
//! 2024 are all `anora-2024`), which is also the film page's address. Where
//! an editor gives a TMDB or IMDb id, those join too, so a film written
//! under two titles still has one history.

use serde::Deserialize;

/// The ids an editor may write beside a film's title and year.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FilmFields {
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) year: Option<i32>,
    /// A TMDB movie id, such as 1064213.
    #[serde(default)]
    pub(crate) tmdb: Option<i64>,
    /// An IMDb title id, such as tt28607951.
    #[serde(default)]
    pub(crate) imdb: Option<String>,
}

/// A film as the diary and lists name it, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilmRef {
    pub(crate) title: String,
    pub(crate) year: Option<i32>,
    pub(crate) key: FilmKey,
}

/// What joins everything written about one film.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilmKey {
    /// `anora-2024`: the film page is `/film/{slug}`.
    pub(crate) slug: String,
    pub(crate) tmdb: Option<i64>,
    pub(crate) imdb: Option<String>,
}

/// The years a film may be from.
pub(crate) const FILM_YEARS: std::ops::RangeInclusive<i32> = 1870..=2200;

/// The film page's slug: the title folded to a URL name, then the year.
/// `None` when the title has no letter or digit to make one from.
pub(crate) fn film_slug(title: &str, year: Option<i32>) -> Option<String> {
    let title = slug::slugify(title);
    if title.is_empty() {
        return None;
    }
    Some(match year {
        Some(year) => format!("{title}-{year}"),
        None => title,
    })
}

/// Checks a film's year.
pub(crate) fn check_year(year: Option<i32>) -> Result<Option<i32>, String> {
    match year {
        Some(year) if !FILM_YEARS.contains(&year) => Err(format!(
            "{year} is not a plausible film year; write a year from 1870 to 2200, such as 2024"
        )),
        _ => Ok(year),
    }
}

/// Checks a TMDB movie id: a positive whole number.
pub(crate) fn check_tmdb(tmdb: Option<i64>) -> Result<Option<i64>, String> {
    match tmdb {
        Some(id) if !(1..=999_999_999).contains(&id) => Err(format!(
            "{id} is not a TMDB movie id; write the number from the film's TMDB address, such as 1064213"
        )),
        _ => Ok(tmdb),
    }
}

/// Checks an IMDb title id: `tt` and seven to ten digits.
pub(crate) fn check_imdb(imdb: Option<&str>) -> Result<Option<String>, String> {
    let Some(imdb) = imdb.map(str::trim) else {
        return Ok(None);
    };
    let digits = imdb.strip_prefix("tt").unwrap_or("");
    if (7..=10).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Some(imdb.to_string()))
    } else {
        Err(format!(
            "`{imdb}` is not an IMDb title id; write `tt` and the digits from the film's IMDb address, such as tt28607951"
        ))
    }
}

/// The film's links elsewhere, for `sameAs` in structured data.
pub(crate) fn same_as(tmdb: Option<i64>, imdb: Option<&str>) -> Vec<String> {
    tmdb.map(|id| format!("https://www.themoviedb.org/movie/{id}"))
        .into_iter()
        .chain(imdb.map(|id| format!("https://www.imdb.com/title/{id}/")))
        .collect()
}

/// Validates the film fields of a diary or list entry; `at` names the
/// field (`entries[3].film`) for the error.
pub(crate) fn validate(
    fields: &FilmFields,
    at: &str,
    invalid: &impl Fn(&str, String) -> super::error::ContentError,
) -> Result<FilmRef, super::error::ContentError> {
    let title_field = format!("{at}.title");
    let title = super::review::required_text(&fields.title).ok_or_else(|| {
        invalid(
            &title_field,
            "is empty; write the film's title, such as Anora".into(),
        )
    })?;
    let year = check_year(fields.year).map_err(|reason| invalid(&format!("{at}.year"), reason))?;
    let tmdb = check_tmdb(fields.tmdb).map_err(|reason| invalid(&format!("{at}.tmdb"), reason))?;
    let imdb = check_imdb(fields.imdb.as_deref())
        .map_err(|reason| invalid(&format!("{at}.imdb"), reason))?;
    let slug = film_slug(&title, year).ok_or_else(|| {
        invalid(
            &title_field,
            format!(
                "the title `{title}` has no letters or digits, so its film page would have no address"
            ),
        )
    })?;
    Ok(FilmRef {
        title,
        year,
        key: FilmKey { slug, tmdb, imdb },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn film_slugs_fold_case_and_punctuation() {
        assert_eq!(
            film_slug("Anora", Some(2024)).as_deref(),
            Some("anora-2024")
        );
        assert_eq!(
            film_slug("ANORA!", Some(2024)).as_deref(),
            Some("anora-2024")
        );
        assert_eq!(
            film_slug("Perfect Days", None).as_deref(),
            Some("perfect-days")
        );
        assert_eq!(film_slug("?!", Some(2024)), None);
    }

    #[test]
    fn ids_are_checked() {
        assert_eq!(check_tmdb(Some(1_064_213)), Ok(Some(1_064_213)));
        assert!(check_tmdb(Some(0)).is_err());
        assert!(check_tmdb(Some(-4)).is_err());
        assert_eq!(
            check_imdb(Some("tt28607951")),
            Ok(Some("tt28607951".into()))
        );
        for bad in ["28607951", "tt12", "tt2860795x", "nm0000123"] {
            assert!(check_imdb(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn same_as_links_both_databases() {
        assert_eq!(
            same_as(Some(1), Some("tt0000001")),
            [
                "https://www.themoviedb.org/movie/1",
                "https://www.imdb.com/title/tt0000001/"
            ]
        );
        assert!(same_as(None, None).is_empty());
    }
}
