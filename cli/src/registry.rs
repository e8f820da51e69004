//! `hypha model register | push-version | evaluate | show | log | verify |
//! deprecate | transfer`: the model registry on chain (`Models`).
//!
//! A version is named `NAME@VERSION`. Its file is uploaded to a blob store
//! (content-addressed, so the URI names the digest) unless `--uri` points
//! somewhere else. A version trained on the market names its training job
//! (`--job`); the chain checks the job's committed output and its starting
//! model. `verify` re-checks the rest here: it rebuilds the job's program
//! from the parent's file and re-runs the job.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, ensure, Context, Result};
use hypha_agent::fetch::{fetch_blob, parse_blob_uri, BlobUri};
use hypha_client::models::{self, bytes, text, Provenance, Version};
use hypha_client::subxt_signer::sr25519::Keypair;
use hypha_client::{api, chain, query, AccountId, Client, Digest, WorkloadKind};
use hypha_compute::output::blake2_256;
use hypha_compute::tensors::{read_bounded, MAX_FILE_BYTES};
use hypha_compute::{Backend, BackendChoice};

use crate::args::ChainArgs;

/// A model version as people write it: `NAME@VERSION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRef {
	/// The model's name.
	pub name: String,
	/// The version's label.
	pub version: String,
}

impl FromStr for ModelRef {
	type Err = String;
	fn from_str(text: &str) -> Result<Self, String> {
		let (name, version) = text
			.split_once('@')
			.ok_or_else(|| format!("`{text}` is not NAME@VERSION (e.g. digits@v1)"))?;
		let valid =
			|part: &str, max: u32| hypha_primitives::registry::is_identifier(part.as_bytes(), max);
		if !valid(name, hypha_primitives::registry::MAX_NAME_BYTES) {
			return Err(format!(
				"`{name}` is not a model name: 1 to {} of a-z 0-9 - _ . starting with a letter or digit",
				hypha_primitives::registry::MAX_NAME_BYTES
			));
		}
		if !valid(version, hypha_primitives::registry::MAX_LABEL_BYTES) {
			return Err(format!(
				"`{version}` is not a version label: 1 to {} of a-z 0-9 - _ . starting with a letter or digit",
				hypha_primitives::registry::MAX_LABEL_BYTES
			));
		}
		Ok(ModelRef { name: name.into(), version: version.into() })
	}
}

impl fmt::Display for ModelRef {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(f, "{}@{}", self.name, self.version)
	}
}

/// Where a version's file goes: a blob store, or a URI of the caller's.
#[derive(Debug, Clone, clap::Args)]
pub struct FileArgs {
	/// The model file.
	#[arg(long)]
	pub file: PathBuf,
	/// The blob store to upload the file to (`hypha store serve`).
	#[arg(long, env = "HYPHA_STORE", default_value = "http://127.0.0.1:7300")]
	pub store: String,
	/// Record this URI instead of uploading (the file must be there).
	#[arg(long)]
	pub uri: Option<String>,
}

