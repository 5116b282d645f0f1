//! Request heads, checked before hyper parses them, so that a request hyper
//! would refuse is refused by us instead: with the security headers and the
//! site's error page, like every other answer.
//!
//! hyper answers a head it cannot parse by itself, with a bare 400 or 431
//! that never reaches the service: a request target with raw bytes that
//! are not UTF-8 (httparse refuses them), more than 100 headers, a head
//! over the size limit, or bytes that are not HTTP/1 at all. hyper 1.x has
//! no hook for those answers; its `max_headers` only moves one of the
//! limits, and costs a heap allocation of that many slots for every
//! request.
//!
//! So every connection reads through [`CheckedHeads`], which parses each
//! head with httparse, as hyper is about to, before passing it on. A head
//! that would fail never reaches hyper: in its place hyper gets a fixed,
//! valid one (`GET /`, `Connection: close`), and [`Refusals`] remembers
//! which request of the connection that is. The service marks that request
//! with [`RefusedHead`], the error-page layer answers it with the status
//! hyper would have sent, and hyper closes the connection after it, as it
//! would have.
//!
//! Only heads are read. After one, a `Content-Length` body passes through
//! as it is; a `Transfer-Encoding` body would have to be parsed to find its
//! end, so its connection is passed through unchecked from there (no route
//! reads a body, so no honest client sends one).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};

use axum::body::Body;
use axum::http::{Request, StatusCode, Uri};
use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::io::poll_read_buf;

/// hyper's own limit on the number of headers, which it keeps behind ours.
const MAX_HEADERS: usize = 100;

/// What hyper is given instead of a head it would refuse.
const SUBSTITUTE: &[u8] = b"GET / HTTP/1.1\r\nhost: refused\r\nconnection: close\r\n\r\n";

/// How much room is made for each read from the socket.
const READ_CHUNK: usize = 8 * 1024;

/// Marks the request that stands in for a refused head, with the status
/// the refusal gets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RefusedHead(pub(crate) StatusCode);

/// Which request of a connection stands in for a refused head. Shared by
/// the connection's reader, which refuses, and its service, which counts
/// the requests hyper hands over (in order: HTTP/1 has one at a time).
#[derive(Debug)]
pub(crate) struct Refusals {
    /// Requests handed to the service so far.
    requests: AtomicUsize,
    /// The index of the substitute request; `usize::MAX` while there is none.
    refused_at: AtomicUsize,
    status: AtomicU16,
}

impl Default for Refusals {
    fn default() -> Self {
        Self {
            requests: AtomicUsize::new(0),
            refused_at: AtomicUsize::new(usize::MAX),
            status: AtomicU16::new(StatusCode::BAD_REQUEST.as_u16()),
        }
    }
}

impl Refusals {
    fn refuse(&self, index: usize, status: StatusCode) {
        self.status.store(status.as_u16(), Ordering::Relaxed);
        self.refused_at.store(index, Ordering::Release);
    }

    /// Called for each request hyper hands to the service, in order: the
    /// substitute for a refused head gets its `RefusedHead`.
    pub(crate) fn mark(&self, request: &mut Request<Body>) {
        let index = self.requests.fetch_add(1, Ordering::Relaxed);
        if self.refused_at.load(Ordering::Acquire) == index {
            let status = StatusCode::from_u16(self.status.load(Ordering::Relaxed))
                .unwrap_or(StatusCode::BAD_REQUEST);
            request.extensions_mut().insert(RefusedHead(status));
        }
    }
}

/// Where the reader is in the stream of requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// At the start of a head (or of the blank lines before one).
    Head,
    /// In a `Content-Length` body, with this many bytes still to come.
    Body(u64),
    /// After a body framed otherwise: everything passes unchecked.
    Unchecked,
    /// The substitute is on its way; nothing follows it.
    Refused,
}

/// A connection's byte stream, as hyper reads it: each head is passed on
/// once httparse has read it whole and found nothing hyper would refuse.
/// Writes go straight through.
pub(crate) struct CheckedHeads<T> {
    io: T,
    /// Read from `io`, not yet given to hyper.
    pending: BytesMut,
    /// How many bytes at the front of `pending` hyper may have.
    passed: usize,
    position: Position,
    /// Heads passed on so far: the index of the next request.
    heads: usize,
    max_head_bytes: usize,
    refusals: Arc<Refusals>,
}

