//! Which content coding a kept page goes out in, read from the request's
//! `Accept-Encoding` as RFC 9110 §12.5.3 defines it: weights (`br;q=0.5`),
//! `*` for any coding not named, `identity` acceptable unless refused,
//! names in any case, whitespace around every part, several header lines.
//!
//! It is parsed here by hand because no well-kept crate fits: the `headers`
//! crate (and so axum-extra's typed headers) leaves `Accept-Encoding` out,
//! tower-http keeps its negotiation private, and the crates that do offer
//! one allocate, compare names case-sensitively, ignore `q=0`, or panic on
//! a malformed weight. This runs on every cache hit, so it allocates
//! nothing and does no floating point.
//!
//! The rules where the RFC leaves a choice:
//! - No `Accept-Encoding` at all means identity. The RFC lets a server pick
//!   any coding then, but a client that sends none (curl without
//!   `--compressed`, many scripts) usually cannot decode one.
//! - Among equally weighted codings the server's preference decides:
//!   brotli (smallest), then gzip, then identity.
//! - A coding named twice takes its first weight; a member with a weight
//!   that is not a qvalue (`gzip;q=2`, `br;q=high`) is ignored, as if the
//!   client had not named it.
//! - When nothing acceptable is to hand, the page goes out as it is
//!   (identity), as §12.1 allows, rather than as a 406: the reader still
//!   gets the page, and `Vary: Accept-Encoding` keeps shared caches right.

use axum::http::{HeaderMap, header};

/// A coding the cache can send a page in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Coding {
    Brotli,
    Gzip,
    Identity,
}

impl Coding {
    /// The server's preference among equally weighted codings, best first.
    const PREFERENCE: [Coding; 3] = [Coding::Brotli, Coding::Gzip, Coding::Identity];

    /// The `Content-Encoding` that names this coding; identity has none.
    pub(super) fn content_encoding(self) -> Option<&'static str> {
        match self {
            Coding::Brotli => Some("br"),
            Coding::Gzip => Some("gzip"),
            Coding::Identity => None,
        }
    }
}

/// The weight a weight-less member has, and the largest one (`q=1`), in
/// thousandths.
const FULL: u16 = 1000;

/// Identity's weight when the request neither names it nor has `*`: it is
/// acceptable (§12.5.3), but any coding the client does name comes first.
const BY_DEFAULT: u16 = 1;

/// What a request's `Accept-Encoding` says of each coding the cache has, in
/// thousandths; zero means not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Weights {
    brotli: u16,
    gzip: u16,
    identity: u16,
}

impl Weights {
    /// Reads every `Accept-Encoding` line of the request.
    pub(super) fn of(request: &HeaderMap) -> Weights {
        let mut named = Named::default();
        let members = request
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','));
        for (name, weight) in members.filter_map(member) {
            if let Some(slot) = named.slot(name) {
                slot.get_or_insert(weight);
            }
        }
        let any = named.any;
        Weights {
            brotli: named.brotli.or(any).unwrap_or(0),
            gzip: named.gzip.or(any).unwrap_or(0),
            identity: named.identity.or(any).unwrap_or(BY_DEFAULT),
        }
    }

    fn weight(&self, coding: Coding) -> u16 {
        match coding {
            Coding::Brotli => self.brotli,
            Coding::Gzip => self.gzip,
            Coding::Identity => self.identity,
        }
    }

    /// The acceptable coding with the highest weight among those
    /// `available`, the server's preference breaking ties; `None` when none
    /// of them is acceptable.
    pub(super) fn best(&self, available: impl Fn(Coding) -> bool) -> Option<Coding> {
        let mut best: Option<Coding> = None;
        for coding in Coding::PREFERENCE {
            let weight = self.weight(coding);
            let better = best.is_none_or(|best| weight > self.weight(best));
            if weight > 0 && available(coding) && better {
                best = Some(coding);
            }
        }
        best
    }

    /// Whether the client refused the page as it is (`identity;q=0`, or
    /// `*;q=0` without naming identity).
    pub(super) fn refuses_identity(&self) -> bool {
        self.identity == 0
    }
}

