//! The bounds of the model registry (`Models`), shared by the pallet and the
//! clients that check names before paying for a transaction.

/// The longest model name, in bytes.
pub const MAX_NAME_BYTES: u32 = 64;
/// The longest version label, in bytes.
pub const MAX_LABEL_BYTES: u32 = 32;
/// The longest architecture, license, metric or deprecation reason, in bytes.
pub const MAX_TEXT_BYTES: u32 = 128;

/// Whether `bytes` is a name or a version label: 1 to `max` of `a-z`, `0-9`,
/// `-`, `_` and `.`, starting with a letter or digit (so `name@version`
/// reads back unambiguously and no two names differ only in case).
pub fn is_identifier(bytes: &[u8], max: u32) -> bool {
	let allowed = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(b);
	bytes.len() <= max as usize
		&& bytes.first().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
		&& bytes.iter().all(allowed)
}
