//! # Jobs Pallet
//!
//! Job escrow and lifecycle of the Hypha marketplace (runtime name `Jobs`).
//!
//! ## Overview
//!
//! A client submits a [`JobSpec`] with a budget; the budget is held
//! ([`HoldReason::JobEscrow`]). A registered provider claims the job, which
//! locks part of its stake as the job's collateral, runs it off chain and
//! commits a [`digest_commitment`] of the output digest. Randomness from the
//! blocks after the commitment decides whether the result is audited, with the
//! Proof-of-Sampling probability of [`hypha_primitives::sampling`]. An auditor,
//! picked with stake weight, re-executes and submits the digest it got;
//! agreement settles the job, disagreement opens a dispute before a panel of
//! further verifiers. A digest wins a dispute only with a strict majority of
//! its seats (the auditor and the full panel the parameters ask for, whether
//! drawn, present or not): a lone auditor, or a tie, decides nothing, and the
//! job is refunded with nobody slashed and no fee paid (a fee in a tie would
//! pay the liar). Settlement pays the provider its
//! price and the verifiers their fee from the budget and releases the rest to
//! the client; a provider proven wrong loses its collateral, which pays the
//! honest verifiers and compensates the client, who also gets the whole budget
//! back.
//!
//! ## Design
//!
//! - **One state machine.** [`JobStatus`] (in `hypha-primitives`) lists every
//!   state. One function, `Pallet::transition` in `lifecycle.rs`, writes it:
//!   its doc comment is the transition table and its moves are the variants
//!   of one enum, `Move`. The extrinsics and the block hook only decide
//!   *which* move to make; `transition` checks that the job's status allows
//!   it, places or releases the holds and emits the events.
//! - **Bounded work per block.** Timed steps (expiry of open jobs, missed
//!   deadlines, sampling, settlement, audit and dispute deadlines) are entries
//!   of an [`Agenda`] keyed by block number, at most `MaxAgendaPerBlock` per
//!   block; `on_initialize` runs the entries of the current block. A step that
//!   finds its job in another state than it was scheduled for does nothing.
//! - **Commitments, not digests.** The provider never publishes its output
//!   digest: it commits `BLAKE2-256(job, provider, digest)`. A verifier
//!   submits the digest it computed, and the chain checks it against the
//!   commitment, so an auditor cannot agree by copying the provider's answer.
//!
//! ## Randomness
//!
//! Whether a result is audited, and who audits it, are drawn from the
//! [`Beacon`]: every block folds the VRF output of its parent block
//! ([`Config::BlockRandomness`], BABE's in the runtime) into it. The `Sample`
//! step of a result committed in block `c` runs in block `c + 1 + d` or later
//! (`d` is [`Config::DrawBlocks`], 3 in the runtime), so the beacon it reads
//! holds the VRF outputs of the `d` blocks after the commitment, mixed with
//! the job id.
//!
//! A VRF output is fixed by the author's key, the slot and the epoch
//! randomness: unlike a block hash, its author cannot grind it by reordering
//! extrinsics or changing the timestamp. The provider cannot know those
//! outputs when it commits, and other authors' outputs stay unknown to it even
//! when it authors blocks itself, so it cannot time its commitment either.
//! What bias remains: the author of the last of those blocks sees the outcome
//! before it publishes and may withhold its block (skipping its slot, giving
//! up the block's reward), which re-rolls the draw once with the next slot's
//! author. A provider that authors a share `f` of the blocks is audited with
//! probability at least `p·(1 − f) + p²·f` instead of `p`; with `safety` 1.5
//! the PoSP condition holds for `f` up to about a third. Withholding more
//! than one block in a row costs a block each and gains nothing more unless
//! the next slot is its own too. A block without a VRF output (genesis; a
//! node whose runtime has none, as in the pallet's mock) folds in its hash.
//!
//! ## Terms
//!
//! - *price*: the provider's price per compute unit times the job's compute units.
//! - *collateral*: `collateral_percent` of the price, locked from the provider's stake.
//! - *verifier fee*: what each verifier that answers is paid.
//! - *challenge window*: blocks from commitment to settlement of an unaudited job.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod lifecycle;
pub mod results;
pub use results::{JobResults, PaidResult};
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod simulation;
#[cfg(test)]
mod tests;

pub use weights::WeightInfo;

/// Where the audit draw's randomness comes from: the VRF output that the
/// author of the parent block had to publish with it.
pub trait BlockRandomness {
	/// The parent block's VRF output; `None` if it has none (genesis, or a
	/// chain without VRF-based block production).
	fn parent_vrf_output() -> Option<[u8; 32]>;
}

#[frame_support::pallet]
pub mod pallet {
	use super::WeightInfo;
	use crate::lifecycle::Move;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use hypha_primitives::{Digest, JobId, JobSpec, JobStatus, Uri, MAX_VERIFIERS_PER_JOB};
	use pallet_reputation::ReputationInterface;
	use pallet_stake::StakeInterface;
	use sp_runtime::{
		traits::{CheckedAdd, Saturating, Zero},
		SaturatedConversion,
	};

