//! # Hypha primitives
//!
//! Types shared by the runtime and by the off-chain code (client, worker,
//! verifier, CLI), so that both sides agree by construction. `no_std`.
//!
//! - [`JobSpec`] and its parts: what a client asks to be computed, with every
//!   field bounded.
//! - [`JobId`], [`Digest`]: how jobs and off-chain blobs are named.
//! - [`registry`]: the bounds of the model registry's names and texts.
//! - [`sampling`]: the audit probability of Proof of Sampling.
//! - The token's denomination and the chain's block time.
#![cfg_attr(not(feature = "std"), no_std)]

pub mod registry;
pub mod sampling;

use bounded_collections::{BoundedVec, ConstU32};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// A block number.
pub type BlockNumber = u32;

/// A balance in the chain's smallest unit (10^-12 HYPHA).
pub type Balance = u128;

/// An account's transaction counter.
pub type Nonce = u32;

/// The token's ticker.
pub const TOKEN_SYMBOL: &str = "HYPHA";

/// Decimal places of the token: 1 HYPHA = 10^12 units.
pub const TOKEN_DECIMALS: u8 = 12;

/// One whole HYPHA in the smallest unit.
pub const HYPHA: Balance = 1_000_000_000_000;

/// One thousandth of a HYPHA.
pub const MILLI_HYPHA: Balance = HYPHA / 1_000;

/// Target block time of every Hypha chain, in milliseconds.
///
/// One second keeps the marketplace responsive (a job's life spans a handful of
/// blocks) and is well within what BABE and GRANDPA handle on a local network.
pub const MILLISECS_PER_BLOCK: u64 = 1_000;

/// A job's number, assigned by the chain in submission order.
pub type JobId = u64;

/// A BLAKE2-256 digest of off-chain bytes (a model, an input, an output).
pub type Digest = [u8; 32];

/// Longest URI a job spec or a provider's endpoint may carry, in bytes.
pub const MAX_URI_BYTES: u32 = 256;

/// A bounded URI (UTF-8 expected, not enforced on chain).
pub type Uri = BoundedVec<u8, ConstU32<MAX_URI_BYTES>>;

/// Largest output a job may declare, in bytes (64 MiB).
pub const MAX_OUTPUT_BYTES: u32 = 64 * 1024 * 1024;

/// Largest input or model a worker fetches for a job, in bytes (256 MiB).
pub const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;

/// What kind of work a job is. Workers advertise the kinds they run.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum WorkloadKind {
	/// Integer-only inference: model + input batch → logits and argmax.
	Inference,
	/// Fixed-point MLP training: architecture + weights + data → final weights, losses.
	Training,
	/// Integer-only language model: model + prompt → generated tokens.
	Generate,
	/// Integer-only language model: model + text → per-token log-probabilities.
	Score,
}

impl WorkloadKind {
	/// Every kind, in a fixed order.
	pub const ALL: [WorkloadKind; 4] = [
		WorkloadKind::Inference,
		WorkloadKind::Training,
		WorkloadKind::Generate,
		WorkloadKind::Score,
	];

	/// The kind as configs, flags and logs spell it: `inference`, `training`,
	/// `generate`, `score`.
	pub const fn name(self) -> &'static str {
		match self {
			WorkloadKind::Inference => "inference",
			WorkloadKind::Training => "training",
			WorkloadKind::Generate => "generate",
			WorkloadKind::Score => "score",
		}
	}

	/// This kind's bit in a [`JobKinds`] set.
	pub const fn bit(self) -> u8 {
		match self {
			WorkloadKind::Inference => 1,
			WorkloadKind::Training => 2,
			WorkloadKind::Generate => 4,
			WorkloadKind::Score => 8,
		}
	}
}

impl core::str::FromStr for WorkloadKind {
	type Err = UnknownWorkloadKind;