impl<T> CheckedHeads<T> {
    pub(crate) fn new(io: T, max_head_bytes: usize, refusals: Arc<Refusals>) -> Self {
        Self {
            io,
            pending: BytesMut::new(),
            passed: 0,
            position: Position::Head,
            heads: 0,
            max_head_bytes,
            refusals,
        }
    }

    /// Moves what can be decided about `pending` into `passed`. Returns
    /// false when more bytes must be read first.
    fn advance(&mut self) -> bool {
        match self.position {
            // Nothing more to decide: `poll_read` stops before asking.
            Position::Refused => true,
            _ if self.pending.is_empty() => false,
            Position::Unchecked => {
                self.passed = self.pending.len();
                true
            }
            Position::Body(left) => {
                let now = left.min(self.pending.len() as u64);
                self.passed = now as usize;
                self.position = match left - now {
                    0 => Position::Head,
                    left => Position::Body(left),
                };
                true
            }
            Position::Head => self.check_head(),
        }
    }

    fn check_head(&mut self) -> bool {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let verdict = match request.parse(&self.pending) {
            Ok(httparse::Status::Complete(length)) if length > self.max_head_bytes => {
                Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
            }
            Ok(httparse::Status::Complete(length)) => {
                body_after(&request).map(|body| (length, body))
            }
            Ok(httparse::Status::Partial) if self.pending.len() >= self.max_head_bytes => {
                Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
            }
            Ok(httparse::Status::Partial) => return false,
            Err(httparse::Error::TooManyHeaders) => {
                Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
            }
            Err(_) => Err(StatusCode::BAD_REQUEST),
        };
        match verdict {
            Ok((length, body)) => {
                self.passed = length;
                self.heads += 1;
                self.position = body;
            }
            Err(status) => {
                self.pending.clear();
                self.pending.extend_from_slice(SUBSTITUTE);
                self.passed = SUBSTITUTE.len();
                self.position = Position::Refused;
                self.refusals.refuse(self.heads, status);
            }
        }
        true
    }
}

/// What follows a head httparse read whole, or the status hyper would
/// refuse it with: a target `http::Uri` cannot hold, a Transfer-Encoding
/// in HTTP/1.0, or Content-Length values that are not one number.
fn body_after(request: &httparse::Request<'_, '_>) -> Result<Position, StatusCode> {
    let target = request.path.unwrap_or_default();
    if Uri::try_from(target).is_err() {
        return Err(StatusCode::BAD_REQUEST);
    }
    let mut length = None;
    for header in request.headers.iter() {
        if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return match request.version {
                Some(1) => Ok(Position::Unchecked),
                _ => Err(StatusCode::BAD_REQUEST),
            };
        }
        if header.name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(header.value)
                .ok()
                .filter(|value| !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|value| value.parse::<u64>().ok())
                .ok_or(StatusCode::BAD_REQUEST)?;
            if length.is_some_and(|length| length != value) {
                return Err(StatusCode::BAD_REQUEST);
            }
            length = Some(value);
        }
    }
    Ok(match length {
        Some(length) if length > 0 => Position::Body(length),
        _ => Position::Head,
    })
}

