//! Writing results safely.
//!
//! - **Files**: every output path is checked before any work starts ([`OutputFile::check`]),
//!   so a typo costs no simulation; results are written to a temporary file in the same folder
//!   and renamed over the target only once complete ([`OutputFile::write`]). An interrupted
//!   write (Ctrl-C, a full disk) leaves the target as it was, and at worst a `.…partial` file
//!   beside it: never a complete-looking truncated file.
//! - **Standard output**: [`outln!`](crate::outln) writes a line and returns an error instead
//!   of panicking as `println!` does; `main` turns it into a message and a non-zero exit (or
//!   the quiet exit 141 of a closed pipe, `… | head`). A closed stdout (`>&-`) is detected at
//!   start ([`stdout_is_closed`]).

use anyhow::{Context, Result, bail};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// `println!` for results: writes one line to standard output and returns a [`StdoutError`]
/// instead of panicking when it cannot (a full disk, a closed pipe). Use with `?`.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::stdout_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::stdout_line(format_args!($($arg)*))
    };
}

/// Standard output could not be written.
#[derive(Debug)]
pub struct StdoutError(pub io::Error);

impl fmt::Display for StdoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write to standard output: {}", self.0)
    }
}

impl std::error::Error for StdoutError {}

impl StdoutError {
    /// Whether the reader went away (`… | head`): the shell's SIGPIPE convention, not an error.
    pub fn is_broken_pipe(&self) -> bool {
        self.0.kind() == io::ErrorKind::BrokenPipe
    }
}

/// Writes `args` and a line break to standard output (see [`outln!`](crate::outln)).
pub fn stdout_line(args: fmt::Arguments<'_>) -> Result<(), StdoutError> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(StdoutError)
}

/// Writes `text` as it is to standard output and flushes it.
pub fn stdout_text(text: &str) -> Result<(), StdoutError> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(StdoutError)
}

/// Flushes standard output (at the end of `main`: a buffered line that fails is still
/// reported).
pub fn flush_stdout() -> Result<(), StdoutError> {
    io::stdout().lock().flush().map_err(StdoutError)
}

/// Whether standard output was closed when the program started (`pecsched-worker … >&-`).
///
/// Rust's runtime reopens a closed standard descriptor on `/dev/null` (read-write) before
/// `main`, so writes would silently vanish and the exit be 0. A shell's `> /dev/null` opens it
/// write-only, so a read-write `/dev/null` on descriptor 1 is the runtime's doing. Linux only
/// (through `/proc`); elsewhere this answers `false`.
pub fn stdout_is_closed() -> bool {
    let Ok(target) = std::fs::read_link("/proc/self/fd/1") else {
        return false;
    };
    if target != Path::new("/dev/null") {
        return false;
    }
    let Ok(info) = std::fs::read_to_string("/proc/self/fdinfo/1") else {
        return false;
    };
    // `flags:` is octal; the access mode is its low two bits (2 = O_RDWR).
    info.lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
        .is_some_and(|flags| flags & 0o3 == 0o2)
}

/// An output file whose path was checked before any work; written atomically.
#[derive(Clone, Debug)]
pub struct OutputFile {
    /// The flag that named it, for messages (`--requests-csv`).
    flag: &'static str,
    /// The path as given.
    path: PathBuf,
}

