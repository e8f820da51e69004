//! Benchmarks of `pallet-jobs`: every call and the block hook, in their most
//! expensive path.

use super::*;
use crate::pallet::{Agenda, Jobs, Overflow, Params, Step, OVERFLOW_PER_BLOCK};
use frame_benchmarking::v2::*;
use frame_support::{pallet_prelude::*, traits::Hooks};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use hypha_primitives::{
	digest_commitment, JobSpec, JobStatus, Uri, VerifierSlot, WorkloadKind, MAX_URI_BYTES,
	MAX_VERIFIERS_PER_JOB,
};
use sp_runtime::{traits::Saturating, SaturatedConversion};

/// What the benchmarks need from the runtime around the pallet.
pub trait BenchmarkHelper<AccountId, Balance> {
	/// Makes `who` a registered provider for every job kind, with stake for
	/// many jobs and a price of 1 per compute unit.
	fn setup_provider(who: &AccountId);
	/// Makes `who` a registered verifier.
	fn setup_verifier(who: &AccountId);
	/// Gives `who` `amount` of free balance.
	fn fund(who: &AccountId, amount: Balance);
	/// How many verifiers the stake pallet admits (its `MaxVerifiers`).
	fn max_verifiers() -> u32;
}

fn long_uri() -> Uri {
	Uri::truncate_from(alloc::vec![b'u'; MAX_URI_BYTES as usize])
}

fn spec() -> JobSpec {
	JobSpec {
		kind: WorkloadKind::Inference,
		program_digest: [1; 32],
		program_uri: long_uri(),
		input_digest: [2; 32],
		input_uri: long_uri(),
		compute_units: 100,
		max_output_bytes: 1024,
		// The largest spec: an output key and a model.
		output_key: Some([3; 32]),
		model: Some([1; 32]),
	}
}

/// One HYPHA: far above the price of the benchmark job (100 units at 1 each).
fn budget<T: Config>() -> BalanceOf<T> {
	1_000_000_000_000u128.saturated_into()
}

/// Funds a client for one job; bounded, so that a benchmark with many clients
/// does not overflow the total issuance.
fn fund_client<T: Config>(client: &T::AccountId) {
	T::BenchmarkHelper::fund(client, budget::<T>().saturating_mul(10u32.into()));
}

fn submitted<T: Config>(seed: u32) -> (T::AccountId, hypha_primitives::JobId) {
	let client: T::AccountId = account("client", seed, 0);
	fund_client::<T>(&client);
	let window: BlockNumberFor<T> = 10u32.into();
	let job = Pallet::<T>::do_submit_job(client.clone(), spec(), budget::<T>(), window)
		.expect("benchmark job submits");
	(client, job)
}

/// Registers the verifier a job needs before it can be claimed.
fn a_verifier<T: Config>() {
	T::BenchmarkHelper::setup_verifier(&account("standby", 0, 0));
}

fn claimed<T: Config>(seed: u32) -> (T::AccountId, T::AccountId, hypha_primitives::JobId) {
	let (client, job) = submitted::<T>(seed);
	if seed == 0 {
		a_verifier::<T>();
	}
	let provider: T::AccountId = account("provider", seed, 0);
	T::BenchmarkHelper::setup_provider(&provider);
	Pallet::<T>::claim_job(RawOrigin::Signed(provider.clone()).into(), job)
		.expect("benchmark job claims");
	(client, provider, job)
}

fn committed<T: Config>(seed: u32) -> (T::AccountId, T::AccountId, hypha_primitives::JobId) {
	let (client, provider, job) = claimed::<T>(seed);
	let commitment = digest_commitment(job, &provider, &[9; 32]);
	Pallet::<T>::submit_result(
		RawOrigin::Signed(provider.clone()).into(),
		job,
		commitment,
		long_uri(),
	)
	.expect("benchmark result commits");
	(client, provider, job)
}

