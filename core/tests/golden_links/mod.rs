//! The committed golden links and scenario files of a wire-format version, read the same way
//! by `wire_v1.rs` and `wire_v2.rs`.

/// `(name, token)` of every link of a `links.txt`: `name token` per line; `#` lines and blank
/// lines are comments.
pub fn links(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (name, token) = l.split_once(' ').expect("`name token`");
            (name.to_string(), token.to_string())
        })
        .collect()
}

/// The text of the committed file `name` among `files` (`(name, text)` pairs).
pub fn file(files: &[(&str, &'static str)], name: &str) -> &'static str {
    files
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
        .expect("a golden scenario file of that name")
}
