//! A spilled page's file: its headers and bodies, as the page held them
//! when memory let it go. What the cache looks pages up by (its keys, its
//! generation) stays in memory, in the index; the file holds only what a
//! response is made of.
//!
//! The layout, all lengths little-endian:
//! `MQPAGE1\n`, the header count (u32), each header as its name's length
//! (u16), name, its value's length (u32), value; then the body (u64 length
//! and bytes); then the gzip and brotli forms, each a tag byte (0 not made
//! yet, 1 not worth making, 2 made: u64 length and bytes). A file that does
//! not read back whole is no page: the cache renders it again.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue};

use crate::web::cache::page::{CachedPage, Compressed};

const MAGIC: &[u8] = b"MQPAGE1\n";

/// What a file holds.
pub(super) struct Stored {
    pub(super) headers: HeaderMap,
    pub(super) identity: Bytes,
    pub(super) gzip: Compressed,
    pub(super) brotli: Compressed,
}

/// The file's bytes for `page`.
pub(super) fn encode(page: &CachedPage) -> Vec<u8> {
    encode_parts(&page.headers, &page.identity, &page.gzip, &page.brotli)
}

fn encode_parts(
    headers: &HeaderMap,
    identity: &[u8],
    gzip: &Compressed,
    brotli: &Compressed,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(identity.len() + 2048);
    out.extend_from_slice(MAGIC);
    let count = u32::try_from(headers.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&count.to_le_bytes());
    for (name, value) in headers.iter().take(count as usize) {
        let name = name.as_str().as_bytes();
        // Header names are short; hyper refuses values near u32::MAX.
        out.extend_from_slice(&u16::try_from(name.len()).unwrap_or(0).to_le_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(&u32::try_from(value.len()).unwrap_or(0).to_le_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    body(&mut out, identity);
    for form in [gzip, brotli] {
        match form {
            Compressed::NotYet => out.push(0),
            Compressed::Useless => out.push(1),
            Compressed::Ready(bytes) => {
                out.push(2);
                body(&mut out, bytes);
            }
        }
    }
    out
}

fn body(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// The page in `file`, or `None` if the file is not one whole page. The
/// bodies are slices of `file`: nothing is copied.
pub(super) fn decode(file: Bytes) -> Option<Stored> {
    let mut reader = Reader { file, at: 0 };
    if reader.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let count = u32::from_le_bytes(reader.array()?);
    let mut headers = HeaderMap::with_capacity(count.min(128) as usize);
    for _ in 0..count {
        let length = u16::from_le_bytes(reader.array()?);
        let name = HeaderName::from_bytes(&reader.take(usize::from(length))?).ok()?;
        let length = u32::from_le_bytes(reader.array()?);
        let value = HeaderValue::from_maybe_shared(reader.take(length as usize)?).ok()?;
        headers.append(name, value);
    }
    let identity = reader.body()?;
    let mut forms = [Compressed::NotYet, Compressed::NotYet];
    for form in &mut forms {
        *form = match reader.array::<1>()?[0] {
            0 => Compressed::NotYet,
            1 => Compressed::Useless,
            2 => Compressed::Ready(reader.body()?),
            _ => return None,
        };
    }
    let [gzip, brotli] = forms;
    (reader.at == reader.file.len()).then_some(Stored {
        headers,
        identity,
        gzip,
        brotli,
    })
}

struct Reader {
    file: Bytes,
    at: usize,
}

impl Reader {
    fn take(&mut self, length: usize) -> Option<Bytes> {
        let end = self.at.checked_add(length)?;
        let bytes = self.file.get(self.at..end)?;
        let bytes = self.file.slice_ref(bytes);
        self.at = end;
        Some(bytes)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.as_ref().try_into().ok()
    }

    fn body(&mut self) -> Option<Bytes> {
        let length = usize::try_from(u64::from_le_bytes(self.array()?)).ok()?;
        self.take(length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    fn headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(header::ETAG, HeaderValue::from_static("\"abc\""));
        headers.append(header::LINK, HeaderValue::from_static("</a>; rel=a"));
        headers.append(header::LINK, HeaderValue::from_static("</b>; rel=b"));
        headers
    }

    #[test]
    fn a_page_reads_back_as_it_was_written() {
        let gzip = Compressed::Ready(Bytes::from_static(b"\x1f\x8bzipped"));
        let file = encode_parts(&headers(), b"<p>Anora</p>", &gzip, &Compressed::NotYet);
        let stored = decode(Bytes::from(file)).expect("a whole page");
        assert_eq!(stored.headers, headers());
        assert_eq!(stored.identity, "<p>Anora</p>");
        assert!(
            matches!(stored.gzip, Compressed::Ready(ref bytes) if bytes.as_ref() == b"\x1f\x8bzipped")
        );
        assert!(matches!(stored.brotli, Compressed::NotYet));

        let useless = encode_parts(&HeaderMap::new(), b"", &Compressed::Useless, &gzip);
        let stored = decode(Bytes::from(useless)).expect("a whole page");
        assert!(stored.headers.is_empty() && stored.identity.is_empty());
        assert!(matches!(stored.gzip, Compressed::Useless));
        assert!(matches!(stored.brotli, Compressed::Ready(_)));
    }

    #[test]
    fn a_cut_short_or_foreign_file_is_no_page() {
        let file = encode_parts(
            &headers(),
            b"<p>Anora</p>",
            &Compressed::Useless,
            &Compressed::Useless,
        );
        for end in 0..file.len() {
            assert!(
                decode(Bytes::copy_from_slice(&file[..end])).is_none(),
                "{end}"
            );
        }
        let mut longer = file.clone();
        longer.push(0);
        assert!(decode(Bytes::from(longer)).is_none());
        let mut foreign = file;
        foreign[0] = b'X';
        assert!(decode(Bytes::from(foreign)).is_none());
        // A length that claims more than the file has.
        let mut lying = MAGIC.to_vec();
        lying.extend_from_slice(&0u32.to_le_bytes());
        lying.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(decode(Bytes::from(lying)).is_none());
    }
}