/// The registry commands of `hypha model`.
#[derive(Debug, clap::Subcommand)]
pub enum RegistryCommand {
	/// Register a model with its first version (a file from outside the
	/// market); the --seed account owns it. Holds the model's and the
	/// version's deposits.
	Register {
		#[command(flatten)]
		chain: ChainArgs,
		/// NAME@VERSION.
		model: ModelRef,
		#[command(flatten)]
		file: FileArgs,
		/// What the file is: `hypha-mlp` (the digits model), `hypha-lm`.
		#[arg(long)]
		architecture: String,
		/// The license it is given under (an SPDX expression or a URL).
		#[arg(long)]
		license: String,
	},
	/// Add a version to a model the --seed account owns. With --job, the
	/// version is the output of that settled training job (`hypha job
	/// fetch` wrote it as output.bin), and the chain checks the link; the
	/// parent defaults to the version the job started from.
	PushVersion {
		#[command(flatten)]
		chain: ChainArgs,
		/// NAME@VERSION of the new version.
		model: ModelRef,
		#[command(flatten)]
		file: FileArgs,
		/// The version it was made from (a label of the same model).
		#[arg(long)]
		parent: Option<String>,
		/// The training job whose output it is.
		#[arg(long)]
		job: Option<u64>,
	},
	/// Record an evaluation of a version: a settled `score` or `inference`
	/// job that ran it (`hypha job submit --model NAME@VERSION`), which the
	/// --seed account paid for, with the metric read from its output.
	Evaluate {
		#[command(flatten)]
		chain: ChainArgs,
		/// NAME@VERSION evaluated.
		model: ModelRef,
		/// The evaluation job.
		#[arg(long)]
		job: u64,
		/// The job's output (output.bin of `hypha job fetch`), checked on
		/// chain against the provider's commitment.
		#[arg(long)]
		output: PathBuf,
		/// What was measured (`accuracy`, `perplexity`).
		#[arg(long)]
		metric: String,
		/// Its value (`0.9125`), kept to a millionth.
		#[arg(long)]
		value: f64,
	},
	/// Show a model (NAME) or one version (NAME@VERSION).
	Show {
		#[command(flatten)]
		chain: ChainArgs,
		/// NAME or NAME@VERSION.
		model: String,
	},
	/// The lineage of a model as a tree: each version, its parent, the
	/// training job and data set that made it (checked on chain or not),
	/// its evaluations and deprecations.
	Log {
		#[command(flatten)]
		chain: ChainArgs,
		/// The model's name.
		name: String,
	},
	/// Re-run the training job of a version here and check that it
	/// reproduces the version's digest: fetches the parent's file and the
	/// job's blobs (each checked against its digest), rebuilds the job's
	/// program from the parent's file and the job's plan, runs the job.
	Verify {
		#[command(flatten)]
		chain: ChainArgs,
		/// NAME@VERSION.
		model: ModelRef,
		/// Where kernels run (the digest is the same on every backend).
		#[arg(long, env = "HYPHA_BACKEND", default_value = "reference")]
		backend: BackendChoice,
	},
	/// Deprecate a version of a model the --seed account owns (a
	/// referendum deprecates any: `Models::deprecate` on the
	/// market_params track).
	Deprecate {
		#[command(flatten)]
		chain: ChainArgs,
		/// NAME@VERSION.
		model: ModelRef,
		/// Why.
		#[arg(long)]
		reason: String,
	},
	/// Give a model to another account.
	Transfer {
		#[command(flatten)]
		chain: ChainArgs,
		/// The model's name.
		name: String,
		/// The new owner (SS58).
		#[arg(long)]
		to: String,
	},
}

impl RegistryCommand {
	/// Runs the command.
	pub fn run(self) -> Result<()> {
		let lines = match self {
			RegistryCommand::Register { chain, model, file, architecture, license } => {
				let signer = chain.signer()?;
				chain.run(async |client| {
					register(&client, &signer, &model, &file, &architecture, &license).await
				})?
			},
			RegistryCommand::PushVersion { chain, model, file, parent, job } => {
				let signer = chain.signer()?;
				chain.run(async |client| {
					push_version(&client, &signer, &model, &file, parent, job).await
				})?
			},
			RegistryCommand::Evaluate { chain, model, job, output, metric, value } => {
				let signer = chain.signer()?;
				chain.run(async |client| {
					evaluate(&client, &signer, &model, job, &output, &metric, value).await
				})?
			},
			RegistryCommand::Show { chain, model } => {
				chain.run(async |client| show(&client, &model).await)?
			},
			RegistryCommand::Log { chain, name } => {
				chain.run(async |client| log(&client, &name).await)?
			},
			RegistryCommand::Verify { chain, model, backend } => {
				let report = chain.run(async |client| verify(&client, &model, backend).await)?;
				crate::args::print_lines(report.lines);
				ensure!(report.reproduced, "{model} was not reproduced");
				return Ok(());
			},
			RegistryCommand::Deprecate { chain, model, reason } => {
				let signer = chain.signer()?;
				let call = api::tx().models().deprecate(
					bytes(&model.name),
					bytes(&model.version),
					bounded_text(&reason, "--reason")?,
				);
				chain.run(async |client| Ok(chain::submit(&client, &call, &signer).await?))?;
				vec![format!("{model} deprecated: {reason}")]
			},
			RegistryCommand::Transfer { chain, name, to } => {
				let signer = chain.signer()?;
				let to: AccountId = to
					.parse()
					.map_err(|e| anyhow::anyhow!("`{to}` is not an SS58 account: {e:?}"))?;
				let call = api::tx().models().transfer(bytes(&name), to);
				chain.run(async |client| Ok(chain::submit(&client, &call, &signer).await?))?;
				vec![format!("{name} now belongs to {to}")]
			},
		};
		crate::args::print_lines(lines);
		Ok(())
	}
}

