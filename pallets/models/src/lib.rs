//! # Models Pallet
//!
//! The model registry of the Hypha marketplace (runtime name `Models`):
//! which model versions exist, who owns them, where their files are, how each
//! version came to be, and how well it did, with every link that the chain
//! can check checked against the jobs the market settled.
//!
//! ## Overview
//!
//! A **model** is a name (`digits`, `tiny-lm`) with an owner, an
//! architecture and a license string. Its **versions** are labels
//! (`v1`, `2026-12-ft`) each naming the BLAKE2-256 digest of a model file,
//! where to fetch it (a URI) and its parent version. A version is one of:
//!
//! - **uploaded**: a file that came from outside the market (the first
//!   version, or a fine-tune done elsewhere). The chain records its digest
//!   and nothing more.
//! - **trained** by a job: the output of a settled `training` job. The chain
//!   checks, at [`Pallet::push_version`], that the job settled (its provider
//!   was paid, after any audit the draw asked for), that the job's committed
//!   output is this version's digest ([`PaidResult::output_is`]), that the
//!   job named the parent version as its model ([`JobSpec::model`], the
//!   starting weights), and that the caller paid for the job. The job's
//!   input digest (the data set) is recorded with the link. What the chain
//!   cannot see, that the job's program was really built from the parent's
//!   file, anyone re-checks by rebuilding the program from the parent's
//!   file (`hypha model verify`), which also re-runs the job.
//!
//! An **evaluation** of a version is a settled `score` or `inference` job
//! that named the version as its model: the chain checks the job, its
//! committed output digest and that the caller paid for it, and stores the
//! metric the caller read from that output (for the digits model, the
//! accuracy of the inference output on the test labels). The number is the
//! caller's reading of an audited output: anyone fetches the output by its
//! digest and reads it again. So "how performance improved" is a list of
//! audited jobs, not a text field.
//!
//! **Deprecation** marks a version as not to be used, with a reason: by its
//! owner, or by a referendum (`GovernanceOrigin`: the `market_params` track
//! or root), for example for a model trained on data it had no right to use.
//! A deprecation is permanent; one by governance overrides the owner's
//! reason and the owner cannot lift it. Nothing is ever deleted: a lineage
//! that others built on stays readable.
//!
//! ## Deposits
//!
//! Everything stored is paid for by a hold ([`HoldReason::Registry`]) on
//! whoever stored it: [`Config::ModelDeposit`] for a model,
//! [`Config::VersionDeposit`] for each version, [`Config::EvaluationDeposit`]
//! for each evaluation. Every item is bounded ([`MAX_NAME_BYTES`],
//! [`MAX_LABEL_BYTES`], [`MAX_TEXT_BYTES`], `MaxVersions` per model), so the
//! deposits bound the storage. A transfer gives the model to a new owner;
//! the deposits stay held from whoever paid them.
//!
//! ## Failure modes
//!
//! Every refusal is a named [`Error`], checked before anything is written or
//! held, so a refused call changes nothing but the fee.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod weights;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;

