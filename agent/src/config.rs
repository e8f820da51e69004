//! A daemon's settings: a TOML file with any of its fields (snake_case
//! keys, unknown keys refused), then command-line flags on top.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// Why a config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
	/// The file could not be read.
	#[error("reading the config file {path}: {source}")]
	Read {
		/// The file.
		path: PathBuf,
		/// The OS error.
		#[source]
		source: std::io::Error,
	},
	/// The file is not valid TOML for these settings.
	#[error("parsing the config file {path}: {source}")]
	Parse {
		/// The file.
		path: PathBuf,
		/// What is wrong, with its line.
		#[source]
		source: toml::de::Error,
	},
}

/// The settings in `path`, or the defaults without a file.
pub fn load<T: DeserializeOwned + Default>(path: Option<&Path>) -> Result<T, ConfigError> {
	let Some(path) = path else { return Ok(T::default()) };
	let text = std::fs::read_to_string(path)
		.map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
	toml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
	use super::*;

	#[derive(Debug, Default, PartialEq, serde::Deserialize)]
	#[serde(deny_unknown_fields, default)]
	struct Settings {
		node_url: String,
		bond: u64,
	}

	#[test]
	fn files_fill_what_they_name_and_refuse_unknown_keys() {
		let dir = std::env::temp_dir().join(format!("hypha-config-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let good = dir.join("good.toml");
		std::fs::write(&good, "bond = 5\n").unwrap();
		assert_eq!(
			load::<Settings>(Some(&good)).unwrap(),
			Settings { bond: 5, ..Default::default() }
		);
		let bad = dir.join("bad.toml");
		std::fs::write(&bad, "cheat = true\n").unwrap();
		assert!(matches!(load::<Settings>(Some(&bad)), Err(ConfigError::Parse { .. })));
		assert!(matches!(
			load::<Settings>(Some(&dir.join("none.toml"))),
			Err(ConfigError::Read { .. })
		));
		assert_eq!(load::<Settings>(None).unwrap(), Settings::default());
		let _ = std::fs::remove_dir_all(&dir);
	}
}