	/// Parses [`WorkloadKind::name`].
	fn from_str(text: &str) -> Result<Self, Self::Err> {
		WorkloadKind::ALL.into_iter().find(|kind| kind.name() == text).ok_or(UnknownWorkloadKind)
	}
}

impl core::fmt::Display for WorkloadKind {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str(self.name())
	}
}

/// A name that is no [`WorkloadKind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownWorkloadKind;

impl core::fmt::Display for UnknownWorkloadKind {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str("unknown job kind (expected inference, training, generate or score)")
	}
}

/// A set of workload kinds, as a bit set (bounded by construction).
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct JobKinds(pub u8);

impl JobKinds {
	/// The set with every kind.
	pub const fn all() -> Self {
		JobKinds(
			WorkloadKind::Inference.bit()
				| WorkloadKind::Training.bit()
				| WorkloadKind::Generate.bit()
				| WorkloadKind::Score.bit(),
		)
	}

	/// The set holding exactly `kinds`.
	pub fn from_kinds(kinds: &[WorkloadKind]) -> Self {
		JobKinds(kinds.iter().fold(0, |bits, kind| bits | kind.bit()))
	}

	/// Whether `kind` is in the set.
	pub const fn contains(self, kind: WorkloadKind) -> bool {
		self.0 & kind.bit() != 0
	}

	/// Whether the set is empty.
	pub const fn is_empty(self) -> bool {
		self.0 & Self::all().0 == 0
	}
}

/// The compute backend a provider runs jobs on.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum Backend {
	/// The fast multi-threaded CPU path.
	Cpu,
	/// A GPU through Vulkan (wgpu).
	Vulkan,
	/// A GPU through Metal (wgpu).
	Metal,
	/// A GPU through DirectX 12 (wgpu).
	Dx12,
	/// A GPU through OpenGL (wgpu).
	Gl,
}

/// What a provider offers: registered with the stake pallet, read by clients
/// and by the jobs pallet when the provider claims a job.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct ProviderCapabilities<Balance> {
	/// Where its jobs run.
	pub backend: Backend,
	/// Memory available to a job, in MiB.
	pub memory_mib: u32,
	/// The workload kinds it runs.
	pub job_kinds: JobKinds,
	/// Price per declared compute unit.
	pub price_per_unit: Balance,
	/// HTTP endpoint of its blob store, where outputs are served.
	pub endpoint: Uri,
	/// ed25519 public key that signs its off-chain receipts.
	pub receipt_key: [u8; 32],
}

/// What a client asks to be computed. Every field is bounded, so a spec has a
/// maximum encoded length and can be stored on chain.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct JobSpec {
	/// The workload kind.
	pub kind: WorkloadKind,
	/// BLAKE2-256 of the program: the model (inference) or the training plan.
	pub program_digest: Digest,
	/// Where the program can be fetched.
	pub program_uri: Uri,
	/// BLAKE2-256 of the input: the batch (inference) or the data set (training).
	pub input_digest: Digest,
	/// Where the input can be fetched.
	pub input_uri: Uri,
	/// The work the job declares, in compute units; the price is
	/// `compute_units * provider's price per unit`.
	pub compute_units: u64,
	/// The largest output the client accepts, in bytes.
	pub max_output_bytes: u32,
	/// The client's X25519 public key. With it, the provider seals the
	/// output to the client (HPKE, RFC 9180: DHKEM(X25519, HKDF-SHA256),
	/// HKDF-SHA256, ChaCha20-Poly1305; 48 bytes more than the output) before
	/// serving or storing it anywhere; the commitment still binds the digest
	/// of the plaintext. `None`: the output travels and is stored as is.
	pub output_key: Option<[u8; 32]>,
	/// The model version the job runs or starts from, by the digest of its
	/// model file (the `Models` registry's `name@version`, resolved when
	/// the job was submitted, so that renaming or replacing a registered
	/// model cannot change what a past job ran). For `generate` and `score`
	/// the program is the model file itself, so it must equal
	/// `program_digest`; for `training` the program is built from it (the
	/// initial weights), for `inference` it is its int8 quantization: that
	/// derivation is checked off chain by re-building the program
	/// (`hypha model verify`).
	pub model: Option<Digest>,
}