/// A text flag within the registry's bound.
fn bounded_text(value: &str, flag: &str) -> Result<models::Bytes> {
	ensure!(
		value.len() <= hypha_primitives::registry::MAX_TEXT_BYTES as usize,
		"{flag} is longer than the chain's {} bytes",
		hypha_primitives::registry::MAX_TEXT_BYTES
	);
	Ok(bytes(value))
}

/// A digest as `0x` and 64 hex digits.
pub fn hex_digest(digest: &Digest) -> String {
	format!("0x{}", hex::encode(digest))
}

/// Reads `file.file` and stores it (or takes `file.uri`); its digest and URI.
async fn place_file(file: &FileArgs, signer: &Keypair) -> Result<(Digest, String)> {
	let contents = read_bounded(&file.file, MAX_FILE_BYTES)
		.with_context(|| format!("reading the model file {}", file.file.display()))?;
	let digest = blake2_256(&contents);
	if let Some(uri) = &file.uri {
		return Ok((digest, uri.clone()));
	}
	let store = hypha_blobstore::BlobClient::new(file.store.clone())
		.with_context(|| format!("--store {}", file.store))?
		.with_signer(signer.clone());
	let chunks = hypha_blobstore::chunks::Manifest::of(&contents).root();
	let stored =
		store.put(contents, &hypha_blobstore::Access::public()).await.with_context(|| {
			format!(
				"uploading {} to the blob store at {}. Is it running (`hypha store serve`)?",
				file.file.display(),
				file.store
			)
		})?;
	ensure!(stored.0 == digest, "the store answered another digest than the file's");
	Ok((digest, BlobUri::format(file.store.trim_end_matches('/'), &stored, Some(&chunks))))
}

fn uri_arg(uri: &str) -> Result<models::Bytes> {
	ensure!(!uri.is_empty(), "the URI is empty");
	ensure!(
		uri.len() <= hypha_primitives::MAX_URI_BYTES as usize,
		"the URI {uri} is longer than the chain's {} bytes: use a shorter --store URL",
		hypha_primitives::MAX_URI_BYTES
	);
	Ok(bytes(uri))
}

async fn register(
	client: &Client,
	signer: &Keypair,
	model: &ModelRef,
	file: &FileArgs,
	architecture: &str,
	license: &str,
) -> Result<Vec<String>> {
	let (digest, uri) = place_file(file, signer).await?;
	let call = api::tx().models().register(
		bytes(&model.name),
		bounded_text(architecture, "--architecture")?,
		bounded_text(license, "--license")?,
		bytes(&model.version),
		digest,
		uri_arg(&uri)?,
	);
	chain::submit(client, &call, signer).await?;
	Ok(vec![format!("registered {model}: {}", hex_digest(&digest)), format!("file: {uri}")])
}

async fn push_version(
	client: &Client,
	signer: &Keypair,
	model: &ModelRef,
	file: &FileArgs,
	parent: Option<String>,
	job: Option<u64>,
) -> Result<Vec<String>> {
	let parent = match (parent, job) {
		(Some(parent), _) => Some(parent),
		(None, Some(job)) => Some(parent_of_job(client, &model.name, job).await?),
		(None, None) => None,
	};
	let (digest, uri) = place_file(file, signer).await?;
	let call = api::tx().models().push_version(
		bytes(&model.name),
		bytes(&model.version),
		parent.as_deref().map(bytes),
		digest,
		uri_arg(&uri)?,
		job,
	);
	chain::submit(client, &call, signer).await?;
	let mut lines = vec![format!("added {model}: {}", hex_digest(&digest))];
	if let Some(parent) = &parent {
		lines.push(format!("parent: {}@{parent}", model.name));
	}
	match job {
		Some(job) => lines.push(format!(
			"trained by job {job}: the chain checked its committed output and its starting model"
		)),
		None => lines.push("uploaded: made outside the market".into()),
	}
	lines.push(format!("file: {uri}"));
	Ok(lines)
}

/// The label of `name` that training job `job` started from.
async fn parent_of_job(client: &Client, name: &str, job: u64) -> Result<String> {
	let record = query::job(client, job).await?.with_context(|| format!("no job {job}"))?;
	let model = record.spec.model.with_context(|| {
		format!("job {job} names no model to start from: it cannot be a fine-tune of {name}")
	})?;
	let registered = models::versions_of_digest(client, &model).await?;
	match registered.iter().find(|(model, _)| model == name) {
		Some((_, label)) => Ok(label.clone()),
		None if registered.is_empty() => {
			bail!("job {job} started from {}, which no registered version is", hex_digest(&model))
		},
		None => {
			let others: Vec<String> = registered.iter().map(|(n, l)| format!("{n}@{l}")).collect();
			bail!("job {job} started from {}, not from a version of {name}", others.join(", "))
		},
	}
}

