//! The de-duplication's key log on disk (see `transform::dedup`): 16 bytes per admitted user in an
//! unnamed temporary file next to the outputs, so the set of seen users costs disk, not memory, and
//! nothing is left behind even when the process is killed.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use transform::KeyLog;

/// Write and read buffer size.
const BUFFER: usize = 64 * 1024;

/// Fingerprints appended to an unnamed temporary file.
pub struct FileKeyLog {
    file: BufWriter<File>,
}

impl FileKeyLog {
    /// Creates the log in `dir` (on Linux an `O_TMPFILE`: it has no name to leave behind).
    pub fn create_in(dir: &Path) -> io::Result<Self> {
        Ok(FileKeyLog {
            file: BufWriter::with_capacity(BUFFER, tempfile::tempfile_in(dir)?),
        })
    }
}

impl KeyLog for FileKeyLog {
    fn append(&mut self, fingerprint: u128) -> io::Result<()> {
        self.file.write_all(&fingerprint.to_le_bytes())
    }

    fn scan(&mut self, visit: &mut dyn FnMut(u128)) -> io::Result<()> {
        self.file.flush()?;
        let file = self.file.get_mut();
        file.seek(SeekFrom::Start(0))?;
        let mut reader = BufReader::with_capacity(BUFFER, &*file);
        let mut entry = [0u8; 16];
        loop {
            match reader.read_exact(&mut entry) {
                Ok(()) => visit(u128::from_le_bytes(entry)),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(e),
            }
        }
        file.seek(SeekFrom::End(0))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_returns_every_fingerprint_and_appending_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = FileKeyLog::create_in(dir.path()).unwrap();
        let written: Vec<u128> = (0..10_000u128).map(|n| n * 0x1_0000_0001 + 7).collect();
        for &f in &written {
            log.append(f).unwrap();
        }
        let mut seen = Vec::new();
        log.scan(&mut |f| seen.push(f)).unwrap();
        assert_eq!(seen, written);
        log.append(u128::MAX).unwrap();
        let mut count = 0;
        log.scan(&mut |_| count += 1).unwrap();
        assert_eq!(count, 10_001);
        // The file has no name: the directory stays empty.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