/// Why a [`JobSpec`] is not acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecError {
	/// `compute_units` is zero.
	NoComputeUnits,
	/// `max_output_bytes` is zero or above [`MAX_OUTPUT_BYTES`].
	OutputBoundOutOfRange,
	/// A URI is empty.
	EmptyUri,
	/// A `generate` or `score` job names a model that is not its program.
	ModelIsNotTheProgram,
}

impl JobSpec {
	/// Checks the bounds a spec's type cannot express.
	pub fn validate(&self) -> Result<(), SpecError> {
		if self.compute_units == 0 {
			return Err(SpecError::NoComputeUnits);
		}
		if self.max_output_bytes == 0 || self.max_output_bytes > MAX_OUTPUT_BYTES {
			return Err(SpecError::OutputBoundOutOfRange);
		}
		if self.program_uri.is_empty() || self.input_uri.is_empty() {
			return Err(SpecError::EmptyUri);
		}
		let program_is_the_model =
			matches!(self.kind, WorkloadKind::Generate | WorkloadKind::Score);
		if program_is_the_model && self.model.is_some_and(|model| model != self.program_digest) {
			return Err(SpecError::ModelIsNotTheProgram);
		}
		Ok(())
	}
}

/// The verdict of a verifier that could get a job's program or input from
/// neither the client's store nor the provider (or got bytes that fail
/// their digests): "inputs unavailable". It is committed and revealed like
/// any verdict, so the chain can check it, and a dispute panel, which tries
/// the same sources, confirms or refutes it. All `0xff`: no output hashes to
/// it short of a BLAKE2 preimage.
pub const INPUTS_UNAVAILABLE: Digest = [0xff; 32];

/// The commitment a party puts on chain for an output digest:
/// `BLAKE2-256(SCALE(job, party, digest))`.
///
/// Binding the job and the party into the hash means a commitment reveals
/// nothing usable to anyone else: a verifier cannot copy the provider's answer
/// (it never sees the digest), and cannot replay another verifier's
/// commitment (the party differs).
pub fn digest_commitment<AccountId: Encode>(
	job: JobId,
	party: &AccountId,
	digest: &Digest,
) -> Digest {
	blake2_256(&(job, party, digest).encode())
}