async fn evaluate(
	client: &Client,
	signer: &Keypair,
	model: &ModelRef,
	job: u64,
	output: &Path,
	metric: &str,
	value: f64,
) -> Result<Vec<String>> {
	ensure!(value.is_finite(), "--value must be a number");
	let micro = (value * 1e6).round();
	ensure!(micro.abs() < 9.2e18, "--value is out of range");
	let contents = read_bounded(output, MAX_FILE_BYTES)
		.with_context(|| format!("reading the output {}", output.display()))?;
	let digest = blake2_256(&contents);
	let call = api::tx().models().record_evaluation(
		bytes(&model.name),
		bytes(&model.version),
		job,
		digest,
		bounded_text(metric, "--metric")?,
		micro as i64,
	);
	chain::submit(client, &call, signer).await?;
	Ok(vec![format!(
		"recorded: {metric} {} of {model}, from job {job}'s output {}",
		format_micro(micro as i64),
		hex_digest(&digest)
	)])
}

/// A value in millionths, as people read it.
pub fn format_micro(value: i64) -> String {
	let text = format!("{:.6}", value as f64 / 1e6);
	let text = text.trim_end_matches('0');
	text.strip_suffix('.').unwrap_or(text).to_string()
}

fn provenance_line(name: &str, version: &Version) -> String {
	let parent = match &version.parent {
		Some(parent) => format!("from {name}@{}", text(parent)),
		None => "no parent".to_string(),
	};
	match &version.provenance {
		Provenance::Uploaded => {
			format!("{parent}; uploaded (made outside the market: not checked)")
		},
		Provenance::Trained { job, dataset, program } => format!(
			"{parent}; trained by job {job} on data set {} with program {} (link verified on chain)",
			hex_digest(dataset),
			hex_digest(program)
		),
	}
}

/// "DEPRECATED at block #… by …: why", if the version is deprecated.
pub fn deprecation_line(version: &Version) -> Option<String> {
	version.deprecated.as_ref().map(|d| {
		format!(
			"DEPRECATED at block #{} by {}: {}",
			d.at,
			if d.by_governance { "governance (a referendum)" } else { "its owner" },
			text(&d.reason)
		)
	})
}

async fn show(client: &Client, what: &str) -> Result<Vec<String>> {
	let (name, label) = match what.split_once('@') {
		Some((name, label)) => (name, Some(label)),
		None => (what, None),
	};
	let model = models::model(client, name).await?.with_context(|| format!("no model {name}"))?;
	let mut lines = vec![
		format!("model: {name}"),
		format!("owner: {}", model.owner),
		format!("architecture: {}", text(&model.architecture)),
		format!("license: {}", text(&model.license)),
		format!("registered at block #{}; {} versions", model.registered_at, model.versions),
	];
	let versions = match label {
		Some(label) => vec![(
			label.to_string(),
			models::version(client, name, label)
				.await?
				.with_context(|| format!("{name} has no version {label}"))?,
		)],
		None => models::versions(client, name).await?,
	};
	for (label, version) in versions {
		lines.push(format!("{name}@{label}: {}", hex_digest(&version.digest)));
		lines.push(format!("  file: {}", text(&version.uri)));
		lines.push(format!("  {}", provenance_line(name, &version)));
		lines.push(format!("  added at block #{} by {}", version.added_at, version.added_by));
		lines.extend(deprecation_line(&version).map(|line| format!("  {line}")));
		for (job, evaluation) in models::evaluations(client, name, &label).await? {
			lines.push(format!("  {}", evaluation_line(job, &evaluation)));
		}
	}
	Ok(lines)
}

fn evaluation_line(job: u64, evaluation: &models::Evaluation) -> String {
	format!(
		"evaluation: {} {} by job {job} ({} on data set {}, output {}; read by {})",
		text(&evaluation.metric),
		format_micro(evaluation.value_micro),
		*evaluation.kind,
		hex_digest(&evaluation.dataset),
		hex_digest(&evaluation.output),
		evaluation.recorded_by
	)
}

/// A model's versions as a tree: each with its depth (0 for a root), in
/// depth-first order from the roots, oldest first among siblings.
pub struct Lineage {
	/// The model.
	pub model: models::Model,
	/// `(depth, label, version, evaluations)`.
	pub versions: Vec<(usize, String, Version, Vec<(u64, models::Evaluation)>)>,
}

