//! Compressing a kept page. Each form is made once, for the first reader
//! who asks for it, and kept beside the page: every later reader gets the
//! same bytes without paying for the encoder.

use std::io::Write;

use axum::body::Bytes;

use super::negotiate::Coding;
use super::page::Compressed;

/// Bodies smaller than this are not worth compressing.
const MIN_COMPRESSED_BODY: usize = 512;

/// Whether a body of this type and size is worth compressing: text that
/// is not tiny. Images and the like are compressed already.
pub(super) fn is_compressible(content_type: &[u8], body: &[u8]) -> bool {
    let textual = [
        b"text/".as_slice(),
        b"application/rss",
        b"application/atom",
        b"application/json",
        b"application/feed",
        b"application/xml",
        b"image/svg",
    ]
    .iter()
    .any(|prefix| content_type.starts_with(prefix));
    textual && body.len() >= MIN_COMPRESSED_BODY
}

/// The form of `body` to keep in `coding`: `Useless` when it saves nothing.
pub(super) fn compress(body: &[u8], coding: Coding) -> Compressed {
    match encode(body, coding) {
        Some(compressed) if compressed.len() < body.len() => {
            Compressed::Ready(Bytes::copy_from_slice(&compressed))
        }
        _ => Compressed::Useless,
    }
}

/// `body` in `coding`, whether or not that makes it smaller; `None` for
/// identity, or if the encoder fails.
pub(super) fn encode(body: &[u8], coding: Coding) -> Option<Vec<u8>> {
    match coding {
        Coding::Gzip => {
            let mut gzip = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 3),
                flate2::Compression::new(6),
            );
            gzip.write_all(body).and_then(|()| gzip.finish()).ok()
        }
        Coding::Brotli => {
            let mut brotli = Vec::with_capacity(body.len() / 3);
            let params = brotli::enc::BrotliEncoderParams {
                quality: 6,
                lgwin: 20,
                ..Default::default()
            };
            brotli::BrotliCompress(&mut &body[..], &mut brotli, &params)
                .ok()
                .map(|_| brotli)
        }
        Coding::Identity => None,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// `bytes` decoded from `coding`.
    pub(in crate::web::cache) fn decoded(bytes: &[u8], coding: Coding) -> Vec<u8> {
        let mut decoded = Vec::new();
        match coding {
            Coding::Gzip => {
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut decoded)
                    .unwrap();
            }
            _ => brotli::BrotliDecompress(&mut &bytes[..], &mut decoded).unwrap(),
        }
        decoded
    }

    #[test]
    fn compressed_forms_round_trip() {
        let body = "<p>Anora</p>".repeat(200);
        for coding in [Coding::Gzip, Coding::Brotli] {
            let Compressed::Ready(form) = compress(body.as_bytes(), coding) else {
                panic!("{coding:?}: not compressed");
            };
            assert_eq!(decoded(&form, coding), body.as_bytes());
        }
        assert!(!is_compressible(b"text/html", b"tiny"));
        assert!(!is_compressible(b"image/png", &[0u8; 4096]));
    }

    #[test]
    fn a_form_that_saves_nothing_is_not_kept_but_can_still_be_made() {
        for coding in [Coding::Gzip, Coding::Brotli] {
            assert!(matches!(compress(b"Anora", coding), Compressed::Useless));
            let made = encode(b"Anora", coding).unwrap();
            assert_eq!(decoded(&made, coding), b"Anora");
        }
        assert!(encode(b"Anora", Coding::Identity).is_none());
    }
}
