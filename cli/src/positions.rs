//! Where each value of a spec document is: line, column and byte span for a path such as
//! `steps[2].inputs.approvers`, for JSON (a small scanner over text `serde_json` already
//! accepted) and YAML (the events of `granit-parser`, the parser `serde-saphyr` reads with, so
//! both agree on every position).

use std::collections::HashMap;

use serde_saphyr::granit_parser::{Event, Parser};

/// One step of a path: a map key or a list index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Seg {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A place in the text: 1-based line and column (in characters), and the byte span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters.
    pub column: usize,
    /// The byte offset.
    pub offset: usize,
    /// The byte length (at least 1 unless the text is empty).
    pub len: usize,
}

/// The positions of a document's values, by path. A value in a map is placed at its key.
#[derive(Debug, Default)]
pub struct Positions {
    map: HashMap<Vec<Seg>, Pos>,
    lines: Vec<usize>,
    text_len: usize,
}

impl Positions {
    fn new(text: &str) -> Self {
        let mut lines = vec![0];
        lines.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            map: HashMap::new(),
            lines,
            text_len: text.len(),
        }
    }

    /// The position of byte `offset`, `len` bytes long.
    fn at(&self, text: &str, offset: usize, len: usize) -> Pos {
        let line = self.lines.partition_point(|&start| start <= offset);
        let start = self.lines.get(line.saturating_sub(1)).copied().unwrap_or(0);
        let column = text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
        Pos {
            line,
            column,
            offset,
            len: len.min(self.text_len.saturating_sub(offset)),
        }
    }

    /// The position of `path` as the validator writes it (`spec`, `spec.key`, `steps[1].name`),
    /// or of its nearest ancestor that is in the document; `None` only for an empty document.
    pub fn find(&self, path: &str) -> Option<Pos> {
        let mut segs = parse_path(path);
        loop {
            if let Some(pos) = self.map.get(&segs) {
                return Some(*pos);
            }
            segs.pop()?;
        }
    }

    /// The positions of a JSON document that `serde_json` accepted.
    pub fn json(text: &str) -> Self {
        let mut positions = Self::new(text);
        let mut scanner = Json {
            text,
            bytes: text.as_bytes(),
            i: 0,
            found: Vec::new(),
        };
        scanner.value(&mut Vec::new(), None);
        for (path, offset, len) in scanner.found {
            let pos = positions.at(text, offset, len);
            positions.map.entry(path).or_insert(pos);
        }
        positions
    }

    /// The positions of a YAML document (its first document).
    pub fn yaml(text: &str) -> Self {
        let mut positions = Self::new(text);
        let mut frames: Vec<Frame> = Vec::new();
        let mut path: Vec<Seg> = Vec::new();
        let mut found: Vec<(Vec<Seg>, usize, usize)> = Vec::new();
        let char_offsets = CharOffsets::new(text);
        for item in Parser::new_from_str(text) {
            let Ok((event, span)) = item else { break };
            let start = char_offsets.byte(span.start.index());
            let end = char_offsets.byte(span.end.index()).max(start + 1);
            let ignored = matches!(frames.last(), Some(Frame::Ignored { .. }));
            match event {
                Event::DocumentEnd => break,
                Event::Scalar(..) | Event::Alias(..) if ignored => {}
                Event::Scalar(value, ..) => {
                    if let Some(Frame::Map {
                        key: key @ None, ..
                    }) = frames.last_mut()
                    {
                        *key = Some((value.into_owned(), start, end - start));
                        continue;
                    }
                    value_at(&mut frames, &mut path, &mut found, start, end);
                    after_value(&mut frames, &mut path);
                }
                Event::Alias(_) => {
                    if let Some(Frame::Map {
                        key: key @ None, ..
                    }) = frames.last_mut()
                    {
                        *key = Some((String::new(), start, end - start));
                        continue;
                    }
                    value_at(&mut frames, &mut path, &mut found, start, end);
                    after_value(&mut frames, &mut path);
                }
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    if let Some(Frame::Map { key: None, .. }) = frames.last() {
                        // A complex key: its contents have no path.
                        frames.push(Frame::Ignored { depth: 1 });
                        continue;
                    }
                    if let Some(Frame::Ignored { depth }) = frames.last_mut() {
                        *depth += 1;
                        continue;
                    }
                    value_at(&mut frames, &mut path, &mut found, start, end);
                    let is_map = matches!(event, Event::MappingStart(..));
                    frames.push(if is_map {
                        Frame::Map { key: None }
                    } else {
                        Frame::Seq { index: 0 }
                    });
                }
                Event::MappingEnd | Event::SequenceEnd => match frames.last_mut() {
                    Some(Frame::Ignored { depth }) if *depth > 1 => *depth -= 1,
                    Some(Frame::Ignored { .. }) => {
                        frames.pop();
                        if let Some(Frame::Map { key, .. }) = frames.last_mut() {
                            *key = Some((String::new(), start, end - start));
                        }
                    }
                    _ => {
                        frames.pop();
                        after_value(&mut frames, &mut path);
                    }
                },
                _ => {}
            }
        }
        for (path, offset, len) in found {
            let pos = positions.at(text, offset, len);
            positions.map.entry(path).or_insert(pos);
        }
        positions
    }
}