/// The weights a request names, before `*` and the defaults fill the gaps.
#[derive(Default)]
struct Named {
    brotli: Option<u16>,
    gzip: Option<u16>,
    identity: Option<u16>,
    any: Option<u16>,
}

impl Named {
    /// Where a coding's weight goes; `None` for codings the cache lacks.
    /// `x-gzip` is gzip (RFC 9110 §8.4.1.3).
    fn slot(&mut self, name: &str) -> Option<&mut Option<u16>> {
        let is = |token: &str| name.eq_ignore_ascii_case(token);
        if is("br") {
            Some(&mut self.brotli)
        } else if is("gzip") || is("x-gzip") {
            Some(&mut self.gzip)
        } else if is("identity") {
            Some(&mut self.identity)
        } else if name == "*" {
            Some(&mut self.any)
        } else {
            None
        }
    }
}

/// Optional whitespace (RFC 9110 §5.6.3).
const OWS: [char; 2] = [' ', '\t'];

/// One list member, `coding [ ; q=weight ]`, as its name and weight; `None`
/// for an empty member or one whose weight is not a qvalue. Parameters
/// other than `q` are passed over.
fn member(member: &str) -> Option<(&str, u16)> {
    let mut parts = member.split(';');
    let name = parts.next()?.trim_matches(OWS);
    if name.is_empty() {
        return None;
    }
    let mut weight = FULL;
    for parameter in parts {
        if let Some((key, value)) = parameter.split_once('=')
            && key.trim_matches(OWS).eq_ignore_ascii_case("q")
        {
            weight = qvalue(value.trim_matches(OWS))?;
        }
    }
    Some((name, weight))
}