/// The lineage of `name`, read from the chain.
pub async fn lineage(client: &Client, name: &str) -> Result<Lineage> {
	let model = models::model(client, name).await?.with_context(|| format!("no model {name}"))?;
	let all = models::versions(client, name).await?;
	let children = |parent: Option<&str>| -> Vec<&(String, Version)> {
		all.iter().filter(|(_, v)| v.parent.as_ref().map(text).as_deref() == parent).collect()
	};
	// Depth-first from the roots; a parent always exists before its child,
	// so every version is reached once.
	let mut stack: Vec<(usize, &(String, Version))> =
		children(None).into_iter().rev().map(|v| (0, v)).collect();
	let mut versions = Vec::with_capacity(all.len());
	while let Some((depth, (label, version))) = stack.pop() {
		let evaluations = models::evaluations(client, name, label).await?;
		versions.push((depth, label.clone(), version.clone(), evaluations));
		for child in children(Some(label)).into_iter().rev() {
			stack.push((depth + 1, child));
		}
	}
	Ok(Lineage { model, versions })
}

/// `hypha model log`: the versions of `name` as a tree, roots first.
pub async fn log(client: &Client, name: &str) -> Result<Vec<String>> {
	let Lineage { model, versions } = lineage(client, name).await?;
	let mut lines = vec![format!(
		"{name} ({}, {}), owned by {}",
		text(&model.architecture),
		text(&model.license),
		model.owner
	)];
	for (depth, label, version, evaluations) in versions {
		let indent = "  ".repeat(depth);
		let link = match &version.provenance {
			Provenance::Uploaded => "uploaded".to_string(),
			Provenance::Trained { job, dataset, .. } => format!(
				"trained by job {job} on data set {} [link verified on chain]",
				hex_digest(dataset)
			),
		};
		lines.push(format!("{indent}* {name}@{label} {} ({link})", hex_digest(&version.digest)));
		lines.extend(deprecation_line(&version).map(|line| format!("{indent}  {line}")));
		for (job, evaluation) in &evaluations {
			lines.push(format!("{indent}  {}", evaluation_line(*job, evaluation)));
		}
	}
	Ok(lines)
}

/// What `hypha model verify` found.
#[derive(Debug, Clone)]
pub struct VerifyReport {
	/// Whether the version's digest was reproduced.
	pub reproduced: bool,
	/// What was checked, for people.
	pub lines: Vec<String>,
}

/// Fetches a version's file by its URI (a blob store's), checked against
/// its digest.
async fn fetch_version_file(version: &Version, what: &str) -> Result<Vec<u8>> {
	let uri = text(&version.uri);
	parse_blob_uri(&uri).map_err(|e| {
		anyhow::anyhow!("the file of {what} is at {uri}, which is not a blob store's URI ({e}): fetch it yourself and check its digest {}", hex_digest(&version.digest))
	})?;
	fetch_blob(uri.as_bytes(), &version.digest, MAX_FILE_BYTES, None)
		.await
		.with_context(|| format!("fetching the file of {what} from {uri}"))
}

