//! Where the client keeps its data: `--home`, else `EOM_HOME`, else the platform's data folder.

use std::path::PathBuf;

pub fn resolve(explicit: Option<PathBuf>) -> Result<PathBuf, String> {
    if let Some(dir) = explicit {
        return Ok(dir);
    }
    directories::ProjectDirs::from("org", "eom", "eom")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| {
            "cannot find a home folder for eom's data; pass --home DIR or set EOM_HOME".to_owned()
        })
}
