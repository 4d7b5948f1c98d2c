//! A streaming line reader with bounded memory: it hands out one line at a time from a fixed buffer, and a
//! line longer than the limit is skipped without being held (counted, never loaded), so a 1 GB file, or a
//! file that is one enormous line, is read in constant memory.

use std::io::{BufRead, BufReader, Read};

/// Lines longer than this are skipped: no usage line comes near it.
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;
const BUFFER_BYTES: usize = 1024 * 1024;

pub struct LineReader<R> {
    inner: BufReader<R>,
    /// File offset of the next unread byte.
    offset: u64,
    max_line: usize,
    /// Bytes of the buffer handed out as the last line, consumed on the next call (the line borrowed them).
    pending: usize,
}

/// What [`LineReader::next_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line ending in `\n`, now in the caller's buffer (without the newline).
    Complete { start: u64 },
    /// A line longer than the limit; skipped. `start` is its offset.
    TooLong { start: u64 },
    /// Bytes at the end of the file without a final newline (maybe still being written), in the buffer.
    Unterminated { start: u64 },
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R, start_offset: u64) -> LineReader<R> {
        LineReader {
            inner: BufReader::with_capacity(BUFFER_BYTES, inner),
            offset: start_offset,
            max_line: MAX_LINE_BYTES,
            pending: 0,
        }
    }

    #[cfg(test)]
    fn with_limit(inner: R, max_line: usize) -> LineReader<R> {
        LineReader {
            inner: BufReader::with_capacity(16, inner),
            offset: 0,
            max_line,
            pending: 0,
        }
    }

    /// Offset just after the last complete line handed out.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next line and its bytes (without the newline): borrowed from the read buffer when the line lies
    /// whole inside it, else gathered in `buf` (cleared first). `Ok(None)` at the end of the file.
    pub fn next<'a>(
        &'a mut self,
        buf: &'a mut Vec<u8>,
    ) -> std::io::Result<Option<(Line, &'a [u8])>> {
        self.inner.consume(std::mem::take(&mut self.pending));
        let start = self.offset;
        let max_line = self.max_line;
        let newline = loop {
            match self.inner.fill_buf() {
                Ok(b) => break memchr::memchr(b'\n', b),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if let Some(i) = newline.filter(|i| *i <= max_line) {
            self.pending = i + 1;
            self.offset = start + i as u64 + 1;
            return Ok(Some((Line::Complete { start }, &self.inner.buffer()[..i])));
        }
        Ok(self.next_line(buf)?.map(|line| (line, &buf[..])))
    }

    /// Reads the next line into `buf` (cleared first). `Ok(None)` at the end of the file.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> std::io::Result<Option<Line>> {
        self.inner.consume(std::mem::take(&mut self.pending));
        buf.clear();
        let start = self.offset;
        let mut too_long = false;
        let mut consumed = 0u64;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                // End of file.
                if consumed == 0 {
                    return Ok(None);
                }
                // Not consumed: the offset stays at the line's start so a rescan reads it again.
                return Ok(Some(if too_long {
                    Line::TooLong { start }
                } else {
                    Line::Unterminated { start }
                }));
            }
            let (chunk, found) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], Some(i)),
                None => (available, None),
            };
            if !too_long {
                if buf.len() + chunk.len() > self.max_line {
                    too_long = true;
                    buf.clear();
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            let used = found.map_or(chunk.len(), |i| i + 1);
            self.inner.consume(used);
            consumed += used as u64;
            if found.is_some() {
                self.offset = start + consumed;
                return Ok(Some(if too_long {
                    Line::TooLong { start }
                } else {
                    Line::Complete { start }
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[u8], limit: usize) -> Vec<(Line, Vec<u8>)> {
        let mut reader = LineReader::with_limit(text, limit);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = reader.next_line(&mut buf).unwrap() {
            out.push((line, buf.clone()));
        }
        out
    }

    #[test]
    fn splits_lines_and_keeps_offsets() {
        let out = lines(b"ab\ncdefghijklmnopqrstuvwxyz0123456789\n\nz", 1000);
        assert_eq!(out[0], (Line::Complete { start: 0 }, b"ab".to_vec()));
        assert_eq!(out[1].0, Line::Complete { start: 3 });
        assert_eq!(out[1].1.len(), 34);
        assert_eq!(out[2], (Line::Complete { start: 38 }, vec![]));
        assert_eq!(out[3], (Line::Unterminated { start: 39 }, b"z".to_vec()));
    }

    #[test]
    fn overlong_lines_are_skipped_without_being_held() {
        let mut text = vec![b'x'; 100];
        text.extend_from_slice(b"\nok\n");
        let out = lines(&text, 10);
        assert_eq!(out[0], (Line::TooLong { start: 0 }, vec![]));
        assert_eq!(out[1], (Line::Complete { start: 101 }, b"ok".to_vec()));
    }

    #[test]
    fn borrowed_lines_equal_gathered_lines_whatever_the_buffer() {
        let mut text = Vec::new();
        for i in 0..200usize {
            text.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, i * 7 % 53));
            text.push(b'\n');
        }
        text.extend_from_slice(b"tail");
        let expected = lines(&text, 40);
        for capacity in [1, 2, 7, 16, 64, 1000] {
            let mut reader = LineReader::with_limit(&text[..], 40);
            reader.inner = BufReader::with_capacity(capacity, &text[..]);
            let mut buf = Vec::new();
            let mut got = Vec::new();
            while let Some((line, bytes)) = reader.next(&mut buf).unwrap() {
                let bytes = bytes.to_vec();
                got.push((line, bytes));
            }
            assert_eq!(got, expected, "buffer of {capacity} bytes");
            assert_eq!(reader.offset(), text.len() as u64 - 4);
        }
    }

    #[test]
    fn the_offset_stops_before_an_unterminated_tail() {
        let mut reader = LineReader::with_limit(&b"one\ntw"[..], 100);
        let mut buf = Vec::new();
        while reader.next_line(&mut buf).unwrap().is_some() {}
        assert_eq!(reader.offset(), 4);
    }
}