/// A qvalue (RFC 9110 §12.4.2) in thousandths: `0` or `1`, then optionally
/// a point and up to three digits, only zeros after a `1`.
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|digit| digit.is_ascii_digit()) {
        return None;
    }
    let thousandths = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0, |sum, digit| sum * 10 + u16::from(digit - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(FULL),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn weights(lines: &[&str]) -> Weights {
        let mut request = HeaderMap::new();
        for line in lines {
            request.append(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(line).unwrap(),
            );
        }
        Weights::of(&request)
    }

    /// The coding chosen when every one is to hand.
    fn chosen(line: &str) -> Option<Coding> {
        weights(&[line]).best(|_| true)
    }

    #[test]
    fn compressed_codings_are_taken_when_named_and_not_refused() {
        let both = weights(&["gzip, deflate, br"]);
        assert!(both.brotli > 0 && both.gzip > 0);
        let gzip_only = weights(&["gzip, br;q=0"]);
        assert_eq!((gzip_only.brotli, gzip_only.gzip), (0, FULL));
        for neither in [weights(&["identity"]), weights(&[])] {
            assert_eq!((neither.brotli, neither.gzip), (0, 0));
        }
    }

    #[test]
    fn the_heavier_weight_wins_over_the_servers_preference() {
        assert_eq!(chosen("br;q=0.5, gzip"), Some(Coding::Gzip));
        assert_eq!(chosen("gzip;q=0.5, br;q=0.8"), Some(Coding::Brotli));
        assert_eq!(chosen("br;q=0.001, gzip;q=0"), Some(Coding::Brotli));
        assert_eq!(chosen("identity;q=1, br;q=0.9"), Some(Coding::Identity));
    }

    #[test]
    fn equal_weights_go_to_brotli_then_gzip_then_identity() {
        assert_eq!(chosen("gzip, br"), Some(Coding::Brotli));
        assert_eq!(chosen("gzip;q=0.7, br;q=0.7"), Some(Coding::Brotli));
        assert_eq!(chosen("identity, gzip"), Some(Coding::Gzip));
        assert_eq!(
            weights(&["gzip, br"]).best(|coding| coding != Coding::Brotli),
            Some(Coding::Gzip),
            "a coding the page lacks is passed over"
        );
    }

    #[test]
    fn a_star_stands_for_every_coding_not_named() {
        assert_eq!(chosen("*"), Some(Coding::Brotli));
        assert_eq!(chosen("br;q=0, *"), Some(Coding::Gzip));
        assert_eq!(chosen("*;q=0.5, gzip"), Some(Coding::Gzip));
        let nothing_else = weights(&["gzip, *;q=0"]);
        assert_eq!(nothing_else.best(|_| true), Some(Coding::Gzip));
        assert!(nothing_else.refuses_identity());
        assert!(!weights(&["*;q=0, identity"]).refuses_identity());
    }

    #[test]
    fn identity_is_acceptable_unless_refused() {
        assert_eq!(chosen(""), Some(Coding::Identity), "an empty header");
        assert_eq!(weights(&[]).best(|_| true), Some(Coding::Identity));
        assert_eq!(chosen("compress, zstd"), Some(Coding::Identity));
        assert_eq!(
            chosen("gzip;q=0.1"),
            Some(Coding::Gzip),
            "named beats default"
        );
        for refusing in ["identity;q=0", "*;q=0", "br, identity;q=0"] {
            assert!(weights(&[refusing]).refuses_identity(), "{refusing}");
        }
        assert_eq!(chosen("identity;q=0, zstd"), None);
        assert_eq!(chosen("*;q=0"), None);
        assert!(!weights(&["gzip"]).refuses_identity());
    }

    #[test]
    fn names_are_read_in_any_case_and_x_gzip_is_gzip() {
        assert_eq!(chosen("BR"), Some(Coding::Brotli));
        assert_eq!(chosen("Gzip;Q=1, bR;Q=0"), Some(Coding::Gzip));
        assert_eq!(chosen("x-gzip"), Some(Coding::Gzip));
        assert_eq!(chosen("IDENTITY;q=0, gzip;q=0, br;q=0"), None);
    }

    #[test]
    fn whitespace_around_every_part_is_allowed() {
        assert_eq!(
            chosen(" gzip ;\tq=0.9 ,\tbr ; q = 0.2 "),
            Some(Coding::Gzip)
        );
        assert_eq!(chosen("br ;q=0 , gzip"), Some(Coding::Gzip));
        assert_eq!(chosen(",, ,gzip,"), Some(Coding::Gzip), "empty members");
    }

    #[test]
    fn every_header_line_counts() {
        assert_eq!(
            weights(&["gzip;q=0.5", "br"]).best(|_| true),
            Some(Coding::Brotli)
        );
        assert_eq!(
            weights(&["br;q=0", "gzip"]).best(|_| true),
            Some(Coding::Gzip)
        );
    }

    #[test]
    fn a_member_with_a_bad_weight_is_ignored() {
        for bad in [
            "q=2", "q=1.5", "q=1.001", "q=0.0001", "q=-0", "q=", "q=high", "q=.5",
        ] {
            assert_eq!(
                chosen(&format!("br;{bad}, gzip;q=0.5")),
                Some(Coding::Gzip),
                "{bad}"
            );
        }
        assert_eq!(chosen("gzip;q=x"), Some(Coding::Identity));
        assert_eq!(
            chosen("br;q=2, br"),
            Some(Coding::Brotli),
            "the valid one stands"
        );
        assert_eq!(chosen("br;level=9, gzip;q=0.5"), Some(Coding::Brotli));
    }

    #[test]
    fn a_coding_named_twice_takes_its_first_weight() {
        assert_eq!(chosen("br;q=0, br, gzip;q=0.5"), Some(Coding::Gzip));
    }

    #[test]
    fn qvalues_are_read_exactly() {
        for (text, thousandths) in [
            ("0", 0),
            ("0.", 0),
            ("0.000", 0),
            ("0.5", 500),
            ("0.05", 50),
            ("0.123", 123),
            ("1", 1000),
            ("1.", 1000),
            ("1.000", 1000),
        ] {
            assert_eq!(qvalue(text), Some(thousandths), "{text}");
        }
        for text in [
            "", ".", "2", "01", "0.1234", "1.1", "0,5", "0.5x", "1e0", "+1",
        ] {
            assert_eq!(qvalue(text), None, "{text}");
        }
    }

    #[test]
    fn a_value_that_is_not_text_counts_as_absent() {
        let mut request = HeaderMap::new();
        request.append(
            header::ACCEPT_ENCODING,
            HeaderValue::from_bytes(b"br\xff").unwrap(),
        );
        request.append(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        assert_eq!(Weights::of(&request).best(|_| true), Some(Coding::Gzip));
    }
}
