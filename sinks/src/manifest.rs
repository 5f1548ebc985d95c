//! Writes the run manifest (or any JSON document) atomically: it is the last file a run writes, and
//! its presence means every output it lists is complete. Before a run moves its first file into
//! place, the manifest an earlier run left there is removed ([`retire_manifest`]): a run
//! killed between its renames and its manifest leaves no manifest (an unfinished run), never the
//! earlier run's beside files it does not describe.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::error::SinkError;
use crate::output::{Destination, Output, OutputReceipt, check_replaceable, parent_dir, sync_dir};

/// What a run does before it moves its files to `targets`, whose manifest it writes at
/// `manifest` afterwards: checks each target (a refused one leaves everything as it was), then
/// removes the manifest an earlier run left there. What every command writing files and a
/// manifest (`extract`, `reclaim`, `changes`) commits after.
pub fn retire_manifest<'a>(
    targets: impl IntoIterator<Item = &'a Path>,
    manifest: &Path,
) -> Result<(), SinkError> {
    let io_err = |path: &Path| {
        let path = path.display().to_string();
        move |error| SinkError::Io { path, error }
    };
    let mut any = false;
    for target in targets {
        check_replaceable(target).map_err(io_err(target))?;
        any = true;
    }
    if any {
        match std::fs::remove_file(manifest) {
            Ok(()) => sync_dir(parent_dir(manifest)).map_err(io_err(manifest))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(manifest)(e)),
        }
    }
    Ok(())
}

/// Writes `value` as pretty JSON to `path` through a temporary file and a rename.
pub fn write_json_atomically<T: Serialize>(
    path: &Path,
    value: &T,
) -> Result<OutputReceipt, SinkError> {
    let destination = Destination::File(path.to_path_buf());
    let mut output = Output::open(&destination)?;
    let name = destination.display_name();
    let io_err = SinkError::io(&name);
    serde_json::to_writer_pretty(&mut output, value).map_err(|e| io_err(e.into()))?;
    output.write_all(b"\n").map_err(io_err)?;
    output.into_pending()?.commit(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FinishedOutput, Format, SinkOptions, open_sink};
    use arrow_array::{RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    fn finished(target: &Path) -> FinishedOutput {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Utf8, true)]));
        let destination = Destination::File(target.to_path_buf());
        let mut sink = open_sink(Format::Csv, &destination, &SinkOptions::default()).unwrap();
        sink.begin(&schema).unwrap();
        let column = Arc::new(StringArray::from(vec!["new"]));
        sink.write_batch(&RecordBatch::try_new(schema, vec![column]).unwrap())
            .unwrap();
        sink.finish().unwrap()
    }

    #[test]
    fn the_old_manifest_is_gone_before_a_new_file_is_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let (data, manifest) = (dir.path().join("t.csv"), dir.path().join("t_manifest.json"));
        std::fs::write(&data, "old").unwrap();
        std::fs::write(&manifest, "{}").unwrap();
        let output = finished(&data);
        retire_manifest(output.pending.target(), &manifest).unwrap();
        let receipt = output.commit().unwrap();
        // Where a run killed now stops: the new file, and no manifest to say otherwise.
        assert!(!manifest.exists());
        assert_eq!(std::fs::read_to_string(&data).unwrap(), "x\r\nnew\r\n");
        assert_eq!(receipt.rows, 1);
    }

    #[test]
    fn a_refused_target_leaves_the_old_manifest_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let (data, manifest) = (dir.path().join("t.csv"), dir.path().join("t_manifest.json"));
        std::fs::write(&data, "old").unwrap();
        std::fs::write(&manifest, "{}").unwrap();
        let output = finished(&data);
        // Replaced by a folder after the output was opened: the rename would replace it.
        std::fs::remove_file(&data).unwrap();
        std::fs::create_dir(&data).unwrap();
        assert!(retire_manifest(output.pending.target(), &manifest).is_err());
        assert_eq!(std::fs::read_to_string(&manifest).unwrap(), "{}");
    }
}