/// BLAKE2b with a 256-bit output: the digest of every blob and commitment.
pub fn blake2_256(data: &[u8]) -> Digest {
	sp_crypto_hashing::blake2_256(data)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn one_hypha_has_twelve_decimals() {
		assert_eq!(HYPHA, 10u128.pow(TOKEN_DECIMALS as u32));
		assert_eq!(MILLI_HYPHA * 1_000, HYPHA);
	}

	fn spec() -> JobSpec {
		JobSpec {
			kind: WorkloadKind::Inference,
			program_digest: [1; 32],
			program_uri: Uri::truncate_from(b"http://127.0.0.1:8000/blob/01".to_vec()),
			input_digest: [2; 32],
			input_uri: Uri::truncate_from(b"http://127.0.0.1:8000/blob/02".to_vec()),
			compute_units: 10,
			max_output_bytes: 1024,
			output_key: None,
			model: None,
		}
	}

	#[test]
	fn a_generate_or_score_job_names_its_program_as_its_model() {
		for kind in [WorkloadKind::Generate, WorkloadKind::Score] {
			let named = JobSpec { kind, model: Some([1; 32]), ..spec() };
			assert_eq!(named.validate(), Ok(()));
			let other = JobSpec { kind, model: Some([9; 32]), ..spec() };
			assert_eq!(other.validate(), Err(SpecError::ModelIsNotTheProgram));
		}
		// A training job's program is built from its model, an inference
		// job's is its quantization: the chain cannot check those.
		for kind in [WorkloadKind::Training, WorkloadKind::Inference] {
			assert_eq!(JobSpec { kind, model: Some([9; 32]), ..spec() }.validate(), Ok(()));
		}
	}

	#[test]
	fn a_well_formed_spec_validates() {
		assert_eq!(spec().validate(), Ok(()));
	}

	#[test]
	fn spec_without_compute_units_is_refused() {
		assert_eq!(
			JobSpec { compute_units: 0, ..spec() }.validate(),
			Err(SpecError::NoComputeUnits)
		);
	}

	#[test]
	fn spec_with_unbounded_output_is_refused() {
		let too_big = JobSpec { max_output_bytes: MAX_OUTPUT_BYTES + 1, ..spec() };
		assert_eq!(too_big.validate(), Err(SpecError::OutputBoundOutOfRange));
		let zero = JobSpec { max_output_bytes: 0, ..spec() };
		assert_eq!(zero.validate(), Err(SpecError::OutputBoundOutOfRange));
	}

	#[test]
	fn spec_with_empty_uri_is_refused() {
		assert_eq!(
			JobSpec { input_uri: Uri::default(), ..spec() }.validate(),
			Err(SpecError::EmptyUri)
		);
	}

	#[test]
	fn commitments_differ_by_party_and_job() {
		let digest = [7u8; 32];
		let a = digest_commitment(1, &[1u8; 32], &digest);
		assert_ne!(a, digest_commitment(1, &[2u8; 32], &digest));
		assert_ne!(a, digest_commitment(2, &[1u8; 32], &digest));
		assert_eq!(a, digest_commitment(1, &[1u8; 32], &digest));
	}

	#[test]
	fn workload_kinds_parse_their_names() {
		for kind in WorkloadKind::ALL {
			assert_eq!(kind.name().parse::<WorkloadKind>(), Ok(kind));
		}
		assert_eq!("Training".parse::<WorkloadKind>(), Err(UnknownWorkloadKind));
	}

	#[test]
	fn verifier_fees_cover_the_auditor_and_a_full_panel() {
		assert_eq!(max_verifier_fees(7u128, 2), 21);
		assert_eq!(max_verifier_fees(u128::MAX, 2), u128::MAX);
	}

	#[test]
	fn only_the_last_auditor_and_unanswered_panel_members_owe_a_verdict() {
		let slot = |verifier: u8, commitment: Option<Digest>, digest: Option<Digest>| {
			VerifierSlot { verifier, commitment, digest }
		};
		let audit = |slots: Vec<VerifierSlot<u8>>| JobStatus::<u8, u128, u32>::Audit {
			provider: 0,
			price: 1,
			collateral: 1,
			commitment: [0; 32],
			output_uri: Uri::default(),
			verifiers: VerifierSlots::truncate_from(slots),
			deadline: 9,
			seed: [0; 32],
		};
		let replaced = audit(vec![slot(1, None, None), slot(2, None, None)]);
		assert!(!replaced.awaits_verdict_from(&1), "a replaced auditor may not answer");
		assert_eq!(replaced.verdict_due(&2), Some(VerdictDue::Audit));
		assert!(!audit(vec![slot(2, None, Some([1; 32]))]).awaits_verdict_from(&2));
		assert_eq!(current_auditor_slot::<u8>(&[]), None);
		let dispute = |revealing: bool| JobStatus::<u8, u128, u32>::Dispute {
			provider: 0,
			price: 1,
			collateral: 1,
			commitment: [0; 32],
			output_uri: Uri::default(),
			verifiers: VerifierSlots::truncate_from(vec![
				slot(1, Some([1; 32]), None),
				slot(3, None, None),
				slot(5, Some([2; 32]), Some([3; 32])),
			]),
			deadline: 9,
			revealing,
		};
		assert_eq!(dispute(false).verdict_due(&3), Some(VerdictDue::Commit));
		assert_eq!(dispute(false).verdict_due(&1), None, "committed: waits for the reveal");
		assert_eq!(dispute(true).verdict_due(&1), Some(VerdictDue::Reveal));
		assert_eq!(dispute(true).verdict_due(&3), None, "no commitment: nothing to reveal");
		assert_eq!(dispute(true).verdict_due(&5), None, "revealed already");
		assert!(!dispute(false).awaits_verdict_from(&4));
	}

	#[test]
	fn job_kinds_set_holds_what_was_put_in() {
		let only_inference = JobKinds::from_kinds(&[WorkloadKind::Inference]);
		assert!(only_inference.contains(WorkloadKind::Inference));
		assert!(!only_inference.contains(WorkloadKind::Training));
		assert!(JobKinds(0).is_empty());
		assert!(JobKinds::all().contains(WorkloadKind::Training));
	}
}

