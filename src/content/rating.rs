//! Star ratings, as critics give them: half stars from ½ to five, held
//! exactly (3.5 stars is 7 half stars, never a float compared for equality).

/// A star rating held as a count of half stars (1..=10), so that 3.5 is
/// exactly 7 and never a float compared for equality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rating(u8);

impl Rating {
    pub(crate) fn from_halves(halves: i64) -> Option<Self> {
        (1..=10).contains(&halves).then_some(Self(halves as u8))
    }

    pub(crate) fn from_stars(stars: f64) -> Option<Self> {
        let halves = stars * 2.0;
        if !halves.is_finite() || halves.fract() != 0.0 {
            return None;
        }
        Self::from_halves(halves as i64)
    }

    pub(crate) fn halves(self) -> u8 {
        self.0
    }

    /// `4.5`, `5`: the form used in URLs and text alternatives.
    pub(crate) fn stars_label(self) -> String {
        if self.0.is_multiple_of(2) {
            (self.0 / 2).to_string()
        } else {
            format!("{}.5", self.0 / 2)
        }
    }

    /// The glyphs readers of film reviews know: `★★★½`.
    pub(crate) fn glyphs(self) -> String {
        let mut glyphs = "★".repeat(usize::from(self.0 / 2));
        if self.0 % 2 == 1 {
            glyphs.push('½');
        }
        glyphs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_half_stars() {
        assert_eq!(
            Rating::from_stars(3.5).map(Rating::glyphs).as_deref(),
            Some("★★★½")
        );
        assert_eq!(
            Rating::from_stars(5.0).map(Rating::glyphs).as_deref(),
            Some("★★★★★")
        );
        assert_eq!(
            Rating::from_stars(0.5).map(Rating::glyphs).as_deref(),
            Some("½")
        );
        assert_eq!(
            Rating::from_stars(3.5).map(Rating::stars_label).as_deref(),
            Some("3.5")
        );
        assert_eq!(
            Rating::from_stars(4.0).map(Rating::stars_label).as_deref(),
            Some("4")
        );
        for bad in [0.0, 4.3, 5.5, -1.0, f64::NAN, f64::INFINITY, 1e300] {
            assert_eq!(Rating::from_stars(bad), None, "{bad}");
        }
    }
}