	/// A balance of the pallet's currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// A job's status with the runtime's types.
	pub type StatusOf<T> =
		JobStatus<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	/// A job with the runtime's types.
	pub type JobOf<T> =
		Job<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	/// Parameters with the runtime's types.
	pub type ParamsOf<T> = JobParams<BalanceOf<T>, BlockNumberFor<T>>;

	/// A job: who pays, what for, and where it stands.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
	)]
	pub struct Job<AccountId, Balance, BlockNumber> {
		/// Who submitted and pays for it.
		pub client: AccountId,
		/// What is to be computed.
		pub spec: JobSpec,
		/// Held from the client until the job ends.
		pub budget: Balance,
		/// Blocks a provider has, from its claim, to commit a result.
		pub result_window: BlockNumber,
		/// How many providers claimed it and missed their deadline.
		pub missed_deadlines: u32,
		/// Held from the client with the budget and returned when the job
		/// ends, whatever the outcome: a job that sits on the agenda costs
		/// its client this much of locked capital ([`JobParams::job_deposit`]).
		pub deposit: Balance,
		/// The terms of the verification, fixed when a provider claims it
		/// (and at submission until then): a governance change while the job
		/// runs does not change what it pays or how it is audited.
		pub terms: JobTerms<Balance, BlockNumber>,
		/// Block of submission.
		pub submitted_at: BlockNumber,
		/// Where it stands.
		pub status: JobStatus<AccountId, Balance, BlockNumber>,
	}

	/// The part of [`JobParams`] a job keeps from its claim to its end.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
	)]
	pub struct JobTerms<Balance, BlockNumber> {
		/// Paid to each verifier whose verdict counts.
		pub verifier_fee: Balance,
		/// Panel size of a dispute.
		pub dispute_verifiers: u32,
		/// Slashed from a verifier on the losing side of a dispute.
		pub verifier_slash: Balance,
		/// Slashed (burned) from a verifier that does not answer in time.
		pub no_show_slash: Balance,
		/// Blocks a verifier has for each verdict, at least the job's result window.
		pub verdict_window: BlockNumber,
		/// Blocks from commitment to settlement when not audited.
		pub challenge_window: BlockNumber,
	}

	/// The marketplace parameters, set by governance.
	#[derive(
		Clone,
		Debug,
		PartialEq,
		Eq,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
		MaxEncodedLen,
		serde::Serialize,
		serde::Deserialize,
	)]
	#[serde(rename_all = "camelCase", deny_unknown_fields)]
	pub struct JobParams<Balance, BlockNumber> {
		/// PoSP safety factor, parts per thousand (1000 = 1.0; keep >= 1000).
		pub safety_permille: u32,
		/// Lowest audit probability, parts per million.
		pub p_min_ppm: u32,
		/// Collateral as a percentage of the price (200 = twice the price).
		pub collateral_percent: u32,
		/// Blocks an open job waits for a provider before it is refunded.
		pub open_timeout: BlockNumber,
		/// Shortest result window a client may ask for.
		pub min_result_window: BlockNumber,
		/// Longest result window a client may ask for.
		pub max_result_window: BlockNumber,
		/// Blocks from commitment to settlement when not audited (at least 2:
		/// sampling needs the hash of the block after the commitment).
		pub challenge_window: BlockNumber,
		/// Blocks a verifier has to submit its verdict.
		pub audit_window: BlockNumber,
		/// Paid to each verifier that answers.
		pub verifier_fee: Balance,
		/// Verifiers added to the auditor when it disagrees (at most 4).
		pub dispute_verifiers: u32,
		/// Lowest reputation score, parts per million, to claim a job.
		pub min_provider_score_ppm: u32,
		/// Share of the collateral slashed, in percent, when a provider misses its deadline.
		pub deadline_slash_percent: u32,
		/// Slashed from a verifier on the losing side of a dispute.
		pub verifier_slash: Balance,
		/// Slashed from a verifier that does not answer in time.
		pub no_show_slash: Balance,
		/// How many missed deadlines a job survives before it is refunded.
		pub max_missed_deadlines: u32,
		/// Held from a client per job, on top of its budget, until the job ends.
		pub job_deposit: Balance,
	}

	/// A timed step of a job, run by `on_initialize` at its block.
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
	pub enum Step {
		/// Refund an open job nobody claimed.
		Expire,
		/// Penalize a provider that did not commit by its deadline.
		Deadline,
		/// Draw whether a committed result is audited.
		Sample,
		/// Settle an unaudited result after the challenge window.
		Settle,
		/// Replace an auditor that did not answer.
		AuditDeadline,
		/// End a dispute's commit phase, or decide it with the verdicts revealed.
		DisputeDeadline,
	}

	/// Why funds are held by this pallet.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A client's budget, held from submission until its job ends.
		JobEscrow,
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The token: budgets are held from it, payments made in it.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// Provider offers, collateral and slashing.
		type Stake: StakeInterface<Self::AccountId, BalanceOf<Self>>;

		/// Track records: read to admit providers and set audit rates, written
		/// with every outcome.
		type Reputation: ReputationInterface<Self::AccountId>;

		/// Who may change [`Params`]: root today, a referendum track later.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The verifiers' unbonding period (the Stake pallet's parameter):
		/// [`Pallet::set_params`] refuses windows that would keep a verifier
		/// liable for longer ([`Pallet::verifier_liability`]), since an
		/// unbonded stake can be withdrawn before the slash lands.
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// Most timed steps scheduled for one block.
		#[pallet::constant]
		type MaxAgendaPerBlock: Get<u32>;

		/// Most timed steps waiting in the [`Overflow`] queue because the
		/// agenda had no room for them.
		#[pallet::constant]
		type MaxOverflow: Get<u32>;

		/// The VRF output of the parent block (BABE's in the runtime).
		type BlockRandomness: crate::BlockRandomness;

		/// Blocks after a commitment whose VRF outputs the audit draw waits
		/// for (at least 1). More blocks make it likelier that several
		/// authors took part, so that none knows the outcome in advance.
		#[pallet::constant]
		type DrawBlocks: Get<u32>;

		/// Weights of the calls and of the block hook.
		type WeightInfo: WeightInfo;

		/// Sets up providers, verifiers and funds for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: crate::benchmarking::BenchmarkHelper<Self::AccountId, BalanceOf<Self>>;
	}

	/// The id the next job gets.
	#[pallet::storage]
	pub type NextJobId<T> = StorageValue<_, JobId, ValueQuery>;

	/// Every job, final ones included (the history clients and UIs read).
	#[pallet::storage]
	pub type Jobs<T: Config> = StorageMap<_, Blake2_128Concat, JobId, JobOf<T>, OptionQuery>;

	/// Timed steps by the block they run in.
	#[pallet::storage]
	pub type Agenda<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<(JobId, Step), T::MaxAgendaPerBlock>,
		ValueQuery,
	>;

	/// Timed steps the agenda had no room for, in the order they were
	/// scheduled, with the block they were due: `on_initialize` runs up to
	/// [`OVERFLOW_PER_BLOCK`] of those due, after the block's agenda. A step
	/// never skips its work because the agenda was full: it runs late.
	#[pallet::storage]
	pub type Overflow<T: Config> =
		StorageValue<_, BoundedVec<(BlockNumberFor<T>, JobId, Step), T::MaxOverflow>, ValueQuery>;

	/// The most overflowed steps one block runs.
	pub const OVERFLOW_PER_BLOCK: u32 = 16;

	/// The randomness beacon: `BLAKE2-256(beacon, parent block, its VRF
	/// output)`, updated at the start of every block (see the crate docs).
	#[pallet::storage]
	pub type Beacon<T: Config> = StorageValue<_, [u8; 32], ValueQuery>;

	/// The marketplace parameters.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, ParamsOf<T>, ValueQuery, DefaultParams<T>>;

	/// The longest window a parameter may set, in blocks: a week of
	/// one-second blocks. Longer would let a job's holds sit for months.
	pub const MAX_WINDOW_BLOCKS: u32 = 7 * 24 * 3_600;

	/// The most missed deadlines a job may survive before it is refunded.
	pub const MAX_MISSED_DEADLINES: u32 = 16;

	/// How many blocks from its due block a step looks for room on the
	/// agenda before it waits in the [`Overflow`] queue.
	pub const AGENDA_SEARCH: u32 = 16;

	/// Defaults of [`Params`]: one-second blocks, so windows are in seconds.
	/// These are the pallet's own defaults, which a genesis without
	/// `params` gets. They differ from the runtime's genesis on purpose:
	/// `runtime/src/genesis_config_presets.rs` (and so `chain-spec/*.json`)
	/// sets `collateral_percent` to 3 000, so that a spotless provider is
	/// audited at 4.84 % (docs/PROTOCOL.md); the default here stays 2 500.
	pub struct DefaultParams<T>(core::marker::PhantomData<T>);
	impl<T: Config> Get<ParamsOf<T>> for DefaultParams<T> {
		fn get() -> ParamsOf<T> {
			JobParams {
				safety_permille: 1_500,
				p_min_ppm: 10_000,
				collateral_percent: 2_500,
				open_timeout: 600u32.into(),
				min_result_window: 5u32.into(),
				max_result_window: 3_600u32.into(),
				challenge_window: 5u32.into(),
				audit_window: 30u32.into(),
				verifier_fee: Zero::zero(),
				dispute_verifiers: 2,
				min_provider_score_ppm: 200_000,
				deadline_slash_percent: 10,
				verifier_slash: Zero::zero(),
				no_show_slash: Zero::zero(),
				max_missed_deadlines: 2,
				job_deposit: Zero::zero(),
			}
		}
	}

	/// Initial parameters.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// `None` keeps [`DefaultParams`].
		pub params: Option<ParamsOf<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(params) = &self.params {
				// A chain spec that breaks the rules is refused at genesis,
				// as `set_params` refuses it later.
				assert!(
					Pallet::<T>::params_are_valid(params),
					"the genesis Jobs parameters break the protocol's bounds (see params_are_valid)"
				);
				Params::<T>::put(params);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A client submitted a job and its budget is held.
		JobSubmitted { job: JobId, client: T::AccountId, budget: BalanceOf<T> },
		/// A provider claimed a job; its collateral is locked.
		JobClaimed {
			job: JobId,
			provider: T::AccountId,
			price: BalanceOf<T>,
			collateral: BalanceOf<T>,
			deadline: BlockNumberFor<T>,
		},
		/// A provider committed its result.
		ResultCommitted { job: JobId, provider: T::AccountId, commitment: Digest, output_uri: Uri },
		/// A provider missed its deadline: part of its collateral was burned
		/// and the job is open again (or refunded, see `JobRefunded`).
		DeadlineMissed { job: JobId, provider: T::AccountId, slashed: BalanceOf<T> },
		/// A job is open for providers again.
		JobReopened { job: JobId, expires_at: BlockNumberFor<T> },
		/// Sampling decided whether a committed result is audited.
		SamplingDrawn { job: JobId, audited: bool, probability_ppm: u32 },
		/// A verifier must re-execute a job and answer by `deadline`.
		AuditAssigned { job: JobId, verifier: T::AccountId, deadline: BlockNumberFor<T> },
		/// A verifier revealed its verdict: the digest it computed, which
		/// `agrees` with the provider's commitment or not.
		VerdictSubmitted { job: JobId, verifier: T::AccountId, agrees: bool },
		/// A verifier committed its verdict without revealing it. `auditor`:
		/// the commitment of the job's auditor, which by the protocol is a
		/// disagreement with the provider (an agreeing auditor reveals);
		/// otherwise a panel member's, which says nothing of its content.
		VerdictCommitted { job: JobId, verifier: T::AccountId, auditor: bool },
		/// Every seat of a dispute has committed, or the commit window has
		/// passed: the seats reveal the digests behind their commitments by
		/// `deadline`.
		RevealOpened { job: JobId, deadline: BlockNumberFor<T> },
		/// The client says the provider did not hand over the output: the
		/// result will be audited, and the auditor leaves its own copy of the
		/// output in the client's store before the provider is paid. The
		/// draw that picks the auditor happens in block `draw_at`.
		DeliveryReported { job: JobId, draw_at: BlockNumberFor<T> },
		/// A timed step found no room on the agenda and waits in the overflow queue.
		StepOverflowed { job: JobId, step: Step, due: BlockNumberFor<T> },
		/// A verifier did not answer in time: its `no_show_slash` was burned.
		VerifierAbsent { job: JobId, verifier: T::AccountId, slashed: BalanceOf<T> },
		/// The auditor disagreed: a panel re-executes the job.
		DisputeOpened {
			job: JobId,
			panel: alloc::vec::Vec<T::AccountId>,
			deadline: BlockNumberFor<T>,
		},
		/// A verifier ended on the losing side of a dispute and was slashed.
		VerifierSlashed { job: JobId, verifier: T::AccountId, slashed: BalanceOf<T> },
		/// The job ended with the provider paid.
		JobSettled {
			job: JobId,
			provider: T::AccountId,
			paid: BalanceOf<T>,
			verifier_fees: BalanceOf<T>,
			refunded: BalanceOf<T>,
		},
		/// The provider's result was proven wrong: its collateral was slashed
		/// and the client got its budget back.
		ProviderSlashed {
			job: JobId,
			provider: T::AccountId,
			slashed: BalanceOf<T>,
			refunded: BalanceOf<T>,
		},
		/// The job ended without a result: the client got back what was not paid out.
		JobRefunded { job: JobId, refunded: BalanceOf<T> },
		/// Governance changed the marketplace parameters.
		ParamsUpdated { params: ParamsOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No job has this id.
		JobNotFound,
		/// The call is only for the job's client.
		NotJobClient,
		/// The job is not open.
		JobNotOpen,
		/// The job is not assigned to the caller.
		NotAssignedProvider,
		/// The job does not wait for a result.
		JobNotAssigned,
		/// The job does not wait for a verdict from the caller.
		NotAssignedVerifier,
		/// The caller already gave its verdict.
		VerdictAlreadySubmitted,
		/// The spec failed validation: zero compute units.
		NoComputeUnits,
		/// The spec failed validation: output bound zero or too large.
		OutputBoundOutOfRange,
		/// The spec failed validation: an empty URI.
		EmptyUri,
		/// The result window is outside the governance bounds.
		ResultWindowOutOfRange,
		/// The budget is zero.
		ZeroBudget,
		/// The client cannot hold the budget.
		InsufficientBalance,
		/// The provider's price plus the verifier fees exceed the budget.
		PriceAboveBudget,
		/// The provider's reputation is below the minimum to claim jobs.
		ReputationTooLow,
		/// A provider cannot claim its own job.
		OwnJob,
		/// Too many timed steps are scheduled around that block; try later.
		AgendaFull,
		/// The parameters are inconsistent (a bound, a window below 2, ...).
		InvalidParams,
		/// An amount overflowed.
		Overflow,
		/// No verifier other than the client and the provider is registered:
		/// nobody could audit the job, so it cannot be claimed.
		NoVerifier,
		/// The verdict is not what the job waits for from the caller now:
		/// an auditor reveals an agreeing digest with `submit_verdict` and
		/// commits a disagreeing one with `commit_verdict`; a panel member
		/// commits in the commit phase and reveals in the reveal phase.
		WrongVerdictPhase,
		/// The revealed digest is not the one the caller committed.
		RevealDoesNotMatch,
		/// `submit_verdict` in an audit with a digest that does not back the
		/// provider: a disagreement is committed with `commit_verdict`, so
		/// that the dispute panel has nothing to copy.
		DisagreementMustBeCommitted,
		/// `report_undelivered` for a job without a committed result waiting
		/// for settlement (open, assigned, in audit or dispute, or ended).
		/// In an audit or dispute the verifiers leave their copies anyway.
		NotCommitted,
		/// `report_undelivered` for a result that an audit draw with
		/// certainty awaits already (reported before, or `p_min` of one).
		AuditPending,
		/// The spec failed validation: a `generate` or `score` job names a
		/// model other than its program (the program is the model file).
		ModelIsNotTheProgram,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::fold_beacon(now);
			let steps = Agenda::<T>::take(now);
			let mut count = steps.len() as u32;
			for (job, step) in steps {
				Self::run_step(job, step, now);
			}
			let late = Self::take_overflow(now);
			count = count.saturating_add(late.len() as u32);
			for (job, step) in late {
				Self::run_step(job, step, now);
			}
			// The costlier of the two worst cases per step: closing a full
			// dispute, or drawing from a full verifier set; and the beacon
			// (its read, the parent's hash and VRF output, one write).
			T::WeightInfo::on_initialize(count)
				.max(T::WeightInfo::on_initialize_sample(count))
				.saturating_add(T::DbWeight::get().reads_writes(3, 1))
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Submits a job and holds `budget` from the caller until it ends.
		///
		/// - `spec`: what to compute (validated: compute units, output bound, URIs).
		/// - `budget`: the most the client pays: the provider's price plus the
		///   verifier fees; the rest comes back.
		/// - `result_window`: blocks a provider has, from its claim, to commit.
		///
		/// Errors: `NoComputeUnits`, `OutputBoundOutOfRange`, `EmptyUri`,
		/// `ResultWindowOutOfRange`, `ZeroBudget`, `InsufficientBalance`, `AgendaFull`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::submit_job())]
		pub fn submit_job(
			origin: OriginFor<T>,
			spec: JobSpec,
			budget: BalanceOf<T>,
			result_window: BlockNumberFor<T>,
		) -> DispatchResult {
			let client = ensure_signed(origin)?;
			Self::do_submit_job(client, spec, budget, result_window).map(|_| ())
		}

		/// Cancels an open job and returns its budget. Only its client may.
		///
		/// Errors: `JobNotFound`, `NotJobClient`, `JobNotOpen`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::cancel_job())]
		pub fn cancel_job(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let record = Jobs::<T>::get(job).ok_or(Error::<T>::JobNotFound)?;
			ensure!(record.client == who, Error::<T>::NotJobClient);
			ensure!(matches!(record.status, JobStatus::Open { .. }), Error::<T>::JobNotOpen);
			Self::transition(job, Move::Cancel, frame_system::Pallet::<T>::block_number())
		}

		/// Claims an open job for the calling provider and locks its collateral.
		///
		/// The provider must be registered with the stake pallet for the job's
		/// kind, have a reputation of at least `min_provider_score_ppm`, free
		/// stake for the collateral, and a price that the budget covers along
		/// with the verifier fees; and some verifier other than the client and
		/// the provider must be registered, so that the job can be audited. One
		/// provider wins; the others get `JobNotOpen`. The job's [`JobTerms`]
		/// are fixed now.
		///
		/// Errors: `JobNotFound`, `JobNotOpen`, `OwnJob`, `ReputationTooLow`,
		/// `PriceAboveBudget`, `NoVerifier`, `Overflow`, `AgendaFull`, and the
		/// stake pallet's `NotProvider`, `KindNotOffered`, `InsufficientStake`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::claim_job())]
		pub fn claim_job(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			let record = Jobs::<T>::get(job).ok_or(Error::<T>::JobNotFound)?;
			ensure!(matches!(record.status, JobStatus::Open { .. }), Error::<T>::JobNotOpen);
			ensure!(record.client != provider, Error::<T>::OwnJob);
			let params = Params::<T>::get();
			ensure!(
				T::Reputation::score(&provider).deconstruct() >= params.min_provider_score_ppm,
				Error::<T>::ReputationTooLow
			);
			let offer = T::Stake::provider_offer(&provider, record.spec.kind)?;
			let price = offer
				.price_per_unit
				.checked_mul(&record.spec.compute_units.saturated_into())
				.ok_or(Error::<T>::Overflow)?;
			let cost =
				price.checked_add(&Self::max_verifier_fees(&params)).ok_or(Error::<T>::Overflow)?;
			ensure!(cost <= record.budget, Error::<T>::PriceAboveBudget);
			ensure!(
				T::Stake::has_verifier_besides(&provider, &record.client),
				Error::<T>::NoVerifier
			);
			let collateral = Self::collateral_for(price, &params);
			let terms = Self::terms(&params, record.result_window);
			let now = frame_system::Pallet::<T>::block_number();
			Self::transition(job, Move::Claim { provider, price, collateral, terms }, now)
		}

		/// Commits the result of an assigned job.
		///
		/// - `commitment`: `digest_commitment(job, provider, output_digest)`;
		///   the output digest itself stays off chain.
		/// - `output_uri`: where the client fetches the output.
		///
		/// Errors: `JobNotFound`, `JobNotAssigned`, `NotAssignedProvider`,
		/// `EmptyUri`, `AgendaFull`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::submit_result())]
		pub fn submit_result(
			origin: OriginFor<T>,
			job: JobId,
			commitment: Digest,
			output_uri: Uri,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let record = Jobs::<T>::get(job).ok_or(Error::<T>::JobNotFound)?;
			let JobStatus::Assigned { provider, .. } = &record.status else {
				return Err(Error::<T>::JobNotAssigned.into());
			};
			ensure!(*provider == who, Error::<T>::NotAssignedProvider);
			ensure!(!output_uri.is_empty(), Error::<T>::EmptyUri);
			let now = frame_system::Pallet::<T>::block_number();
			Self::transition(job, Move::Commit { commitment, output_uri }, now)
		}

		/// Reveals the output digest an assigned verifier computed: in an
		/// audit, the current auditor's digest that backs the provider's
		/// commitment (the job settles); in a dispute's reveal phase, the
		/// digest behind the caller's commitment (the last reveal decides).
		/// The provider never reveals its digest, so an auditor cannot copy
		/// it; an auditor that disagrees commits instead (`commit_verdict`),
		/// so the panel cannot copy the auditor.
		///
		/// Errors: `JobNotFound`, `NotAssignedVerifier`, `VerdictAlreadySubmitted`,
		/// `WrongVerdictPhase`, `DisagreementMustBeCommitted`, `RevealDoesNotMatch`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::submit_verdict())]
		pub fn submit_verdict(origin: OriginFor<T>, job: JobId, digest: Digest) -> DispatchResult {
			let verifier = ensure_signed(origin)?;
			Self::do_submit_verdict(job, verifier, digest)
		}

		/// Commits a verdict without revealing it: `commitment` is
		/// `digest_commitment(job, verifier, digest)`. In an audit, the
		/// current auditor's disagreement, which opens a dispute before a
		/// panel drawn from the job's seed (no panel to draw: the job is
		/// refunded, a lone auditor decides nothing); in a dispute's commit
		/// phase, a panel member's verdict (the last commitment opens the
		/// reveal phase).
		///
		/// Errors: `JobNotFound`, `NotAssignedVerifier`, `VerdictAlreadySubmitted`,
		/// `WrongVerdictPhase`, `AgendaFull`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::commit_verdict())]
		pub fn commit_verdict(
			origin: OriginFor<T>,
			job: JobId,
			commitment: Digest,
		) -> DispatchResult {
			let verifier = ensure_signed(origin)?;
			Self::do_commit_verdict(job, verifier, commitment)
		}

		/// Reports that the provider of a committed result did not hand the
		/// output over (its endpoint does not serve it, and it left no copy
		/// in the client's store). The job's client only, while the result
		/// waits for settlement (`Committed`). The result is then audited
		/// whatever the draw said, and not settled before: an auditor is
		/// drawn `DrawBlocks + 1` blocks later from the beacon,
		/// and every auditor leaves its own re-executed copy of the output
		/// (sealed to the client's key if the job names one) in the client's
		/// store before it answers, so the provider is paid only once the
		/// client can read the output. The chain cannot tell who is right
		/// about a delivery, so nobody is slashed for it: the client pays the
		/// auditor's fee from its budget, which also makes a false report
		/// cost the reporter, and an honest provider is paid as usual.
		///
		/// Errors: `JobNotFound`, `NotJobClient`, `NotCommitted`,
		/// `AuditPending`, `AgendaFull`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::report_undelivered())]
		pub fn report_undelivered(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let record = Jobs::<T>::get(job).ok_or(Error::<T>::JobNotFound)?;
			ensure!(record.client == who, Error::<T>::NotJobClient);
			let JobStatus::Committed { audit_probability_ppm, .. } = &record.status else {
				return Err(Error::<T>::NotCommitted.into());
			};
			// A result committed with probability one leaves `Committed` at
			// its draw: still `Committed`, that draw is yet to come.
			ensure!(
				*audit_probability_ppm < hypha_primitives::sampling::PPM,
				Error::<T>::AuditPending
			);
			let now = frame_system::Pallet::<T>::block_number();
			let draw_at = now.saturating_add(T::DrawBlocks::get().max(1).saturating_add(1).into());
			Self::transition(job, Move::ReportUndelivered { draw_at }, now)
		}

		/// Replaces the marketplace parameters. Governance origin only.
		///
		/// Errors: `InvalidParams` (a value out of its bounds, or windows
		/// under which a verifier stays liable for a job as long as the
		/// verifiers' unbonding period or longer), `BadOrigin`.
		#[pallet::call_index(5)]
		// The benchmark measures the cross-check's read too (the Stake pallet's `Params`).
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: ParamsOf<T>) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(Self::params_are_valid(&params), Error::<T>::InvalidParams);
			ensure!(
				Self::verifier_liability(&params) < T::UnbondingPeriod::get(),
				Error::<T>::InvalidParams
			);
			Params::<T>::put(&params);
			Self::deposit_event(Event::ParamsUpdated { params });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Submits a job; returns its id. Shared by the call and the benchmarks.
		pub fn do_submit_job(
			client: T::AccountId,
			spec: JobSpec,
			budget: BalanceOf<T>,
			result_window: BlockNumberFor<T>,
		) -> Result<JobId, DispatchError> {
			spec.validate().map_err(|e| match e {
				hypha_primitives::SpecError::NoComputeUnits => Error::<T>::NoComputeUnits,
				hypha_primitives::SpecError::OutputBoundOutOfRange => {
					Error::<T>::OutputBoundOutOfRange
				},
				hypha_primitives::SpecError::EmptyUri => Error::<T>::EmptyUri,
				hypha_primitives::SpecError::ModelIsNotTheProgram => {
					Error::<T>::ModelIsNotTheProgram
				},
			})?;
			let params = Params::<T>::get();
			ensure!(
				result_window >= params.min_result_window
					&& result_window <= params.max_result_window,
				Error::<T>::ResultWindowOutOfRange
			);
			ensure!(!budget.is_zero(), Error::<T>::ZeroBudget);
			let job = NextJobId::<T>::get();
			let next = job.checked_add(1).ok_or(Error::<T>::Overflow)?;
			let now = frame_system::Pallet::<T>::block_number();
			let expires_at = now.saturating_add(params.open_timeout);
			Self::schedule(job, Step::Expire, expires_at)?;
			let deposit = params.job_deposit;
			let held = budget.checked_add(&deposit).ok_or(Error::<T>::Overflow)?;
			T::Currency::hold(&HoldReason::JobEscrow.into(), &client, held)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			NextJobId::<T>::put(next);
			Jobs::<T>::insert(
				job,
				Job {
					client: client.clone(),
					spec,
					budget,
					result_window,
					missed_deadlines: 0,
					deposit,
					terms: Self::terms(&params, result_window),
					submitted_at: now,
					status: JobStatus::Open { expires_at },
				},
			);
			Self::deposit_event(Event::JobSubmitted { job, client, budget });
			Ok(job)
		}

		/// The most a job can pay out in verifier fees: the auditor and a full
		/// panel ([`hypha_primitives::max_verifier_fees`], which the worker and
		/// the CLI use too).
		pub fn max_verifier_fees(params: &ParamsOf<T>) -> BalanceOf<T> {
			hypha_primitives::max_verifier_fees(params.verifier_fee, params.dispute_verifiers)
		}

		/// The terms `params` give a job with `result_window`. A verifier has
		/// at least as long for a verdict as the provider had for the result:
		/// the window grows with the work the client asked for, so a large
		/// job cannot exhaust its auditors by deadline.
		pub fn terms(
			params: &ParamsOf<T>,
			result_window: BlockNumberFor<T>,
		) -> JobTerms<BalanceOf<T>, BlockNumberFor<T>> {
			JobTerms {
				verifier_fee: params.verifier_fee,
				dispute_verifiers: params.dispute_verifiers,
				verifier_slash: params.verifier_slash,
				no_show_slash: params.no_show_slash,
				verdict_window: params.audit_window.max(result_window),
				challenge_window: params.challenge_window,
			}
		}

		/// The collateral a provider locks for a job of `price`.
		pub fn collateral_for(price: BalanceOf<T>, params: &ParamsOf<T>) -> BalanceOf<T> {
			let hundred: BalanceOf<T> = 100u32.into();
			(price / hundred).saturating_mul(params.collateral_percent.into()).saturating_add(
				(price % hundred).saturating_mul(params.collateral_percent.into()) / hundred,
			)
		}

		/// The blocks a verifier stays liable for a job under `params`: up to
		/// three verdict windows (the audit, a dispute's commit phase and its
		/// reveal), each `max(audit_window, max_result_window)` long, plus
		/// the block each step runs in and up to [`AGENDA_SEARCH`] blocks of
		/// agenda search. A verifier's unbonding stake stays slashable only
		/// until it is withdrawn, so the unbonding period must be longer
		/// (checked by both pallets' `set_params`; a step delayed in the
		/// overflow queue can run later still, see docs/PROTOCOL.md).
		pub fn verifier_liability(params: &ParamsOf<T>) -> BlockNumberFor<T> {
			let window = params.audit_window.max(params.max_result_window);
			let slack: BlockNumberFor<T> = (1 + AGENDA_SEARCH).into();
			window.saturating_add(slack).saturating_mul(3u32.into())
		}

		/// Whether `params` keep the protocol's rules (checked by `set_params`
		/// and at genesis):
		///
		/// - `safety_permille` in 1000..=100_000: below 1.0 the Proof-of-Sampling
		///   condition `p * (price + collateral) >= price` fails by design;
		/// - `p_min_ppm` at least 1 and at most 1_000_000: a floor of 0 lets
		///   the audit probability reach 0;
		/// - `collateral_percent` in 1..=10_000: without collateral a caught
		///   cheat loses nothing;
		/// - every window at least its minimum (`challenge_window` 2, the
		///   others 1) and at most [`MAX_WINDOW_BLOCKS`], so no hold is stuck
		///   for ever; `min_result_window <= max_result_window`;
		/// - `dispute_verifiers` in 1..MAX_VERIFIERS_PER_JOB, the scores in
		///   parts per million, `deadline_slash_percent <= 100`,
		///   `max_missed_deadlines <= MAX_MISSED_DEADLINES`.
		pub fn params_are_valid(params: &ParamsOf<T>) -> bool {
			let two: BlockNumberFor<T> = 2u32.into();
			let longest: BlockNumberFor<T> = MAX_WINDOW_BLOCKS.into();
			let window_ok = |window: BlockNumberFor<T>, least: BlockNumberFor<T>| {
				window >= least && window <= longest
			};
			let one: BlockNumberFor<T> = 1u32.into();
			(1_000..=100_000).contains(&params.safety_permille)
				&& (1..=hypha_primitives::sampling::PPM).contains(&params.p_min_ppm)
				&& (1..=10_000).contains(&params.collateral_percent)
				&& params.min_provider_score_ppm <= hypha_primitives::sampling::PPM
				&& params.deadline_slash_percent <= 100
				&& params.dispute_verifiers >= 1
				&& params.dispute_verifiers < MAX_VERIFIERS_PER_JOB
				&& params.max_missed_deadlines <= MAX_MISSED_DEADLINES
				&& window_ok(params.min_result_window, one)
				&& window_ok(params.max_result_window, one)
				&& params.min_result_window <= params.max_result_window
				&& window_ok(params.challenge_window, two)
				&& window_ok(params.audit_window, one)
				&& window_ok(params.open_timeout, one)
		}

		/// Schedules the step of an extrinsic (`submit_job`, `claim_job`,
		/// `submit_result`, `commit_verdict`): at block `at`, or the first of
		/// the next [`AGENDA_SEARCH`] blocks with room, or else in the
		/// [`Overflow`] queue while it is less than half full. The other half
		/// is kept for the timed steps, so that a step of a job already under
		/// way always finds room. `AgendaFull` otherwise: the caller can try
		/// again later, and nothing else changes.
		pub(crate) fn schedule(job: JobId, step: Step, at: BlockNumberFor<T>) -> DispatchResult {
			Self::schedule_within(job, step, at, T::MaxOverflow::get() / 2)
		}

		/// Schedules a timed step's follow-up like [`Self::schedule`], with
		/// the whole [`Overflow`] queue to fall back on.
		pub(crate) fn schedule_timed(
			job: JobId,
			step: Step,
			at: BlockNumberFor<T>,
		) -> DispatchResult {
			Self::schedule_within(job, step, at, T::MaxOverflow::get())
		}

		fn schedule_within(
			job: JobId,
			step: Step,
			at: BlockNumberFor<T>,
			overflow_room: u32,
		) -> DispatchResult {
			let mut block = at;
			for _ in 0..AGENDA_SEARCH {
				if Agenda::<T>::try_mutate(block, |agenda| agenda.try_push((job, step))).is_ok() {
					return Ok(());
				}
				block = block.saturating_add(1u32.into());
			}
			Overflow::<T>::try_mutate(|queue| {
				if queue.len() as u32 >= overflow_room {
					return Err(Error::<T>::AgendaFull);
				}
				queue.try_push((at, job, step)).map_err(|_| Error::<T>::AgendaFull)
			})?;
			Self::deposit_event(Event::StepOverflowed { job, step, due: at });
			Ok(())
		}

		/// Takes up to [`OVERFLOW_PER_BLOCK`] overflowed steps due by `now`,
		/// oldest first.
		fn take_overflow(now: BlockNumberFor<T>) -> alloc::vec::Vec<(JobId, Step)> {
			let mut queue = Overflow::<T>::get();
			if queue.is_empty() {
				return alloc::vec::Vec::new();
			}
			let mut taken = alloc::vec::Vec::new();
			queue.retain(|(due, job, step)| {
				if *due <= now && (taken.len() as u32) < OVERFLOW_PER_BLOCK {
					taken.push((*job, *step));
					false
				} else {
					true
				}
			});
			// A queue of steps none of which is due yet is left as it is.
			if !taken.is_empty() {
				Overflow::<T>::put(queue);
			}
			taken
		}
	}
}