/// Byte offsets of character indices.
struct CharOffsets(Vec<usize>);

impl CharOffsets {
    fn new(text: &str) -> Self {
        let mut v: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        v.push(text.len());
        Self(v)
    }

    fn byte(&self, char_index: usize) -> usize {
        self.0
            .get(char_index)
            .or(self.0.last())
            .copied()
            .unwrap_or(0)
    }
}

enum Frame {
    /// A map; `key` is the key read and awaiting its value (name, offset, length).
    Map {
        key: Option<(String, usize, usize)>,
    },
    Seq {
        index: usize,
    },
    Ignored {
        depth: usize,
    },
}

/// Records a value starting at `start`: in a map at its key, in a list at itself; extends
/// `path` to it.
fn value_at(
    frames: &mut [Frame],
    path: &mut Vec<Seg>,
    found: &mut Vec<(Vec<Seg>, usize, usize)>,
    start: usize,
    end: usize,
) {
    match frames.last() {
        Some(Frame::Map {
            key: Some((key, offset, len)),
        }) => {
            path.push(Seg::Key(key.clone()));
            found.push((path.clone(), *offset, *len));
        }
        Some(Frame::Seq { index }) => {
            path.push(Seg::Index(*index));
            found.push((path.clone(), start, end - start));
        }
        _ => found.push((path.clone(), start, end - start)),
    }
}

/// After a value in a map or list: back to its parent's path, ready for the next.
fn after_value(frames: &mut [Frame], path: &mut Vec<Seg>) {
    match frames.last_mut() {
        Some(Frame::Map { key }) => {
            *key = None;
            path.pop();
        }
        Some(Frame::Seq { index }) => {
            *index += 1;
            path.pop();
        }
        _ => {}
    }
}

/// Splits a validator's path: `spec` is the document, `spec.x` its key `x`; `steps[1].name`.
fn parse_path(path: &str) -> Vec<Seg> {
    let path = match path.strip_prefix("spec") {
        Some("") => "",
        Some(rest) if rest.starts_with('.') => rest.get(1..).unwrap_or_default(),
        _ => path,
    };
    let mut segs = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            segs.push(Seg::Key(key.to_owned()));
        }
        while let Some((index, more)) = rest.split_once(']') {
            if let Ok(i) = index.parse() {
                segs.push(Seg::Index(i));
            }
            rest = more.strip_prefix('[').unwrap_or(more);
        }
    }
    segs
}

/// A scanner over valid JSON that records where each value (or its key) starts.
struct Json<'a> {
    text: &'a str,
    bytes: &'a [u8],
    i: usize,
    found: Vec<(Vec<Seg>, usize, usize)>,
}