/// `hypha model verify`: re-checks everything about a version that the
/// chain could not, by re-running its training job here.
pub async fn verify(
	client: &Client,
	model: &ModelRef,
	backend: BackendChoice,
) -> Result<VerifyReport> {
	let version = models::version(client, &model.name, &model.version)
		.await?
		.with_context(|| format!("no version {model}"))?;
	let mut lines = vec![format!("{model}: {}", hex_digest(&version.digest))];
	let Provenance::Trained { job, .. } = &version.provenance else {
		let file = fetch_version_file(&version, &model.to_string()).await?;
		lines.push(format!(
			"uploaded from outside the market: there is no job to re-run; its file ({} bytes) matches its digest",
			file.len()
		));
		return Ok(VerifyReport { reproduced: false, lines });
	};
	let job = *job;
	let parent_label =
		version.parent.as_ref().map(text).context("a trained version has a parent")?;
	let parent = models::version(client, &model.name, &parent_label)
		.await?
		.with_context(|| format!("the parent {}@{parent_label} is gone", model.name))?;
	let record = query::job(client, job).await?.with_context(|| format!("no job {job}"))?;
	let spec = &*record.spec;
	ensure!(spec.kind == WorkloadKind::Training, "job {job} is not a training job");
	let parent_file =
		fetch_version_file(&parent, &format!("{}@{parent_label}", model.name)).await?;
	lines.push(format!(
		"parent {}@{parent_label}: {} bytes, digest {} (the job's model on chain)",
		model.name,
		parent_file.len(),
		hex_digest(&parent.digest)
	));
	let program = fetch_blob(&spec.program_uri, &spec.program_digest, MAX_FILE_BYTES, None)
		.await
		.with_context(|| format!("fetching job {job}'s program"))?;
	let input = fetch_blob(&spec.input_uri, &spec.input_digest, MAX_FILE_BYTES, None)
		.await
		.with_context(|| format!("fetching job {job}'s input (the data set)"))?;
	lines.push(format!(
		"job {job}: program {} ({} bytes), data set {} ({} bytes), both match their digests",
		hex_digest(&spec.program_digest),
		program.len(),
		hex_digest(&spec.input_digest),
		input.len()
	));
	let loaded = hypha_compute::package::load(WorkloadKind::Training, &program, &input)
		.with_context(|| format!("job {job}'s program and input do not form a training job"))?;
	let plan = hypha_compute::package::training_plan(&program)?;
	let rebuilt = hypha_compute::package::training_program(&parent_file, &plan)
		.with_context(|| format!("the parent's file does not start job {job}'s plan"))?;
	let from_parent = blake2_256(&rebuilt) == spec.program_digest;
	lines.push(if from_parent {
		format!("the program is the parent's weights with the job's plan ({} epochs): rebuilt to the same digest", plan.epochs)
	} else {
		"the program is NOT built from the parent's file: its weights differ".to_string()
	});
	let backend = Backend::select(backend)?;
	let output = loaded.run(&backend).with_context(|| format!("re-running job {job}"))?;
	let digest = output.digest();
	let same = digest == version.digest;
	lines.push(format!(
		"re-ran job {job} here: output digest {} {}",
		hex_digest(&digest),
		if same {
			"= the version's digest: reproduced"
		} else {
			"differs from the version's digest"
		}
	));
	Ok(VerifyReport { reproduced: same && from_parent, lines })
}

/// The digest a job spec's model file must have for `--model NAME@VERSION`,
/// and the check that the spec at `spec_path` runs (generate, score) or
/// starts from (training) that file. An inference spec's model is the
/// version's int8 quantization, which only a re-run checks.
pub async fn resolve_for_spec(
	client: &Client,
	model: &ModelRef,
	spec_path: &Path,
) -> Result<Digest> {
	let version = models::version(client, &model.name, &model.version)
		.await?
		.with_context(|| format!("no version {model} is registered"))?;
	if let Some(deprecation) = deprecation_line(&version) {
		bail!("{model} is {deprecation}");
	}
	let spec = hypha_compute::spec::JobSpec::read(spec_path)?;
	let base = spec_path.parent().unwrap_or(Path::new("."));
	let file = match &spec {
		hypha_compute::spec::JobSpec::Training(s) => Some(&s.initial_weights),
		hypha_compute::spec::JobSpec::Generate(s) => Some(&s.model),
		hypha_compute::spec::JobSpec::Score(s) => Some(&s.model),
		hypha_compute::spec::JobSpec::Inference(_) => None,
	};
	if let Some(file) = file {
		let bytes = read_bounded(&base.join(file), MAX_FILE_BYTES)?;
		ensure!(
			blake2_256(&bytes) == version.digest,
			"{} is not the file of {model} (digest {} instead of {})",
			base.join(file).display(),
			hex_digest(&blake2_256(&bytes)),
			hex_digest(&version.digest)
		);
	}
	Ok(version.digest)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn model_references_parse_and_refuse_what_the_chain_would() {
		let parsed: ModelRef = "digits@v1.2-ft_3".parse().unwrap();
		assert_eq!((parsed.name.as_str(), parsed.version.as_str()), ("digits", "v1.2-ft_3"));
		assert_eq!(parsed.to_string(), "digits@v1.2-ft_3");
		for bad in ["digits", "@v1", "digits@", "Digits@v1", "digits@V1", "a@b@c", "-x@v1"] {
			assert!(bad.parse::<ModelRef>().is_err(), "{bad}");
		}
	}

	#[test]
	fn values_in_millionths_read_back_as_written() {
		assert_eq!(format_micro(912_500), "0.9125");
		assert_eq!(format_micro(-1_500_000), "-1.5");
		assert_eq!(format_micro(3_000_000), "3");
	}
}
