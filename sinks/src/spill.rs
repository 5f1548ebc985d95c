//! Where the Parquet writer keeps a row group's finished pages until the row group is written: in
//! an unnamed temporary file rather than on the heap.
//!
//! Parquet writes a row group's column chunks one after another, so every page of the row group
//! being built has to wait somewhere. In memory that is the compressed row group, several MiB, and
//! more for wide columns such as the rejects' raw JSON; on disk it costs one write and one read of
//! bytes the page cache still holds. Each column chunk gets its own file (on Linux an `O_TMPFILE`,
//! which has no name to leave behind), dropped once its pages are written out.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use parquet::arrow::arrow_writer::{PageKey, PageStore, PageStoreArgs, PageStoreFactory};
use parquet::errors::{ParquetError, Result};

/// Creates a [`FilePageStore`] per column chunk in one directory.
#[derive(Debug)]
pub struct FilePageStoreFactory {
    dir: PathBuf,
}

impl FilePageStoreFactory {
    /// Spills into `dir` (best on the output's file system).
    pub fn new(dir: PathBuf) -> Self {
        FilePageStoreFactory { dir }
    }
}

impl PageStoreFactory for FilePageStoreFactory {
    fn create(&self, _args: &PageStoreArgs<'_>) -> Result<Box<dyn PageStore>> {
        let file = tempfile::tempfile_in(&self.dir).map_err(|e| {
            ParquetError::External(
                format!(
                    "cannot create a temporary file for Parquet pages in {}: {e}",
                    self.dir.display()
                )
                .into(),
            )
        })?;
        Ok(Box::new(FilePageStore {
            file,
            end: 0,
            pages: Vec::new(),
        }))
    }
}

/// The finished pages of one column chunk, appended to a temporary file.
struct FilePageStore {
    file: File,
    end: u64,
    /// Offset and length of each page, by key.
    pages: Vec<(u64, usize)>,
}

impl PageStore for FilePageStore {
    fn put(&mut self, page: bytes::Bytes) -> Result<PageKey> {
        // Appends only: the file position is always its end.
        self.file.write_all(&page)?;
        self.pages.push((self.end, page.len()));
        self.end += page.len() as u64;
        Ok(PageKey::new(self.pages.len() as u64 - 1))
    }

    fn take(&mut self, key: PageKey) -> Result<bytes::Bytes> {
        let (offset, len) = usize::try_from(key.get())
            .ok()
            .and_then(|i| self.pages.get(i).copied())
            .ok_or_else(|| ParquetError::General(format!("no spilled page {}", key.get())))?;
        let mut page = vec![0; len];
        self.file.read_exact_at(&mut page, offset)?;
        Ok(page.into())
    }
}