/// Writes committed `job` as a full dispute at the end of its reveal, due
/// `deadline`: five seats ("verifier" 0 to 4, registered by the caller) that
/// committed `[7; 32]` against the provider, the first four revealed, the
/// last absent. Benchmark set-up, not a move: drawing a full panel through
/// `transition` would need the sampling randomness to cooperate.
fn put_full_dispute<T: Config>(job: hypha_primitives::JobId, deadline: BlockNumberFor<T>) {
	let record = Jobs::<T>::get(job).expect("job exists");
	let JobStatus::Committed { provider, price, collateral, commitment, output_uri, .. } =
		record.status.clone()
	else {
		panic!("job is committed");
	};
	let mut verifiers = hypha_primitives::VerifierSlots::<T::AccountId>::default();
	for index in 0..MAX_VERIFIERS_PER_JOB {
		let verifier: T::AccountId = account("verifier", index, 0);
		let commitment = Some(digest_commitment(job, &verifier, &[7; 32]));
		let digest = (index + 1 < MAX_VERIFIERS_PER_JOB).then_some([7; 32]);
		verifiers.try_push(VerifierSlot { verifier, commitment, digest }).expect("fits");
	}
	let status = JobStatus::Dispute {
		provider,
		price,
		collateral,
		commitment,
		output_uri,
		verifiers,
		deadline,
		revealing: true,
	};
	Jobs::<T>::insert(job, Job { status, ..record });
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn submit_job() {
		let client: T::AccountId = account("client", 0, 0);
		fund_client::<T>(&client);
		let window: BlockNumberFor<T> = 10u32.into();
		#[extrinsic_call]
		_(RawOrigin::Signed(client), spec(), budget::<T>(), window);
		assert!(Jobs::<T>::contains_key(0));
	}

	#[benchmark]
	fn cancel_job() {
		let (client, job) = submitted::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(client), job);
		assert!(matches!(Jobs::<T>::get(job).map(|j| j.status), Some(JobStatus::Refunded { .. })));
	}

	#[benchmark]
	fn claim_job() {
		let (_, job) = submitted::<T>(0);
		let provider: T::AccountId = account("provider", 0, 0);
		T::BenchmarkHelper::setup_provider(&provider);
		a_verifier::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), job);
		assert!(matches!(Jobs::<T>::get(job).map(|j| j.status), Some(JobStatus::Assigned { .. })));
	}

	#[benchmark]
	fn submit_result() {
		let (_, provider, job) = claimed::<T>(0);
		let commitment = digest_commitment(job, &provider, &[9; 32]);
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), job, commitment, long_uri());
		assert!(matches!(Jobs::<T>::get(job).map(|j| j.status), Some(JobStatus::Committed { .. })));
	}

	/// A client reports an undelivered output: the job's status is
	/// rewritten and a second draw scheduled.
	#[benchmark]
	fn report_undelivered() {
		let (client, _, job) = committed::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(client), job);
		assert!(matches!(
			Jobs::<T>::get(job).map(|j| j.status),
			Some(JobStatus::Committed {
				audit_probability_ppm: hypha_primitives::sampling::PPM,
				..
			})
		));
	}

	/// The last reveal of a full dispute panel that outvotes the provider:
	/// it slashes the provider, pays every verifier and refunds the client.
	#[benchmark]
	fn submit_verdict() {
		let mut params = Params::<T>::get();
		params.dispute_verifiers = MAX_VERIFIERS_PER_JOB - 1;
		Params::<T>::put(params);
		let (_, _, job) = committed::<T>(0);
		for index in 0..MAX_VERIFIERS_PER_JOB {
			T::BenchmarkHelper::setup_verifier(&account("verifier", index, 0));
		}
		put_full_dispute::<T>(job, 1_000u32.into());
		let last: T::AccountId = account("verifier", MAX_VERIFIERS_PER_JOB - 1, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(last), job, [7; 32]);
		assert!(matches!(Jobs::<T>::get(job).map(|j| j.status), Some(JobStatus::Slashed { .. })));
	}

	/// An auditor's disagreement with a full verifier set registered: the
	/// panel is drawn from every verifier, and the dispute opens.
	#[benchmark]
	fn commit_verdict() {
		let mut params = Params::<T>::get();
		params.dispute_verifiers = MAX_VERIFIERS_PER_JOB - 1;
		Params::<T>::put(params);
		let (_, _, job) = committed::<T>(0);
		// With the standby verifier of `claimed`, the set is full.
		for index in 0..T::BenchmarkHelper::max_verifiers().saturating_sub(1) {
			T::BenchmarkHelper::setup_verifier(&account("verifier", index, 0));
		}
		let record = Jobs::<T>::get(job).expect("job exists");
		let JobStatus::Committed { provider, price, collateral, commitment, output_uri, .. } =
			record.status.clone()
		else {
			panic!("job is committed");
		};
		let auditor: T::AccountId = account("verifier", 0, 0);
		let mut verifiers = hypha_primitives::VerifierSlots::<T::AccountId>::default();
		verifiers.try_push(VerifierSlot::empty(auditor.clone())).expect("fits");
		// Benchmark set-up, not a move: the audit the draw would have opened.
		let audit = JobStatus::Audit {
			provider,
			price,
			collateral,
			commitment,
			output_uri,
			verifiers,
			deadline: 1_000u32.into(),
			seed: [5; 32],
		};
		Jobs::<T>::insert(job, Job { status: audit, ..record });
		let disagreement = digest_commitment(job, &auditor, &[7; 32]);
		#[extrinsic_call]
		_(RawOrigin::Signed(auditor), job, disagreement);
		assert!(matches!(Jobs::<T>::get(job).map(|j| j.status), Some(JobStatus::Dispute { .. })));
	}

	#[benchmark]
	fn set_params() {
		let params = Params::<T>::get();
		#[extrinsic_call]
		_(RawOrigin::Root, params);
	}

	/// `n` steps of the costliest kind that ends a job, in one block: each
	/// closes the reveal of a full dispute (five seats, four revealed
	/// against the provider, one absent), so it burns a no-show slash, pays
	/// four fees out of the slashed collateral, compensates the client and
	/// refunds the budget. The agenda holds up to `MaxAgendaPerBlock` of them,
	/// the overflow queue the rest.
	#[benchmark]
	fn on_initialize(n: Linear<0, { T::MaxAgendaPerBlock::get() + OVERFLOW_PER_BLOCK }>) {
		let mut params = Params::<T>::get();
		params.dispute_verifiers = MAX_VERIFIERS_PER_JOB - 1;
		Params::<T>::put(params);
		let now: BlockNumberFor<T> = 100u32.into();
		let mut agenda = BoundedVec::<_, T::MaxAgendaPerBlock>::default();
		let mut overflow = BoundedVec::<_, T::MaxOverflow>::default();
		for index in 0..MAX_VERIFIERS_PER_JOB {
			T::BenchmarkHelper::setup_verifier(&account("verifier", index, 0));
		}
		for seed in 0..n {
			let (_, _, job) = committed::<T>(seed);
			put_full_dispute::<T>(job, now.saturating_sub(1u32.into()));
			let step = (job, Step::DisputeDeadline);
			if agenda.try_push(step).is_err() {
				overflow.try_push((now, job, Step::DisputeDeadline)).expect("within MaxOverflow");
			}
		}
		Agenda::<T>::insert(now, agenda);
		Overflow::<T>::put(overflow);
		#[block]
		{
			Pallet::<T>::on_initialize(now);
		}
		for job in 0..u64::from(n) {
			assert!(matches!(
				Jobs::<T>::get(job).map(|j| j.status),
				Some(JobStatus::Slashed { .. })
			));
		}
	}

	/// `n` sampling steps in one block, each drawn for audit with a full
	/// verifier set to pick from (every verifier's bond read), seating the
	/// auditor and scheduling its deadline.
	#[benchmark]
	fn on_initialize_sample(n: Linear<0, { T::MaxAgendaPerBlock::get() + OVERFLOW_PER_BLOCK }>) {
		let mut params = Params::<T>::get();
		params.p_min_ppm = hypha_primitives::sampling::PPM;
		Params::<T>::put(params);
		let now: BlockNumberFor<T> = 100u32.into();
		let mut agenda = BoundedVec::<_, T::MaxAgendaPerBlock>::default();
		let mut overflow = BoundedVec::<_, T::MaxOverflow>::default();
		for seed in 0..n {
			let (_, _, job) = committed::<T>(seed);
			let step = (job, Step::Sample);
			if agenda.try_push(step).is_err() {
				overflow.try_push((now, job, Step::Sample)).expect("within MaxOverflow");
			}
		}
		// With the standby verifier of `claimed`, the set is full.
		for index in 0..T::BenchmarkHelper::max_verifiers().saturating_sub(1) {
			T::BenchmarkHelper::setup_verifier(&account("verifier", index, 0));
		}
		Agenda::<T>::insert(now, agenda);
		Overflow::<T>::put(overflow);
		#[block]
		{
			Pallet::<T>::on_initialize(now);
		}
		for job in 0..u64::from(n) {
			assert!(matches!(Jobs::<T>::get(job).map(|j| j.status), Some(JobStatus::Audit { .. })));
		}
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