/// Most verifiers one job can involve: the auditor plus the dispute panel.
pub const MAX_VERIFIERS_PER_JOB: u32 = 5;

/// A verifier assigned to a job, and its answer once given.
///
/// Verdicts that could be copied are committed before they are revealed: an
/// auditor that disagrees with the provider, and every dispute panel member,
/// first put [`digest_commitment`]`(job, verifier, digest)` on chain
/// (`commitment`) and reveal the digest only once every seat has committed
/// or the commit window has passed. An auditor that agrees reveals at once
/// (`digest` without a `commitment`): its digest settles the job, nobody is
/// left to copy it.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct VerifierSlot<AccountId> {
	/// The verifier.
	pub verifier: AccountId,
	/// Its committed verdict, [`digest_commitment`] of its digest.
	pub commitment: Option<Digest>,
	/// The output digest it computed, once revealed.
	pub digest: Option<Digest>,
}

impl<AccountId> VerifierSlot<AccountId> {
	/// A seat that has not answered yet.
	pub fn empty(verifier: AccountId) -> Self {
		VerifierSlot { verifier, commitment: None, digest: None }
	}
}

/// What a job waits for from one of its verifiers ([`JobStatus::verdict_due`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerdictDue {
	/// The current auditor of an `Audit`: reveal an agreeing digest
	/// (`submit_verdict`), or commit a disagreeing one (`commit_verdict`),
	/// which opens the dispute.
	Audit,
	/// A panel member in a dispute's commit phase: `commit_verdict`.
	Commit,
	/// A seat that committed, in a dispute's reveal phase: `submit_verdict`
	/// with the digest behind its commitment.
	Reveal,
}

/// The verifiers of one job, bounded by [`MAX_VERIFIERS_PER_JOB`].
pub type VerifierSlots<AccountId> =
	BoundedVec<VerifierSlot<AccountId>, ConstU32<MAX_VERIFIERS_PER_JOB>>;