impl<T: AsyncRead + Unpin> AsyncRead for CheckedHeads<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.passed > 0 {
                let length = this.passed.min(buf.remaining());
                buf.put_slice(&this.pending[..length]);
                this.pending.advance(length);
                this.passed -= length;
                return Poll::Ready(Ok(()));
            }
            if this.position == Position::Refused {
                // hyper answers the substitute and closes; it reads nothing
                // more, and is woken by the answer, not by us.
                return Poll::Pending;
            }
            if this.advance() {
                continue;
            }
            this.pending.reserve(READ_CHUNK);
            let read = ready!(poll_read_buf(Pin::new(&mut this.io), cx, &mut this.pending))?;
            if read == 0 {
                // The end: what is left (a head cut short) goes to hyper,
                // which sees the end after it, as it would have.
                if this.pending.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                this.passed = this.pending.len();
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for CheckedHeads<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// Everything hyper would read from `input`, and the refusal noted.
    async fn read_through(input: &[u8], max_head_bytes: usize) -> (Vec<u8>, Option<StatusCode>) {
        let refusals = Arc::new(Refusals::default());
        let mut reader = CheckedHeads::new(input, max_head_bytes, refusals.clone());
        let refused = || {
            (refusals.refused_at.load(Ordering::Acquire) != usize::MAX)
                .then(|| StatusCode::from_u16(refusals.status.load(Ordering::Relaxed)).unwrap())
        };
        let mut out = Vec::new();
        let mut chunk = [0u8; 64];
        // A refused stream never ends: it stops once the substitute is out.
        while !(refused().is_some() && out.ends_with(SUBSTITUTE)) {
            let read =
                tokio::time::timeout(std::time::Duration::from_secs(5), reader.read(&mut chunk))
                    .await
                    .expect("the reader answers")
                    .unwrap();
            if read == 0 {
                break;
            }
            out.extend_from_slice(&chunk[..read]);
        }
        (out, refused())
    }

    #[tokio::test]
    async fn good_heads_and_bodies_pass_unchanged() {
        // UTF-8 in a target passes, as hyper and `http::Uri` take it.
        let input = [
            "GET /caf\u{e9} HTTP/1.1\r\nHost: x\r\n\r\n".as_bytes(),
            b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\n\xff\xfe\x00ab\r\n",
            b"GET /b HTTP/1.0\r\n\r\n",
        ]
        .concat();
        let input = input.as_slice();
        let (out, refused) = read_through(input, 16 * 1024).await;
        assert_eq!(out, input);
        assert_eq!(refused, None);
    }

    #[tokio::test]
    async fn a_head_hyper_would_refuse_is_replaced() {
        let good = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "X-A: b\r\n".repeat(101));
        let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(2000));
        let cases: Vec<(&str, Vec<u8>, StatusCode)> = vec![
            (
                "raw bytes in the target",
                b"GET /\xff\xfe HTTP/1.1\r\n\r\n".to_vec(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "a target no URI can hold",
                b"GET http://[oops HTTP/1.1\r\n\r\n".to_vec(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "not HTTP",
                b"\x16\x03\x01\x02\x00garbage\r\n\r\n".to_vec(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "101 headers",
                many.into_bytes(),
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ),
            (
                "a head over the limit",
                long.into_bytes(),
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ),
            (
                "two lengths",
                b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n".to_vec(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "a signed length",
                b"GET / HTTP/1.1\r\nContent-Length: +1\r\n\r\n".to_vec(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "chunked in HTTP/1.0",
                b"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(),
                StatusCode::BAD_REQUEST,
            ),
        ];
        for (what, bad, status) in cases {
            let input = [good.as_slice(), &bad].concat();
            let (out, refused) = read_through(&input, 1024).await;
            assert_eq!(out, [good.as_slice(), SUBSTITUTE].concat(), "{what}");
            assert_eq!(refused, Some(status), "{what}");
        }
    }

    #[tokio::test]
    async fn after_a_chunked_body_bytes_pass_unchecked() {
        let input = [
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".as_slice(),
            b"1\r\na\r\n0\r\n\r\n",
            b"GET /\xff HTTP/1.1\r\n\r\n",
        ]
        .concat();
        let input = input.as_slice();
        let (out, refused) = read_through(input, 1024).await;
        assert_eq!(out, input);
        assert_eq!(refused, None);
    }

    #[test]
    fn the_substitute_is_counted_in_order() {
        let refusals = Refusals::default();
        refusals.refuse(2, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        let marked: Vec<Option<StatusCode>> = (0..3)
            .map(|_| {
                let mut request = Request::new(Body::empty());
                refusals.mark(&mut request);
                request
                    .extensions()
                    .get::<RefusedHead>()
                    .map(|RefusedHead(status)| *status)
            })
            .collect();
        assert_eq!(
            marked,
            [
                None,
                None,
                Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
            ]
        );
    }
}
