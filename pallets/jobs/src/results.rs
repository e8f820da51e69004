//! What other pallets (the `Models` registry) may read of a job: the result
//! a client paid for, with the spec it was computed from.

use hypha_primitives::{Digest, JobId, JobSpec, JobStatus};

use crate::pallet::{Config, Jobs};

/// A job that settled: its provider was paid for the output whose digest
/// `commitment` binds ([`hypha_primitives::digest_commitment`]`(job,
/// provider, digest)`), after the audit the draw asked for, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaidResult<AccountId> {
	/// Who submitted and paid for the job.
	pub client: AccountId,
	/// The provider paid.
	pub provider: AccountId,
	/// What was computed.
	pub spec: JobSpec,
	/// The commitment of the output digest the provider was paid for.
	pub commitment: Digest,
}

impl<AccountId: codec::Encode> PaidResult<AccountId> {
	/// Whether `digest` is the output this result was paid for.
	pub fn output_is(&self, job: JobId, digest: &Digest) -> bool {
		hypha_primitives::digest_commitment(job, &self.provider, digest) == self.commitment
	}
}

/// The jobs pallet as the `Models` registry sees it.
pub trait JobResults<AccountId> {
	/// The paid result of `job`, if the job exists and settled (not if it
	/// is still running, was refunded, or its provider was slashed).
	fn paid_result(job: JobId) -> Option<PaidResult<AccountId>>;

	/// Records a settled job (benchmarks only: a registry benchmark needs a
	/// paid result without running a whole lifecycle).
	#[cfg(feature = "runtime-benchmarks")]
	fn insert_paid_result(job: JobId, result: PaidResult<AccountId>);
}

impl<T: Config> JobResults<T::AccountId> for crate::Pallet<T> {
	fn paid_result(job: JobId) -> Option<PaidResult<T::AccountId>> {
		let record = Jobs::<T>::get(job)?;
		match record.status {
			JobStatus::Settled { provider, commitment, .. } => {
				Some(PaidResult { client: record.client, provider, spec: record.spec, commitment })
			},
			_ => None,
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn insert_paid_result(job: JobId, result: PaidResult<T::AccountId>) {
		use sp_runtime::traits::Zero;
		let now = frame_system::Pallet::<T>::block_number();
		let params = crate::pallet::Params::<T>::get();
		let record = crate::pallet::Job {
			client: result.client,
			spec: result.spec,
			budget: Zero::zero(),
			result_window: params.min_result_window,
			missed_deadlines: 0,
			deposit: Zero::zero(),
			terms: crate::pallet::JobTerms {
				verifier_fee: Zero::zero(),
				dispute_verifiers: params.dispute_verifiers,
				verifier_slash: Zero::zero(),
				no_show_slash: Zero::zero(),
				verdict_window: params.min_result_window,
				challenge_window: params.min_result_window,
			},
			submitted_at: now,
			status: JobStatus::Settled {
				provider: result.provider,
				commitment: result.commitment,
				output_uri: Default::default(),
				auditors: Default::default(),
				at: now,
			},
		};
		Jobs::<T>::insert(job, record);
	}
}