/// Where a job stands. One enum for the whole life of a job (DESIGN.md's
/// lifecycle); the jobs pallet moves it with one function, and the daemons
/// `match` on the same enum.
///
/// ```text
/// Open ──claim──► Assigned ──result──► Committed ──not sampled──► Settled
///  │ cancel/expire   │ deadline missed     │ sampled
///  ▼                 ▼                     ▼
/// Refunded      Open again / Refunded    Audit ──agree──► Settled
///                                          │ disagree
///                                          ▼
///                                        Dispute (commit, then reveal)
///                                                ──provider right──► Settled
///                                                ──provider wrong──► Slashed
///                                                ──no majority────► Refunded
/// ```
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub enum JobStatus<AccountId, Balance, BlockNumber> {
	/// Waiting for a provider until `expires_at`.
	Open {
		/// Refunded if nobody claims it by then.
		expires_at: BlockNumber,
	},
	/// A provider took it and must commit a result by `deadline`.
	Assigned {
		/// The provider.
		provider: AccountId,
		/// What it will be paid.
		price: Balance,
		/// Its stake locked for this job.
		collateral: Balance,
		/// Last block for its result.
		deadline: BlockNumber,
	},
	/// The provider committed a result; sampling decides whether it is audited.
	Committed {
		/// The provider.
		provider: AccountId,
		/// What it will be paid.
		price: Balance,
		/// Its stake locked for this job.
		collateral: Balance,
		/// [`digest_commitment`] of its output digest.
		commitment: Digest,
		/// Where the client fetches the output.
		output_uri: Uri,
		/// The block of the commitment.
		committed_at: BlockNumber,
		/// Audit probability, parts per million.
		audit_probability_ppm: u32,
	},
	/// A verifier re-executes the job and must answer by `deadline`.
	Audit {
		/// The provider.
		provider: AccountId,
		/// What it will be paid.
		price: Balance,
		/// Its stake locked for this job.
		collateral: Balance,
		/// [`digest_commitment`] of its output digest.
		commitment: Digest,
		/// Where the client fetches the output.
		output_uri: Uri,
		/// The auditor(s): one, plus replacements of absent ones.
		verifiers: VerifierSlots<AccountId>,
		/// Last block for the verdict.
		deadline: BlockNumber,
		/// Randomness fixed by the draw, before any auditor could act: the
		/// replacements of absent auditors and the dispute panel are drawn
		/// from it, so an auditor cannot choose its panel by choosing when
		/// to answer.
		seed: Digest,
	},
	/// The auditor disagreed; a panel of verifiers re-executes and the
	/// majority digest decides.
	Dispute {
		/// The provider.
		provider: AccountId,
		/// What it will be paid if it was right.
		price: Balance,
		/// Its stake locked for this job.
		collateral: Balance,
		/// [`digest_commitment`] of its output digest.
		commitment: Digest,
		/// Where the client fetches the output.
		output_uri: Uri,
		/// The auditor first, then the panel.
		verifiers: VerifierSlots<AccountId>,
		/// Last block of the current phase.
		deadline: BlockNumber,
		/// `false` while the seats commit their verdicts, `true` once every
		/// seat has committed or the commit window has passed and the seats
		/// reveal the digests behind their commitments.
		revealing: bool,
	},
	/// Final: the provider was paid (`at` is the block). The commitment and
	/// the output's URI stay, so the client can fetch the output and check it
	/// against the commitment after settlement.
	Settled {
		/// The provider paid.
		provider: AccountId,
		/// [`digest_commitment`] of the output digest the provider was paid for.
		commitment: Digest,
		/// Where the client fetches the output.
		output_uri: Uri,
		/// The verifiers whose verdicts backed the payment (none for an
		/// unaudited result). Each re-executed the job and left its own copy
		/// of the output in the client's store before answering, so the
		/// client can read the output even if the provider withholds it.
		auditors: BoundedVec<AccountId, ConstU32<MAX_VERIFIERS_PER_JOB>>,
		/// The block of settlement.
		at: BlockNumber,
	},
	/// Final: the client got its budget back without a result.
	Refunded {
		/// The block of the refund.
		at: BlockNumber,
	},
	/// Final: the provider's result was proven wrong; it was slashed and the
	/// client made whole.
	Slashed {
		/// The provider slashed.
		provider: AccountId,
		/// The block of the slash.
		at: BlockNumber,
	},
}

/// The most the verifiers of one job can be paid: the auditor plus a full
/// dispute panel of `dispute_verifiers`, each `verifier_fee`. The jobs pallet
/// reserves this much of the budget when a provider claims; a worker checks
/// it before claiming and the CLI adds it to a default budget.
pub fn max_verifier_fees<B>(verifier_fee: B, dispute_verifiers: u32) -> B
where
	B: sp_arithmetic::traits::Saturating + From<u32>,
{
	verifier_fee.saturating_mul(B::from(dispute_verifiers.saturating_add(1)))
}

