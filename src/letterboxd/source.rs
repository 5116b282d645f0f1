//! Reading an export: the zip Letterboxd sends, or the folder it unzips
//! to, into memory as a map of relative paths to bytes. A zip is untrusted
//! input: every entry's name is checked (no `..`, no absolute path) and
//! every read is bounded, whatever sizes the zip declares.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use super::LetterboxdError;

/// The most one file of an export may hold once unpacked. A critic's
/// `reviews.csv` with thousands of long reviews is a few megabytes.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// The most a whole export may hold once unpacked.
const MAX_TOTAL_BYTES: u64 = 256 * 1024 * 1024;
/// CSV text deflates five to twenty times; two hundred times is not
/// text, but a bomb (deflate's ceiling is about a thousand).
const MAX_RATIO: u64 = 200;

/// The export's files, by path relative to its root (`reviews.csv`,
/// `lists/best-of-2024.csv`), `deleted/` and `orphaned/` left out.
pub(crate) type Files = BTreeMap<String, Vec<u8>>;

/// Reads an export from a zip file or a folder.
pub(crate) fn read(path: &Path) -> Result<Files, LetterboxdError> {
    let files = if path.is_dir() {
        read_folder(path)?
    } else {
        read_zip(path)?
    };
    Ok(strip_common_folder(files))
}

/// `deleted/` and `orphaned/` hold what the member removed, or entries
/// whose film is gone: never imported.
fn kept(relative: &str) -> bool {
    relative.ends_with(".csv")
        && !relative
            .split('/')
            .any(|part| part == "deleted" || part == "orphaned")
}

fn read_folder(root: &Path) -> Result<Files, LetterboxdError> {
    let mut files = Files::new();
    let mut total = 0;
    let mut pending = vec![root.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries =
            std::fs::read_dir(&folder).map_err(|source| LetterboxdError::io(&folder, source))?;
        for entry in entries {
            let entry = entry.map_err(|source| LetterboxdError::io(&folder, source))?;
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|source| LetterboxdError::io(&path, source))?;
            if kind.is_dir() {
                pending.push(path);
                continue;
            }
            let Ok(relative) = path.strip_prefix(root) else {
                continue;
            };
            let relative = relative.to_string_lossy().replace('\\', "/");
            if !kind.is_file() || !kept(&relative) {
                continue;
            }
            let file =
                std::fs::File::open(&path).map_err(|source| LetterboxdError::io(&path, source))?;
            let bytes = read_bounded(file, &relative, &mut total)?;
            files.insert(relative, bytes);
        }
    }
    Ok(files)
}

fn read_zip(path: &Path) -> Result<Files, LetterboxdError> {
    let file = std::fs::File::open(path).map_err(|source| LetterboxdError::io(path, source))?;
    let name = path.display().to_string();
    let mut archive = zip::ZipArchive::new(file).map_err(|error| LetterboxdError::Malformed {
        file: name.clone(),
        line: None,
        reason: format!("is neither a folder nor a zip file Letterboxd exported ({error})"),
    })?;
    let mut files = Files::new();
    let mut total = 0;
    for index in 0..archive.len() {
        let entry = archive
            .by_index(index)
            .map_err(|error| LetterboxdError::Malformed {
                file: name.clone(),
                line: None,
                reason: format!("entry {index} cannot be read ({error})"),
            })?;
        let relative = entry
            .name()
            .map_err(|error| LetterboxdError::Malformed {
                file: name.clone(),
                line: None,
                reason: format!("entry {index} has a name that cannot be read ({error})"),
            })?
            .to_string();
        let unsafe_name = relative.starts_with('/')
            || relative.starts_with('\\')
            || relative.contains(':')
            || relative.split(['/', '\\']).any(|part| part == "..");
        if unsafe_name {
            return Err(LetterboxdError::Malformed {
                file: format!("{name}: {relative}"),
                line: None,
                reason: "names a path outside the export (`..` or absolute): not a Letterboxd export, nothing was written".into(),
            });
        }
        if entry.is_dir() || !kept(&relative) {
            continue;
        }
        if entry.size() > MAX_FILE_BYTES
            || entry.size() > entry.compressed_size().max(1).saturating_mul(MAX_RATIO)
        {
            return Err(too_large(&relative));
        }
        let bytes = read_bounded(entry, &relative, &mut total)?;
        files.insert(relative, bytes);
    }
    Ok(files)
}

/// Reads at most `MAX_FILE_BYTES` (and what is left of `MAX_TOTAL_BYTES`):
/// the sizes a zip declares may lie, the bytes read cannot.
fn read_bounded(
    reader: impl Read,
    relative: &str,
    total: &mut u64,
) -> Result<Vec<u8>, LetterboxdError> {
    let limit = MAX_FILE_BYTES.min(MAX_TOTAL_BYTES - *total);
    let mut bytes = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| LetterboxdError::Malformed {
            file: relative.to_string(),
            line: None,
            reason: format!("cannot be unpacked ({error})"),
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large(relative));
    }
    *total += bytes.len() as u64;
    Ok(bytes)
}

fn too_large(relative: &str) -> LetterboxdError {
    LetterboxdError::Malformed {
        file: relative.to_string(),
        line: None,
        reason: format!(
            "unpacks to more than {} MB (or {} MB for the whole export): not a Letterboxd export, nothing was written",
            MAX_FILE_BYTES >> 20,
            MAX_TOTAL_BYTES >> 20
        ),
    }
}

/// A zip made by hand often holds one folder (`export/reviews.csv`): the
/// export's root is then that folder.
fn strip_common_folder(files: Files) -> Files {
    let Some(first) = files.keys().next() else {
        return files;
    };
    let Some((folder, _)) = first.split_once('/') else {
        return files;
    };
    let prefix = format!("{folder}/");
    if files.contains_key("reviews.csv")
        || files.contains_key("diary.csv")
        || !files.keys().all(|path| path.starts_with(&prefix))
    {
        return files;
    }
    files
        .into_iter()
        .map(|(path, bytes)| (path[prefix.len()..].to_string(), bytes))
        .collect()
}