impl Json<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// A value at `path`; `key` is where its key was, for a value in an object.
    fn value(&mut self, path: &mut Vec<Seg>, key: Option<(usize, usize)>) {
        self.ws();
        let start = self.i;
        match self.peek() {
            Some(b'{') => {
                self.record(path, key, start, 1);
                self.i += 1;
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b'"') => {
                            let key_start = self.i;
                            self.string();
                            let raw = self.text.get(key_start..self.i).unwrap_or_default();
                            let name: String = serde_json::from_str(raw).unwrap_or_default();
                            let key_len = self.i - key_start;
                            self.ws();
                            if self.peek() == Some(b':') {
                                self.i += 1;
                            }
                            path.push(Seg::Key(name));
                            self.value(path, Some((key_start, key_len)));
                            path.pop();
                        }
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return;
                        }
                        _ => return,
                    }
                }
            }
            Some(b'[') => {
                self.record(path, key, start, 1);
                self.i += 1;
                let mut index = 0;
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b']') => {
                            self.i += 1;
                            return;
                        }
                        Some(b',') => self.i += 1,
                        Some(_) => {
                            path.push(Seg::Index(index));
                            self.value(path, None);
                            path.pop();
                            index += 1;
                        }
                        None => return,
                    }
                }
            }
            Some(b'"') => {
                self.string();
                self.record(path, key, start, self.i - start);
            }
            Some(_) => {
                while matches!(self.peek(), Some(c) if !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                {
                    self.i += 1;
                }
                self.record(path, key, start, (self.i - start).max(1));
            }
            None => {}
        }
    }

    fn string(&mut self) {
        self.i += 1;
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'\\' => self.i += 1,
                b'"' => return,
                _ => {}
            }
        }
    }

    fn record(&mut self, path: &[Seg], key: Option<(usize, usize)>, start: usize, len: usize) {
        let (offset, len) = key.unwrap_or((start, len));
        self.found.push((path.to_vec(), offset, len));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_col(p: &Positions, path: &str) -> (usize, usize) {
        p.find(path).map(|p| (p.line, p.column)).unwrap_or((0, 0))
    }

    #[test]
    fn json_paths() {
        let text = "{\n  \"steps\": [\n    {\"name\": \"a\", \"type\": \"training\"},\n    {\"name\": \"b\",\n     \"inputs\": {\"approvers\": \"bob\"}}\n  ]\n}\n";
        let p = Positions::json(text);
        assert_eq!(line_col(&p, "spec"), (1, 1));
        assert_eq!(line_col(&p, "steps"), (2, 3));
        assert_eq!(line_col(&p, "steps[0]"), (3, 5));
        assert_eq!(line_col(&p, "steps[0].type"), (3, 19));
        assert_eq!(line_col(&p, "steps[1].inputs.approvers"), (5, 17));
        // A key the document lacks: its nearest ancestor.
        assert_eq!(line_col(&p, "steps[1].type"), (4, 5));
    }

    #[test]
    fn yaml_paths() {
        let text = "steps:\n  - name: a\n    type: training\n  - name: b\n    inputs:\n      approvers: bob\n      gates: [{metric: x}, {metric: y, at_least: 1}]\n";
        let p = Positions::yaml(text);
        assert_eq!(line_col(&p, "steps"), (1, 1));
        assert_eq!(line_col(&p, "steps[0]"), (2, 5));
        assert_eq!(line_col(&p, "steps[0].type"), (3, 5));
        assert_eq!(line_col(&p, "steps[1].inputs.approvers"), (6, 7));
        assert_eq!(line_col(&p, "steps[1].inputs.gates[1].at_least"), (7, 40));
        assert_eq!(line_col(&p, "spec.steps"), (1, 1));
    }

    #[test]
    fn paths_split_as_the_validator_writes_them() {
        use Seg::*;
        assert_eq!(parse_path("spec"), vec![]);
        assert_eq!(parse_path("spec.extra"), vec![Key("extra".into())]);
        assert_eq!(
            parse_path("steps[2].inputs.gates[0].metric"),
            vec![
                Key("steps".into()),
                Index(2),
                Key("inputs".into()),
                Key("gates".into()),
                Index(0),
                Key("metric".into())
            ]
        );
    }
}