/// The slot of the auditor currently asked for a verdict in an `Audit`: the
/// last one. Earlier slots hold auditors that were absent and replaced, who
/// may no longer answer. `None` for empty slots.
pub fn current_auditor_slot<AccountId>(verifiers: &[VerifierSlot<AccountId>]) -> Option<usize> {
	verifiers.len().checked_sub(1)
}

impl<AccountId, Balance, BlockNumber> JobStatus<AccountId, Balance, BlockNumber> {
	/// Whether the job is over (no hold remains).
	pub fn is_final(&self) -> bool {
		matches!(
			self,
			JobStatus::Settled { .. } | JobStatus::Refunded { .. } | JobStatus::Slashed { .. }
		)
	}

	/// The provider working on or paid for the job, if any.
	pub fn provider(&self) -> Option<&AccountId> {
		match self {
			JobStatus::Open { .. } | JobStatus::Refunded { .. } => None,
			JobStatus::Assigned { provider, .. }
			| JobStatus::Committed { provider, .. }
			| JobStatus::Audit { provider, .. }
			| JobStatus::Dispute { provider, .. }
			| JobStatus::Settled { provider, .. }
			| JobStatus::Slashed { provider, .. } => Some(provider),
		}
	}
	/// Whether `who` works on this live job: its provider, or a verifier
	/// assigned to it (an auditor or a dispute panel member). The parties
	/// that may read a private program or input of the job's client.
	pub fn is_live_party(&self, who: &AccountId) -> bool
	where
		AccountId: PartialEq,
	{
		let verifier = match self {
			JobStatus::Audit { verifiers, .. } | JobStatus::Dispute { verifiers, .. } => {
				verifiers.iter().any(|slot| slot.verifier == *who)
			},
			_ => false,
		};
		!self.is_final() && (verifier || self.provider() == Some(who))
	}

	/// What this job waits for from `who`, if anything: see [`VerdictDue`].
	/// The current auditor of an `Audit` ([`current_auditor_slot`]) that has
	/// not answered; a dispute seat without a commitment in the commit phase;
	/// a seat with a commitment and no digest in the reveal phase.
	pub fn verdict_due(&self, who: &AccountId) -> Option<VerdictDue>
	where
		AccountId: PartialEq,
	{
		match self {
			JobStatus::Audit { verifiers, .. } => current_auditor_slot(verifiers)
				.and_then(|index| verifiers.get(index))
				.filter(|slot| {
					slot.verifier == *who && slot.digest.is_none() && slot.commitment.is_none()
				})
				.map(|_| VerdictDue::Audit),
			JobStatus::Dispute { verifiers, revealing, .. } => {
				let slot = verifiers.iter().find(|slot| slot.verifier == *who)?;
				match (revealing, slot.commitment, slot.digest) {
					(false, None, None) => Some(VerdictDue::Commit),
					(true, Some(_), None) => Some(VerdictDue::Reveal),
					_ => None,
				}
			},
			_ => None,
		}
	}

	/// Whether `who` owes this job a verdict now ([`Self::verdict_due`]).
	pub fn awaits_verdict_from(&self, who: &AccountId) -> bool
	where
		AccountId: PartialEq,
	{
		self.verdict_due(who).is_some()
	}

	/// A short lower-case name of the state, for logs and the CLI.
	pub fn name(&self) -> &'static str {
		match self {
			JobStatus::Open { .. } => "open",
			JobStatus::Assigned { .. } => "assigned",
			JobStatus::Committed { .. } => "committed",
			JobStatus::Audit { .. } => "audit",
			JobStatus::Dispute { .. } => "dispute",
			JobStatus::Settled { .. } => "settled",
			JobStatus::Refunded { .. } => "refunded",
			JobStatus::Slashed { .. } => "slashed",
		}
	}
}