impl OutputFile {
    /// Checks that `path` (named by `flag`) can be written: it is not a folder, its folder
    /// exists, and a file can be created there. Creates nothing that stays.
    pub fn check(flag: &'static str, path: &Path) -> Result<OutputFile> {
        let shown = path.display();
        if path.as_os_str().is_empty() {
            bail!("{flag}: the path is empty");
        }
        if path.is_dir() {
            bail!("{flag} {shown}: is a folder; give a file name");
        }
        let folder = folder_of(path);
        if !folder.is_dir() {
            bail!(
                "{flag} {shown}: folder {} does not exist (create it first)",
                folder.display()
            );
        }
        let out = OutputFile {
            flag,
            path: path.to_path_buf(),
        };
        // A probe in the same folder: the temporary file of a real write goes there too.
        let probe = out.temporary("probe");
        create_new(&probe)
            .with_context(|| format!("{flag} {shown}: cannot create a file in its folder"))?;
        let _ = std::fs::remove_file(&probe);
        if path.exists() {
            OpenOptions::new()
                .append(true)
                .open(path)
                .with_context(|| format!("{flag} {shown}: exists and cannot be overwritten"))?;
        }
        Ok(out)
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the file: `fill` writes to a temporary file in the same folder, which is
    /// flushed, synced and renamed over the target only if `fill` succeeded. On any error the
    /// temporary file is removed and the target left as it was.
    pub fn write(&self, fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
        let tmp = self.temporary("partial");
        let shown = self.path.display();
        let result = (|| -> io::Result<()> {
            let file = create_new(&tmp)?;
            let mut w = BufWriter::new(file);
            fill(&mut w)?;
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("{} {shown}: writing failed", self.flag));
        }
        Ok(())
    }

    /// Starts writing the file in parts, for output too large to build first (per-request
    /// records written as each run ends): the same temporary file as [`OutputFile::write`],
    /// renamed over the target by [`PartialFile::commit`]; dropped uncommitted, it is removed
    /// and the target left as it was.
    pub fn begin(&self) -> Result<PartialFile> {
        let tmp = self.temporary("partial");
        let file = create_new(&tmp)
            .with_context(|| format!("{} {}: writing failed", self.flag, self.path.display()))?;
        Ok(PartialFile {
            out: self.clone(),
            tmp,
            w: Some(BufWriter::new(file)),
        })
    }

    /// Writes `text` (see [`OutputFile::write`]).
    pub fn write_text(&self, text: &str) -> Result<()> {
        self.write(|w| w.write_all(text.as_bytes()))
    }

    /// `.<name>.<pid>.<what>` beside the target: hidden, and plainly not the result.
    fn temporary(&self, what: &str) -> PathBuf {
        let name = self
            .path
            .file_name()
            .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
        folder_of(&self.path).join(format!(".{name}.{}.{what}", std::process::id()))
    }
}

/// An [`OutputFile`] being written in parts ([`OutputFile::begin`]).
pub struct PartialFile {
    out: OutputFile,
    tmp: PathBuf,
    /// `None` once committed.
    w: Option<BufWriter<File>>,
}

impl PartialFile {
    /// Where the next part goes.
    pub fn writer(&mut self) -> &mut dyn Write {
        self.w.as_mut().expect("written before commit")
    }

    /// The error of a failed part, with the flag and path, as [`OutputFile::write`] words it.
    pub fn failed(&self, e: io::Error) -> anyhow::Error {
        anyhow::Error::new(e).context(format!(
            "{} {}: writing failed",
            self.out.flag,
            self.out.path.display()
        ))
    }

    /// Flushes, syncs and renames the file over the target.
    pub fn commit(mut self) -> Result<()> {
        let w = self.w.take().expect("committed once");
        let result = (|| -> io::Result<()> {
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&self.tmp, &self.out.path)
        })();
        result.map_err(|e| self.failed(e))
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if self.w.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The folder a file path lives in (`.` for a bare name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("pecsched-output-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_failed_write_leaves_the_target_and_no_temporary_file() {
        let dir = scratch("failed");
        let target = dir.join("out.csv");
        std::fs::write(&target, "old results\n").unwrap();
        let out = OutputFile::check("--requests-csv", &target).unwrap();
        let err = out
            .write(|w| {
                w.write_all(b"header\nrow 1\n")?;
                Err(io::Error::other("interrupted"))
            })
            .unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            format!(
                "--requests-csv {}: writing failed: interrupted",
                target.display()
            )
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old results\n");
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 1, "only the target remains: {left:?}");
        out.write_text("new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new\n");
    }

    #[test]
    fn bad_paths_are_refused_before_any_work() {
        let dir = scratch("bad");
        let missing = dir.join("no-such-folder").join("out.csv");
        let e = OutputFile::check("--json-out", &missing).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "--json-out {}: folder {} does not exist (create it first)",
                missing.display(),
                dir.join("no-such-folder").display()
            )
        );
        let e = OutputFile::check("--markdown", &dir).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "--markdown {}: is a folder; give a file name",
                dir.display()
            )
        );
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "nothing created"
        );
    }
}