pub use hypha_primitives::registry::{
	is_identifier, MAX_LABEL_BYTES, MAX_NAME_BYTES, MAX_TEXT_BYTES,
};

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, InspectHold, Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use hypha_primitives::{Digest, JobId, Uri, WorkloadKind};
	use pallet_jobs::{JobResults, PaidResult};
	use sp_runtime::traits::Saturating;

	/// A balance of the pallet's currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// A model's name.
	pub type Name = BoundedVec<u8, ConstU32<MAX_NAME_BYTES>>;
	/// A version's label.
	pub type Label = BoundedVec<u8, ConstU32<MAX_LABEL_BYTES>>;
	/// A short text: an architecture, a license, a metric, a reason.
	pub type Text = BoundedVec<u8, ConstU32<MAX_TEXT_BYTES>>;

	/// A registered model.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
	)]
	pub struct ModelInfo<AccountId, BlockNumber> {
		/// Who may add versions, transfer and deprecate.
		pub owner: AccountId,
		/// What the model files are (`hypha-mlp`, `hypha-lm`, ...).
		pub architecture: Text,
		/// The license the owner gives it under (an SPDX expression or a URL).
		pub license: Text,
		/// The number of versions it has.
		pub versions: u32,
		/// The block of registration.
		pub registered_at: BlockNumber,
	}

	/// How a version came to be.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
	)]
	pub enum Provenance {
		/// A file from outside the market: only its digest is on record.
		Uploaded,
		/// The output of a settled training job, checked at registration:
		/// the job's committed output is the version's digest and its model
		/// (starting weights) the parent version's digest.
		Trained {
			/// The training job.
			job: JobId,
			/// The job's input: the data set it trained on.
			dataset: Digest,
			/// The job's program: the training plan with the parent's weights.
			program: Digest,
		},
	}

	/// Why a version must not be used.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
	)]
	pub struct Deprecation<BlockNumber> {
		/// Whether a referendum decided it (the owner cannot lift it).
		pub by_governance: bool,
		/// Why.
		pub reason: Text,
		/// The block it was deprecated in.
		pub at: BlockNumber,
	}

	/// One version of a model.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
	)]
	pub struct Version<AccountId, Balance, BlockNumber> {
		/// BLAKE2-256 of the model file.
		pub digest: Digest,
		/// Where the file is fetched.
		pub uri: Uri,
		/// The version it was made from.
		pub parent: Option<Label>,
		/// How it was made.
		pub provenance: Provenance,
		/// Who added it (and paid its deposit).
		pub added_by: AccountId,
		/// The deposit held from `added_by`.
		pub deposit: Balance,
		/// The block it was added in.
		pub added_at: BlockNumber,
		/// Set once the version must not be used.
		pub deprecated: Option<Deprecation<BlockNumber>>,
	}

	/// An audited measurement of a version.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
	)]
	pub struct Evaluation<AccountId, Balance, BlockNumber> {
		/// The job's kind (`score` or `inference`).
		pub kind: WorkloadKind,
		/// The job's input: the evaluation data set.
		pub dataset: Digest,
		/// The digest of the job's output the metric was read from.
		pub output: Digest,
		/// What was measured (`accuracy`, `perplexity`, ...).
		pub metric: Text,
		/// The value, in millionths (an accuracy of 93.5 % is 935 000).
		pub value_micro: i64,
		/// Who recorded it (and paid its deposit): the job's client.
		pub recorded_by: AccountId,
		/// The deposit held from `recorded_by`.
		pub deposit: Balance,
		/// The block it was recorded in.
		pub at: BlockNumber,
	}

	/// A model with the runtime's types.
	pub type ModelOf<T> = ModelInfo<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
	/// A version with the runtime's types.
	pub type VersionOf<T> =
		Version<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
	/// An evaluation with the runtime's types.
	pub type EvaluationOf<T> =
		Evaluation<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit of a model, a version or an evaluation.
		Registry,
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The token deposits are held in.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, which include this pallet's [`HoldReason`].
		type RuntimeHoldReason: From<HoldReason>;

		/// The settled jobs that training links and evaluations name.
		type Jobs: JobResults<Self::AccountId>;

		/// Who may deprecate any version: a referendum (or root).
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Held for each model.
		#[pallet::constant]
		type ModelDeposit: Get<BalanceOf<Self>>;

		/// Held for each version.
		#[pallet::constant]
		type VersionDeposit: Get<BalanceOf<Self>>;

		/// Held for each evaluation.
		#[pallet::constant]
		type EvaluationDeposit: Get<BalanceOf<Self>>;

		/// The most versions one model has.
		#[pallet::constant]
		type MaxVersions: Get<u32>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;
	}

	/// Every model, by name.
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Blake2_128Concat, Name, ModelOf<T>, OptionQuery>;

	/// Every version, by model name and label.
	#[pallet::storage]
	pub type Versions<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, Name, Blake2_128Concat, Label, VersionOf<T>>;

	/// The versions each digest is, by digest and model: a digest is a
	/// version of a model once, but of any number of models (anyone may
	/// register a copy of a public file under a name of their own; a copy
	/// must not keep its owner from registering it).
	#[pallet::storage]
	pub type VersionOfDigest<T: Config> =
		StorageDoubleMap<_, Identity, Digest, Blake2_128Concat, Name, Label, OptionQuery>;

	/// Evaluations, by model name, version label and the job measured.
	#[pallet::storage]
	pub type Evaluations<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Blake2_128Concat, Name>,
			NMapKey<Blake2_128Concat, Label>,
			NMapKey<Twox64Concat, JobId>,
		),
		EvaluationOf<T>,
		OptionQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `owner` registered `name` with its first version.
		ModelRegistered { name: Name, owner: T::AccountId, version: Label, digest: Digest },
		/// A version was added; `job` is the training job that made it, if
		/// it was trained on the market (the link was checked).
		VersionAdded {
			name: Name,
			version: Label,
			digest: Digest,
			parent: Option<Label>,
			job: Option<JobId>,
		},
		/// An audited evaluation of a version was recorded.
		EvaluationRecorded {
			name: Name,
			version: Label,
			job: JobId,
			metric: Text,
			value_micro: i64,
		},
		/// `name` has a new owner.
		ModelTransferred { name: Name, from: T::AccountId, to: T::AccountId },
		/// A version must not be used any more.
		VersionDeprecated { name: Name, version: Label, by_governance: bool, reason: Text },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A name is empty, too long, or has characters other than `a-z`,
		/// `0-9`, `-`, `_`, `.` (or does not start with a letter or digit).
		InvalidName,
		/// A version label breaks the same rules as a name.
		InvalidLabel,
		/// A URI is empty.
		EmptyUri,
		/// A model of this name exists.
		NameTaken,
		/// No model of this name.
		UnknownModel,
		/// The model has no such version.
		UnknownVersion,
		/// The model has a version of this label.
		VersionExists,
		/// This model has a version with this digest already (`VersionOfDigest`).
		DigestRegistered,
		/// The model has `MaxVersions` versions.
		TooManyVersions,
		/// The caller does not own the model.
		NotOwner,
		/// The caller cannot hold the deposit.
		InsufficientDeposit,
		/// A trained version names no parent (the version it started from).
		TrainedWithoutParent,
		/// The job does not exist, has not settled, or its result was not paid
		/// (refunded or slashed).
		JobNotSettled,
		/// A training link names a job that is not a training job, or an
		/// evaluation one that is neither `score` nor `inference`.
		WrongJobKind,
		/// The caller did not pay for the job.
		NotJobClient,
		/// The job's committed output is not this digest.
		OutputMismatch,
		/// The training job did not start from the parent version (its spec
		/// names another model, or none).
		NotTrainedFromParent,
		/// The evaluation job did not run this version (its spec names
		/// another model, or none).
		NotThisModel,
		/// This job is recorded as an evaluation of this version already.
		EvaluationExists,
		/// The version is deprecated by governance already.
		AlreadyDeprecated,
		/// The new owner is the owner.
		SameOwner,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers the model `name` with its first version, a file from
		/// outside the market (`digest` at `uri`); the caller owns it and
		/// [`Config::ModelDeposit`] plus [`Config::VersionDeposit`] are held.
		///
		/// Errors: `InvalidName`, `InvalidLabel`, `EmptyUri`, `NameTaken`,
		/// `DigestRegistered`, `InsufficientDeposit`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register())]
		pub fn register(
			origin: OriginFor<T>,
			name: Name,
			architecture: Text,
			license: Text,
			version: Label,
			digest: Digest,
			uri: Uri,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			ensure!(is_identifier(&name, MAX_NAME_BYTES), Error::<T>::InvalidName);
			ensure!(!Models::<T>::contains_key(&name), Error::<T>::NameTaken);
			Self::check_new_version(&name, &version, &digest, &uri)?;
			let deposit = T::ModelDeposit::get().saturating_add(T::VersionDeposit::get());
			Self::hold(&owner, deposit)?;
			let now = frame_system::Pallet::<T>::block_number();
			Models::<T>::insert(
				&name,
				ModelInfo {
					owner: owner.clone(),
					architecture,
					license,
					versions: 1,
					registered_at: now,
				},
			);
			Self::insert_version(&name, &version, digest, uri, None, Provenance::Uploaded, &owner);
			Self::deposit_event(Event::ModelRegistered { name, owner, version, digest });
			Ok(())
		}

		/// Adds `version` of `name` (the caller's model): `digest` at `uri`,
		/// made from `parent`. With `trained_by`, the version is the output
		/// of that settled training job, which the chain checks: the caller
		/// paid for the job, the job's committed output is `digest`, and the
		/// job's model is `parent`'s digest. Without it, the file came from
		/// outside the market. [`Config::VersionDeposit`] is held.
		///
		/// Errors: `UnknownModel`, `NotOwner`, `InvalidLabel`, `EmptyUri`,
		/// `VersionExists`, `DigestRegistered`, `TooManyVersions`,
		/// `UnknownVersion` (the parent), `TrainedWithoutParent`,
		/// `JobNotSettled`, `WrongJobKind`, `NotJobClient`, `OutputMismatch`,
		/// `NotTrainedFromParent`, `InsufficientDeposit`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::push_version())]
		pub fn push_version(
			origin: OriginFor<T>,
			name: Name,
			version: Label,
			parent: Option<Label>,
			digest: Digest,
			uri: Uri,
			trained_by: Option<JobId>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let model = Models::<T>::get(&name).ok_or(Error::<T>::UnknownModel)?;
			ensure!(model.owner == who, Error::<T>::NotOwner);
			Self::check_new_version(&name, &version, &digest, &uri)?;
			ensure!(model.versions < T::MaxVersions::get(), Error::<T>::TooManyVersions);
			let parent_digest = match &parent {
				Some(label) => {
					Some(Versions::<T>::get(&name, label).ok_or(Error::<T>::UnknownVersion)?.digest)
				},
				None => None,
			};
			let provenance = match trained_by {
				None => Provenance::Uploaded,
				Some(job) => {
					let parent_digest = parent_digest.ok_or(Error::<T>::TrainedWithoutParent)?;
					let result = Self::paid_result(job, &who, &digest)?;
					ensure!(result.spec.kind == WorkloadKind::Training, Error::<T>::WrongJobKind);
					ensure!(
						result.spec.model == Some(parent_digest),
						Error::<T>::NotTrainedFromParent
					);
					Provenance::Trained {
						job,
						dataset: result.spec.input_digest,
						program: result.spec.program_digest,
					}
				},
			};
			Self::hold(&who, T::VersionDeposit::get())?;
			Models::<T>::insert(&name, ModelInfo { versions: model.versions + 1, ..model });
			Self::insert_version(&name, &version, digest, uri, parent.clone(), provenance, &who);
			Self::deposit_event(Event::VersionAdded {
				name,
				version,
				digest,
				parent,
				job: trained_by,
			});
			Ok(())
		}

		/// Records an evaluation of `version` of `name`: the settled `score`
		/// or `inference` job `job`, which the caller paid for and which
		/// named this version as its model, produced `output` (checked
		/// against the job's commitment), from which the caller read
		/// `metric` = `value_micro` / 10^6. Anyone may evaluate any version;
		/// [`Config::EvaluationDeposit`] is held.
		///
		/// Errors: `UnknownVersion`, `EvaluationExists`, `JobNotSettled`,
		/// `NotJobClient`, `OutputMismatch`, `WrongJobKind`, `NotThisModel`,
		/// `InsufficientDeposit`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::record_evaluation())]
		pub fn record_evaluation(
			origin: OriginFor<T>,
			name: Name,
			version: Label,
			job: JobId,
			output: Digest,
			metric: Text,
			value_micro: i64,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let record = Versions::<T>::get(&name, &version).ok_or(Error::<T>::UnknownVersion)?;
			ensure!(
				!Evaluations::<T>::contains_key((&name, &version, job)),
				Error::<T>::EvaluationExists
			);
			let result = Self::paid_result(job, &who, &output)?;
			ensure!(
				matches!(result.spec.kind, WorkloadKind::Score | WorkloadKind::Inference),
				Error::<T>::WrongJobKind
			);
			ensure!(result.spec.model == Some(record.digest), Error::<T>::NotThisModel);
			let deposit = T::EvaluationDeposit::get();
			Self::hold(&who, deposit)?;
			Evaluations::<T>::insert(
				(&name, &version, job),
				Evaluation {
					kind: result.spec.kind,
					dataset: result.spec.input_digest,
					output,
					metric: metric.clone(),
					value_micro,
					recorded_by: who,
					deposit,
					at: frame_system::Pallet::<T>::block_number(),
				},
			);
			Self::deposit_event(Event::EvaluationRecorded {
				name,
				version,
				job,
				metric,
				value_micro,
			});
			Ok(())
		}

		/// Gives the model `name` to `to`. The deposits stay held from
		/// whoever paid them.
		///
		/// Errors: `UnknownModel`, `NotOwner`, `SameOwner`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::transfer())]
		pub fn transfer(origin: OriginFor<T>, name: Name, to: T::AccountId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut model = Models::<T>::get(&name).ok_or(Error::<T>::UnknownModel)?;
			ensure!(model.owner == who, Error::<T>::NotOwner);
			ensure!(to != who, Error::<T>::SameOwner);
			model.owner = to.clone();
			Models::<T>::insert(&name, model);
			Self::deposit_event(Event::ModelTransferred { name, from: who, to });
			Ok(())
		}

		/// Deprecates `version` of `name` for `reason`: by the model's owner,
		/// or by `GovernanceOrigin` (a referendum), whose deprecation the
		/// owner cannot lift or reword. Permanent.
		///
		/// Errors: `UnknownModel`, `UnknownVersion`, `NotOwner` (a signed
		/// caller that does not own the model), `AlreadyDeprecated` (by
		/// governance; or by the owner, for the owner).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::deprecate())]
		pub fn deprecate(
			origin: OriginFor<T>,
			name: Name,
			version: Label,
			reason: Text,
		) -> DispatchResult {
			let by_governance = match T::GovernanceOrigin::try_origin(origin) {
				Ok(_) => true,
				Err(origin) => {
					let who = ensure_signed(origin)?;
					let model = Models::<T>::get(&name).ok_or(Error::<T>::UnknownModel)?;
					ensure!(model.owner == who, Error::<T>::NotOwner);
					false
				},
			};
			Versions::<T>::try_mutate(&name, &version, |record| -> DispatchResult {
				let record = record.as_mut().ok_or(Error::<T>::UnknownVersion)?;
				let replaceable = match &record.deprecated {
					None => true,
					Some(earlier) => by_governance && !earlier.by_governance,
				};
				ensure!(replaceable, Error::<T>::AlreadyDeprecated);
				record.deprecated = Some(Deprecation {
					by_governance,
					reason: reason.clone(),
					at: frame_system::Pallet::<T>::block_number(),
				});
				Ok(())
			})?;
			Self::deposit_event(Event::VersionDeprecated { name, version, by_governance, reason });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The checks of a version to be added to `name`.
		fn check_new_version(
			name: &Name,
			version: &Label,
			digest: &Digest,
			uri: &Uri,
		) -> DispatchResult {
			ensure!(is_identifier(version, MAX_LABEL_BYTES), Error::<T>::InvalidLabel);
			ensure!(!uri.is_empty(), Error::<T>::EmptyUri);
			ensure!(!Versions::<T>::contains_key(name, version), Error::<T>::VersionExists);
			ensure!(
				!VersionOfDigest::<T>::contains_key(digest, name),
				Error::<T>::DigestRegistered
			);
			Ok(())
		}

		/// The paid result of `job`, if `who` paid for it and its committed
		/// output is `output`.
		fn paid_result(
			job: JobId,
			who: &T::AccountId,
			output: &Digest,
		) -> Result<PaidResult<T::AccountId>, DispatchError> {
			let result = T::Jobs::paid_result(job).ok_or(Error::<T>::JobNotSettled)?;
			ensure!(result.client == *who, Error::<T>::NotJobClient);
			ensure!(result.output_is(job, output), Error::<T>::OutputMismatch);
			Ok(result)
		}

		fn reason() -> T::RuntimeHoldReason {
			HoldReason::Registry.into()
		}

		fn hold(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
			let reason = Self::reason();
			ensure!(T::Currency::can_hold(&reason, who, amount), Error::<T>::InsufficientDeposit);
			T::Currency::hold(&reason, who, amount)
		}

		/// Stores a new version of `name` (its deposit is held already).
		fn insert_version(
			name: &Name,
			label: &Label,
			digest: Digest,
			uri: Uri,
			parent: Option<Label>,
			provenance: Provenance,
			added_by: &T::AccountId,
		) {
			VersionOfDigest::<T>::insert(digest, name, label);
			let version = Version {
				digest,
				uri,
				parent,
				provenance,
				added_by: added_by.clone(),
				deposit: T::VersionDeposit::get(),
				added_at: frame_system::Pallet::<T>::block_number(),
				deprecated: None,
			};
			Versions::<T>::insert(name, label, version);
		}

		/// The total held from `who` by this pallet (tests and UIs).
		pub fn held(who: &T::AccountId) -> BalanceOf<T> {
			T::Currency::balance_on_hold(&Self::reason(), who)
		}
	}
}
