//! Reading the model registry (`Models`) at the latest finalized block.

use crate::{api, AccountId, Balance, BlockNumber, Client, Digest, Error, JobId, OrClientError};

/// A registered model.
pub type Model = api::runtime_types::pallet_models::pallet::ModelInfo<AccountId, BlockNumber>;

/// A version of a model.
pub type Version =
	api::runtime_types::pallet_models::pallet::Version<AccountId, Balance, BlockNumber>;

/// An audited evaluation of a version.
pub type Evaluation =
	api::runtime_types::pallet_models::pallet::Evaluation<AccountId, Balance, BlockNumber>;

/// How a version came to be.
pub type Provenance = api::runtime_types::pallet_models::pallet::Provenance;

/// The generated bounded byte vector of names, labels, texts and URIs.
pub type Bytes = api::runtime_types::bounded_collections::bounded_vec::BoundedVec<u8>;

/// `text` as the registry's calls take it.
pub fn bytes(text: &str) -> Bytes {
	api::runtime_types::bounded_collections::bounded_vec::BoundedVec(text.as_bytes().to_vec())
}

/// A registry string for people (names, labels and texts are UTF-8 by
/// the CLI's hand, but the chain stores bytes).
pub fn text(bytes: &Bytes) -> String {
	String::from_utf8_lossy(&bytes.0).into_owned()
}

/// The model `name`, if registered.
pub async fn model(client: &Client, name: &str) -> Result<Option<Model>, Error> {
	let at = client.at_current_block().await.or_client()?;
	let entry = at.storage().entry(api::storage().models().models()).or_client()?;
	match entry.try_fetch((bytes(name),)).await.or_client()? {
		Some(value) => Ok(Some(value.decode().or_client()?)),
		None => Ok(None),
	}
}

/// The version `label` of `name`, if any.
pub async fn version(client: &Client, name: &str, label: &str) -> Result<Option<Version>, Error> {
	let at = client.at_current_block().await.or_client()?;
	let entry = at.storage().entry(api::storage().models().versions()).or_client()?;
	match entry.try_fetch((bytes(name), bytes(label))).await.or_client()? {
		Some(value) => Ok(Some(value.decode().or_client()?)),
		None => Ok(None),
	}
}

/// Every version of `name`, oldest first (by the block it was added in,
/// then label).
pub async fn versions(client: &Client, name: &str) -> Result<Vec<(String, Version)>, Error> {
	let at = client.at_current_block().await.or_client()?;
	let entry = at.storage().entry(api::storage().models().versions()).or_client()?;
	let mut iter = entry.iter((bytes(name),)).await.or_client()?;
	let mut found = Vec::new();
	while let Some(item) = iter.next().await {
		let item = item.or_client()?;
		let (_, label): (Bytes, Bytes) = item.key().or_client()?.decode().or_client()?;
		found.push((text(&label), item.value().decode().or_client()?));
	}
	found.sort_by(|(a, va), (b, vb)| (va.added_at, a).cmp(&(vb.added_at, b)));
	Ok(found)
}

/// Every evaluation of `label` of `name`, by job id.
pub async fn evaluations(
	client: &Client,
	name: &str,
	label: &str,
) -> Result<Vec<(JobId, Evaluation)>, Error> {
	let at = client.at_current_block().await.or_client()?;
	let entry = at.storage().entry(api::storage().models().evaluations()).or_client()?;
	let mut iter = entry.iter((bytes(name), bytes(label))).await.or_client()?;
	let mut found = Vec::new();
	while let Some(item) = iter.next().await {
		let item = item.or_client()?;
		let (_, _, job): (Bytes, Bytes, JobId) = item.key().or_client()?.decode().or_client()?;
		found.push((job, item.value().decode().or_client()?));
	}
	found.sort_by_key(|(job, _)| *job);
	Ok(found)
}

/// Every `(name, label)` a digest is registered as (a digest is a version
/// of a model once, of any number of models), by name.
pub async fn versions_of_digest(
	client: &Client,
	digest: &Digest,
) -> Result<Vec<(String, String)>, Error> {
	let at = client.at_current_block().await.or_client()?;
	let entry = at.storage().entry(api::storage().models().version_of_digest()).or_client()?;
	let mut iter = entry.iter((*digest,)).await.or_client()?;
	let mut found = Vec::new();
	while let Some(item) = iter.next().await {
		let item = item.or_client()?;
		let (_, name): (Digest, Bytes) = item.key().or_client()?.decode().or_client()?;
		found.push((text(&name), text(&item.value().decode().or_client()?)));
	}
	found.sort();
	Ok(found)
}
