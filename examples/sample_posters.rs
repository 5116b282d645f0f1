//! Draws the sample site's posters into `static/posters/` (1000×1500
//! JPEG), from `marquee::corpus::posters`: made by Marquee, copied from
//! nowhere. Run from the repository's root:
//! `cargo run --example sample_posters --features generate`.

use std::path::Path;

use marquee::corpus::posters;

/// Each sample review's slug, film title and the seed that suits it.
const SAMPLES: [(&str, &str, u64); 4] = [
    ("anora", "Anora", 3),
    ("paper-lanterns", "Paper Lanterns", 6),
    ("perfect-days", "Perfect Days", 1),
    ("the-brutalist", "The Brutalist", 4),
];

fn main() -> std::io::Result<()> {
    let dir = Path::new("static/posters");
    std::fs::create_dir_all(dir)?;
    for (slug, title, seed) in SAMPLES {
        let poster = posters::draw(title, seed, 1000, 1500);
        let path = dir.join(format!("{slug}.jpg"));
        std::fs::write(&path, posters::jpeg(&poster, 85))?;
        println!("{}", path.display());
    }
    Ok(())
}
