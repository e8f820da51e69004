//! The explorer's index: what the finalized blocks said about jobs,
//! accounts and the market, kept in memory and rebuilt from the chain on
//! every start (so a restarted explorer shows what the chain says, never a
//! stale file).
//!
//! The index knows nothing of subxt: the follower ([`super::follow`])
//! decodes each block's events into [`Event`]s and hands them to
//! [`Index::apply`] in block order, which makes the bookkeeping a pure
//! function that the unit tests below drive directly.

use std::collections::BTreeMap;

use hypha_client::AccountId;
use hypha_primitives::{Digest, JobId};

/// A point in time on the chain: a finalized block and its timestamp.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamp {
	/// The block number.
	pub block: u32,
	/// `pallet_timestamp`'s time of the block, in milliseconds since 1970.
	pub millis: u64,
}

/// A staking role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
	/// A provider: claims and computes jobs.
	Provider,
	/// A verifier: re-executes sampled results.
	Verifier,
}

/// What a job asked for, read from the chain at the block that included it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecSummary {
	/// The workload kind, as the chain names it (`Training`, `Inference`, ...).
	pub kind: String,
	/// The compute units the job pays for.
	pub compute_units: u64,
	/// The program's digest and URI.
	pub program: (Digest, String),
	/// The input's digest and URI.
	pub input: (Digest, String),
	/// The bound on the output's size.
	pub max_output_bytes: u32,
	/// Whether the output is sealed to a key of the client's.
	pub sealed: bool,
	/// Blocks the provider has from its claim to its result.
	pub result_window: u32,
}

/// One chain event the explorer keeps, decoded by the follower.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
	/// `Jobs::JobSubmitted`, with the job's spec when it could be read.
	Submitted { job: JobId, client: AccountId, budget: u128, spec: Option<SpecSummary> },
	/// `Jobs::JobClaimed`.
	Claimed { job: JobId, provider: AccountId, price: u128, collateral: u128, deadline: u32 },
	/// `Jobs::ResultCommitted`.
	Committed { job: JobId, provider: AccountId, commitment: Digest, output_uri: String },
	/// `Jobs::DeadlineMissed`.
	DeadlineMissed { job: JobId, provider: AccountId, slashed: u128 },
	/// `Jobs::JobReopened`.
	Reopened { job: JobId, expires_at: u32 },
	/// `Jobs::SamplingDrawn`.
	Sampled { job: JobId, audited: bool, probability_ppm: u32 },
	/// `Jobs::AuditAssigned`.
	AuditAssigned { job: JobId, verifier: AccountId, deadline: u32 },
	/// `Jobs::VerdictSubmitted`: a revealed verdict.
	Verdict { job: JobId, verifier: AccountId, agrees: bool },
	/// `Jobs::VerdictCommitted`: a hidden one.
	VerdictCommitted { job: JobId, verifier: AccountId, auditor: bool },
	/// `Jobs::RevealOpened`.
	RevealOpened { job: JobId, deadline: u32 },
	/// `Jobs::DeliveryReported`.
	DeliveryReported { job: JobId, draw_at: u32 },
	/// `Jobs::VerifierAbsent`.
	VerifierAbsent { job: JobId, verifier: AccountId, slashed: u128 },
	/// `Jobs::DisputeOpened`.
	DisputeOpened { job: JobId, panel: Vec<AccountId>, deadline: u32 },
	/// `Jobs::VerifierSlashed`.
	VerifierSlashed { job: JobId, verifier: AccountId, slashed: u128 },
	/// `Jobs::JobSettled`.
	Settled { job: JobId, provider: AccountId, paid: u128, verifier_fees: u128, refunded: u128 },
	/// `Jobs::ProviderSlashed`.
	ProviderSlashed { job: JobId, provider: AccountId, slashed: u128, refunded: u128 },
	/// `Jobs::JobRefunded`.
	Refunded { job: JobId, refunded: u128 },
	/// `Balances::TransferOnHold` out of a job's escrow: a payment from a
	/// client's budget. The jobs pallet makes these payments just before the
	/// event that ends the job, so the index books them to that job.
	EscrowPaid { from: AccountId, to: AccountId, amount: u128 },
	/// `Stake::ProviderRegistered` / `VerifierRegistered`.
	Registered { who: AccountId, role: Role, bond: u128 },
	/// `Stake::Bonded`.
	Bonded { who: AccountId, role: Role, amount: u128 },
	/// `Stake::Unbonded`.
	Unbonded { who: AccountId, role: Role, amount: u128 },
	/// `Stake::Deregistered` and `Stake::VerifierDisplaced`: the whole bond
	/// is unbonding.
	Deregistered { who: AccountId, role: Role },
	/// `Stake::StakeSlashed`: `to` the account the tokens went to (a
	/// verifier's reward, a client's compensation), `None` when burned.
	StakeSlashed { who: AccountId, role: Role, amount: u128, to: Option<AccountId> },
	/// `Reputation::OutcomeRecorded`: an account's new score.
	Reputation { who: AccountId, outcome: String, score_ppm: u32 },
	/// `Jobs::ParamsUpdated` or `Stake::ParamsSet`.
	ParamsChanged,
}

impl Event {
	/// The job an event is about, if any.
	pub fn job(&self) -> Option<JobId> {
		use Event::*;
		match self {
			Submitted { job, .. }
			| Claimed { job, .. }
			| Committed { job, .. }
			| DeadlineMissed { job, .. }
			| Reopened { job, .. }
			| Sampled { job, .. }
			| AuditAssigned { job, .. }
			| Verdict { job, .. }
			| VerdictCommitted { job, .. }
			| RevealOpened { job, .. }
			| DeliveryReported { job, .. }
			| VerifierAbsent { job, .. }
			| DisputeOpened { job, .. }
			| VerifierSlashed { job, .. }
			| Settled { job, .. }
			| ProviderSlashed { job, .. }
			| Refunded { job, .. } => Some(*job),
			_ => None,
		}
	}
}

/// Where a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum JobState {
	/// Waiting for a provider.
	Open,
	/// Claimed: a provider computes it.
	Claimed,
	/// A result is committed; sampling and the challenge window run.
	Committed,
	/// A verifier (or a panel) re-executes it.
	Audit,
	/// The provider was paid.
	Settled,
	/// The client got its budget back without a result.
	Refunded,
	/// The provider's result was proven wrong.
	Slashed,
}

impl JobState {
	/// The word the pages show.
	pub fn name(self) -> &'static str {
		match self {
			JobState::Open => "open",
			JobState::Claimed => "claimed",
			JobState::Committed => "committed",
			JobState::Audit => "in audit",
			JobState::Settled => "settled",
			JobState::Refunded => "refunded",
			JobState::Slashed => "slashed",
		}
	}

	/// Whether the job has ended.
	pub fn is_final(self) -> bool {
		matches!(self, JobState::Settled | JobState::Refunded | JobState::Slashed)
	}

	/// The states in the order the market page counts them.
	pub const ALL: [JobState; 7] = [
		JobState::Open,
		JobState::Claimed,
		JobState::Committed,
		JobState::Audit,
		JobState::Settled,
		JobState::Refunded,
		JobState::Slashed,
	];
}

/// Everything the index knows of one job.
#[derive(Clone, Debug)]
pub struct JobRecord {
	/// The job's id.
	pub id: JobId,
	/// Who submitted and pays.
	pub client: AccountId,
	/// The budget held in escrow at submission.
	pub budget: u128,
	/// What it asked for.
	pub spec: Option<SpecSummary>,
	/// Where it stands.
	pub state: JobState,
	/// The provider of the latest claim.
	pub provider: Option<AccountId>,
	/// The price of the latest claim.
	pub price: Option<u128>,
	/// Whether sampling chose it for an audit.
	pub audited: Option<bool>,
	/// Every event of the job, in order, with its block.
	pub steps: Vec<(Stamp, Event)>,
	/// Payments out of the escrow to each account: `(to, amount)`.
	pub escrow_paid: Vec<(AccountId, u128)>,
	/// Payments out of the provider's collateral (a caught cheat's): the
	/// winning verifiers' rewards and the client's compensation.
	pub collateral_paid: Vec<(AccountId, u128)>,
	/// The submission's block.
	pub submitted: Stamp,
	/// The block that ended it.
	pub ended: Option<Stamp>,
	/// Paid to the provider.
	pub paid: u128,
	/// Paid to verifiers.
	pub verifier_fees: u128,
	/// Returned to the client.
	pub refunded: u128,
	/// Taken from providers' collateral (the slash of a wrong result and the
	/// burns of missed deadlines).
	pub slashed: u128,
}

impl JobRecord {
	/// What the client paid in the end: the provider and the verifiers.
	pub fn cost(&self) -> u128 {
		self.paid.saturating_add(self.verifier_fees)
	}

	/// The price per compute unit of the latest claim, in the smallest unit.
	pub fn price_per_unit(&self) -> Option<f64> {
		let units = self.spec.as_ref()?.compute_units;
		let price = self.price?;
		(units > 0).then(|| price as f64 / units as f64)
	}

	/// Seconds from submission to the end, by block timestamps.
	pub fn seconds_to_end(&self) -> Option<f64> {
		let ended = self.ended?;
		Some(ended.millis.saturating_sub(self.submitted.millis) as f64 / 1000.0)
	}
}

/// An account as provider.
#[derive(Clone, Debug, Default)]
pub struct AsProvider {
	/// Its bond, as the stake events moved it.
	pub bond: u128,
	/// Whether it is registered (not deregistered since).
	pub registered: bool,
	/// The jobs it claimed.
	pub jobs: Vec<JobId>,
	/// Paid for settled jobs.
	pub earned: u128,
	/// Taken from its stake (slashes and missed-deadline burns).
	pub slashed: u128,
	/// Jobs it lost: results proven wrong and deadlines missed.
	pub lost: Vec<JobId>,
}

/// An account as verifier.
#[derive(Clone, Debug, Default)]
pub struct AsVerifier {
	/// Its bond, as the stake events moved it.
	pub bond: u128,
	/// Whether it is registered.
	pub registered: bool,
	/// The jobs it was asked to re-execute (audits and dispute panels).
	pub audits: Vec<JobId>,
	/// Revealed verdicts that agreed with the provider.
	pub agreed: u32,
	/// Verdicts that disagreed (revealed or committed as the auditor).
	pub disagreed: u32,
	/// Fees paid to it from clients' budgets.
	pub fees: u128,
	/// Taken from its stake.
	pub slashed: u128,
	/// Audits it did not answer in time.
	pub absent: u32,
}

/// An account as client.
#[derive(Clone, Debug, Default)]
pub struct AsClient {
	/// The jobs it submitted.
	pub jobs: Vec<JobId>,
	/// What its ended jobs cost it (provider and verifiers).
	pub spent: u128,
	/// What came back to it from its budgets.
	pub refunded: u128,
}

/// Everything the index knows of one account.
#[derive(Clone, Debug, Default)]
pub struct AccountRecord {
	/// Its reputation after each recorded outcome (of its jobs as provider
	/// and its audits as verifier): `(when, score in ppm, outcome)`.
	pub reputation: Vec<(Stamp, u32, String)>,
	/// As provider, if it ever was one.
	pub provider: Option<AsProvider>,
	/// As verifier, if it ever was one.
	pub verifier: Option<AsVerifier>,
	/// As client, if it ever submitted.
	pub client: Option<AsClient>,
}

/// What one minute of chain time saw (by block timestamps).
#[derive(Clone, Debug, Default)]
pub struct Minute {
	/// Jobs submitted.
	pub submitted: u32,
	/// Jobs settled.
	pub settled: u32,
	/// Jobs refunded or slashed.
	pub failed: u32,
	/// Results sampled for an audit.
	pub audited: u32,
	/// Prices per compute unit of the claims (smallest units).
	pub prices: Vec<f64>,
	/// Seconds from submission to settlement of the jobs that settled.
	pub to_settle: Vec<f64>,
}

/// The whole market, over the chain's history.
#[derive(Clone, Debug, Default)]
pub struct Totals {
	/// Results sampling decided on.
	pub sampled: u64,
	/// Of them, audited.
	pub audited: u64,
	/// Providers slashed for a wrong result: cheats caught.
	pub cheats_caught: u64,
	/// Verifiers slashed for the losing side of a dispute.
	pub verifiers_slashed: u64,
	/// Deadlines missed.
	pub deadlines_missed: u64,
	/// Paid to providers.
	pub paid: u128,
	/// Paid to verifiers.
	pub verifier_fees: u128,
}

/// The explorer's index.
#[derive(Clone, Debug, Default)]
pub struct Index {
	/// Every job, by id.
	pub jobs: BTreeMap<JobId, JobRecord>,
	/// Every account that took part, by account.
	pub accounts: BTreeMap<AccountId, AccountRecord>,
	/// The market by minute (the key: minutes since 1970).
	pub minutes: BTreeMap<u64, Minute>,
	/// The market's totals.
	pub totals: Totals,
	/// The last block applied.
	pub last: Option<Stamp>,
	/// The blocks in which the parameters changed.
	pub params_changed: Vec<Stamp>,
	/// Escrow payments seen in the block being applied, waiting for the
	/// event that ends their job.
	pending_escrow: Vec<(AccountId, u128)>,
	/// Provider stake slashed to an account in the block being applied,
	/// waiting for the `ProviderSlashed` that explains it.
	pending_collateral: Vec<(AccountId, u128)>,
}

/// The median of `values` (`None` when empty).
pub fn median(values: &[f64]) -> Option<f64> {
	if values.is_empty() {
		return None;
	}
	let mut sorted = values.to_vec();
	sorted.sort_by(|a, b| a.total_cmp(b));
	let mid = sorted.len() / 2;
	Some(if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 })
}

impl Index {
	/// Applies the events of the finalized block `at`, in their order.
	/// Blocks must come in order; a block at or below the last one applied
	/// is ignored (the follower may read a block twice after a reconnect).
	pub fn apply(&mut self, at: Stamp, events: Vec<Event>) {
		if self.last.is_some_and(|last| at.block <= last.block) {
			return;
		}
		for event in events {
			self.apply_one(at, event);
		}
		// Escrow payments the block did not book to a job ending in it (a
		// verifier fee paid at a verdict, say) are still its clients'
		// spending and its receivers' income.
		for (to, amount) in std::mem::take(&mut self.pending_escrow) {
			self.book_escrow(None, &to, amount);
		}
		// A provider's stake slashed to a verifier outside a caught cheat's
		// end is still that verifier's reward.
		for (to, amount) in std::mem::take(&mut self.pending_collateral) {
			if self.accounts.get(&to).is_some_and(|a| a.verifier.is_some()) {
				self.verifier(&to).fees += amount;
			}
		}
		self.last = Some(at);
	}

	/// The job `job`, if the index has seen it.
	pub fn job(&self, job: JobId) -> Option<&JobRecord> {
		self.jobs.get(&job)
	}

	/// How many jobs are in each state, in [`JobState::ALL`]'s order.
	pub fn counts(&self) -> [usize; 7] {
		let mut counts = [0; 7];
		for job in self.jobs.values() {
			if let Some(i) = JobState::ALL.iter().position(|s| *s == job.state) {
				counts[i] += 1;
			}
		}
		counts
	}

	/// The median price per compute unit over every claim (smallest units).
	pub fn median_price_per_unit(&self) -> Option<f64> {
		let prices: Vec<f64> = self.jobs.values().filter_map(JobRecord::price_per_unit).collect();
		median(&prices)
	}

	/// The median time from submission to settlement, in seconds.
	pub fn median_seconds_to_settle(&self) -> Option<f64> {
		let times: Vec<f64> = self
			.jobs
			.values()
			.filter(|job| job.state == JobState::Settled)
			.filter_map(JobRecord::seconds_to_end)
			.collect();
		median(&times)
	}

	fn account(&mut self, who: &AccountId) -> &mut AccountRecord {
		self.accounts.entry(*who).or_default()
	}

	fn provider(&mut self, who: &AccountId) -> &mut AsProvider {
		self.account(who).provider.get_or_insert_with(Default::default)
	}

	fn verifier(&mut self, who: &AccountId) -> &mut AsVerifier {
		self.account(who).verifier.get_or_insert_with(Default::default)
	}

	fn client(&mut self, who: &AccountId) -> &mut AsClient {
		self.account(who).client.get_or_insert_with(Default::default)
	}

	fn minute(&mut self, at: Stamp) -> &mut Minute {
		self.minutes.entry(at.millis / 60_000).or_default()
	}

	/// Books a payment out of an escrow to `to`, to `job` if known.
	fn book_escrow(&mut self, job: Option<JobId>, to: &AccountId, amount: u128) {
		let provider = job.and_then(|job| self.jobs.get(&job)?.provider);
		if let Some(record) = job.and_then(|job| self.jobs.get_mut(&job)) {
			record.escrow_paid.push((*to, amount));
		}
		// What a job's provider is paid is counted from `JobSettled`; any
		// other payment out of an escrow is a verifier's fee.
		if provider.as_ref() != Some(to) {
			self.verifier(to).fees += amount;
		}
	}

	fn apply_one(&mut self, at: Stamp, event: Event) {
		use Event::*;
		let job_id = event.job();
		// Every job event is a step of its job (the job must be known: a
		// job submitted before the explorer's first block has no record).
		if let Some(job) = job_id {
			if let Submitted { client, budget, spec, .. } = &event {
				self.jobs.insert(
					job,
					JobRecord {
						id: job,
						client: *client,
						budget: *budget,
						spec: spec.clone(),
						state: JobState::Open,
						provider: None,
						price: None,
						audited: None,
						steps: Vec::new(),
						escrow_paid: Vec::new(),
						collateral_paid: Vec::new(),
						submitted: at,
						ended: None,
						paid: 0,
						verifier_fees: 0,
						refunded: 0,
						slashed: 0,
					},
				);
				self.client(client).jobs.push(job);
				self.minute(at).submitted += 1;
			}
			if let Some(record) = self.jobs.get_mut(&job) {
				record.steps.push((at, event.clone()));
			}
		}
		match event {
			Submitted { .. } | ParamsChanged | Reopened { .. } => {
				if matches!(event, ParamsChanged) {
					self.params_changed.push(at);
				}
				if let Reopened { job, .. } = event {
					if let Some(record) = self.jobs.get_mut(&job) {
						record.state = JobState::Open;
					}
				}
			},
			Claimed { job, provider, price, .. } => {
				let mut price_per_unit = None;
				if let Some(record) = self.jobs.get_mut(&job) {
					record.state = JobState::Claimed;
					record.provider = Some(provider);
					record.price = Some(price);
					price_per_unit = record.price_per_unit();
				}
				let jobs = &mut self.provider(&provider).jobs;
				if !jobs.contains(&job) {
					jobs.push(job);
				}
				if let Some(price) = price_per_unit {
					self.minute(at).prices.push(price);
				}
			},
			Committed { job, .. } => self.set_state(job, JobState::Committed),
			DeadlineMissed { job, provider, slashed } => {
				self.totals.deadlines_missed += 1;
				if let Some(record) = self.jobs.get_mut(&job) {
					record.slashed += slashed;
				}
				self.provider(&provider).lost.push(job);
			},
			Sampled { job, audited, .. } => {
				// A result is counted once: a second draw (after a report
				// that the output was not delivered) can only turn a skipped
				// audit into an audit.
				let before = self.jobs.get(&job).and_then(|record| record.audited);
				if before.is_none() {
					self.totals.sampled += 1;
				}
				if audited && before != Some(true) {
					self.totals.audited += 1;
					self.minute(at).audited += 1;
				}
				if let Some(record) = self.jobs.get_mut(&job) {
					record.audited = Some(audited || before == Some(true));
				}
			},
			AuditAssigned { job, verifier, .. } => {
				self.set_state(job, JobState::Audit);
				self.verifier(&verifier).audits.push(job);
			},
			DisputeOpened { job, panel, .. } => {
				self.set_state(job, JobState::Audit);
				for member in panel {
					self.verifier(&member).audits.push(job);
				}
			},
			Verdict { verifier, agrees, .. } => {
				let record = self.verifier(&verifier);
				if agrees {
					record.agreed += 1;
				} else {
					record.disagreed += 1;
				}
			},
			// A committed verdict is counted when it is revealed (the
			// auditor's disagreement too: it reveals in the dispute).
			VerdictCommitted { .. } | RevealOpened { .. } | DeliveryReported { .. } => {},
			VerifierAbsent { verifier, .. } => self.verifier(&verifier).absent += 1,
			VerifierSlashed { .. } => self.totals.verifiers_slashed += 1,
			Settled { job, provider, paid, verifier_fees, refunded } => {
				self.end(at, job, JobState::Settled);
				if let Some(record) = self.jobs.get_mut(&job) {
					record.paid = paid;
					record.verifier_fees = verifier_fees;
					record.refunded = refunded;
				}
				self.book_client(job);
				self.totals.paid += paid;
				self.totals.verifier_fees += verifier_fees;
				self.provider(&provider).earned += paid;
				if let Some(seconds) = self.jobs.get(&job).and_then(JobRecord::seconds_to_end) {
					let minute = self.minute(at);
					minute.settled += 1;
					minute.to_settle.push(seconds);
				}
			},
			ProviderSlashed { job, provider, slashed, refunded } => {
				self.end(at, job, JobState::Slashed);
				// The collateral went to the winning verifiers (their
				// reward) and the rest to the client (its compensation).
				let client = self.jobs.get(&job).map(|record| record.client);
				for (to, amount) in std::mem::take(&mut self.pending_collateral) {
					if let Some(record) = self.jobs.get_mut(&job) {
						record.collateral_paid.push((to, amount));
					}
					if client != Some(to) {
						self.verifier(&to).fees += amount;
					}
				}
				self.totals.cheats_caught += 1;
				if let Some(record) = self.jobs.get_mut(&job) {
					record.slashed += slashed;
					record.refunded = refunded;
				}
				self.book_client(job);
				self.provider(&provider).lost.push(job);
				self.minute(at).failed += 1;
			},
			Refunded { job, refunded } => {
				self.end(at, job, JobState::Refunded);
				if let Some(record) = self.jobs.get_mut(&job) {
					record.refunded = refunded;
				}
				self.book_client(job);
				self.minute(at).failed += 1;
			},
			EscrowPaid { to, amount, .. } => self.pending_escrow.push((to, amount)),
			Registered { who, role, bond } => match role {
				Role::Provider => {
					let record = self.provider(&who);
					record.bond = bond;
					record.registered = true;
				},
				Role::Verifier => {
					let record = self.verifier(&who);
					record.bond = bond;
					record.registered = true;
				},
			},
			Bonded { who, role, amount } => *self.bond(&who, role) += amount,
			Unbonded { who, role, amount } => {
				let bond = self.bond(&who, role);
				*bond = bond.saturating_sub(amount);
			},
			Deregistered { who, role } => {
				*self.bond(&who, role) = 0;
				match role {
					Role::Provider => self.provider(&who).registered = false,
					Role::Verifier => self.verifier(&who).registered = false,
				}
			},
			StakeSlashed { who, role, amount, to } => {
				if let (Role::Provider, Some(to)) = (role, to) {
					self.pending_collateral.push((to, amount));
				}
				let bond = self.bond(&who, role);
				*bond = bond.saturating_sub(amount);
				match role {
					Role::Provider => self.provider(&who).slashed += amount,
					Role::Verifier => self.verifier(&who).slashed += amount,
				}
			},
			Reputation { who, outcome, score_ppm } => {
				self.account(&who).reputation.push((at, score_ppm, outcome));
			},
		}
	}

	fn bond(&mut self, who: &AccountId, role: Role) -> &mut u128 {
		match role {
			Role::Provider => &mut self.provider(who).bond,
			Role::Verifier => &mut self.verifier(who).bond,
		}
	}

	fn set_state(&mut self, job: JobId, state: JobState) {
		if let Some(record) = self.jobs.get_mut(&job) {
			if !record.state.is_final() {
				record.state = state;
			}
		}
	}

	/// Ends `job` in `state`: books the escrow payments of the block to it
	/// and its cost to the client.
	fn end(&mut self, at: Stamp, job: JobId, state: JobState) {
		for (to, amount) in std::mem::take(&mut self.pending_escrow) {
			self.book_escrow(Some(job), &to, amount);
		}
		let Some(record) = self.jobs.get_mut(&job) else { return };
		record.state = state;
		record.ended = Some(at);
	}

	/// Books what an ended job cost its client (called once per ending
	/// event, after the amounts are set).
	fn book_client(&mut self, job: JobId) {
		let Some(record) = self.jobs.get(&job) else { return };
		let (client, cost, refunded) = (record.client, record.cost(), record.refunded);
		let account = self.client(&client);
		account.spent += cost;
		account.refunded += refunded;
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const ALICE: AccountId = hypha_client::subxt::utils::AccountId32([1; 32]);
	const PROVIDER: AccountId = hypha_client::subxt::utils::AccountId32([2; 32]);
	const VERIFIER: AccountId = hypha_client::subxt::utils::AccountId32([3; 32]);

	fn at(block: u32) -> Stamp {
		// Six-second blocks from minute 1000.
		Stamp { block, millis: 60_000_000 + u64::from(block) * 6_000 }
	}

	fn spec(units: u64) -> SpecSummary {
		SpecSummary {
			kind: "Inference".into(),
			compute_units: units,
			program: ([0; 32], "blob://p".into()),
			input: ([1; 32], "blob://i".into()),
			max_output_bytes: 64,
			sealed: false,
			result_window: 10,
		}
	}

	/// Submitted at block 1, claimed at 2 for `price`, committed at 3.
	fn submitted_claimed_committed(index: &mut Index, job: JobId, base: u32, price: u128) {
		index.apply(
			at(base),
			vec![Event::Submitted { job, client: ALICE, budget: 1_000, spec: Some(spec(10)) }],
		);
		index.apply(
			at(base + 1),
			vec![Event::Claimed {
				job,
				provider: PROVIDER,
				price,
				collateral: 5_000,
				deadline: 99,
			}],
		);
		index.apply(
			at(base + 2),
			vec![Event::Committed {
				job,
				provider: PROVIDER,
				commitment: [7; 32],
				output_uri: "blob://o".into(),
			}],
		);
	}

	#[test]
	fn an_audited_job_settles_with_its_money_booked_to_each_party() {
		let mut index = Index::default();
		index.apply(
			at(0),
			vec![Event::Registered { who: PROVIDER, role: Role::Provider, bond: 10_000 }],
		);
		submitted_claimed_committed(&mut index, 1, 1, 400);
		index.apply(
			at(4),
			vec![
				Event::Sampled { job: 1, audited: true, probability_ppm: 1_000_000 },
				Event::AuditAssigned { job: 1, verifier: VERIFIER, deadline: 20 },
			],
		);
		assert_eq!(index.job(1).unwrap().state, JobState::Audit);
		index.apply(
			at(6),
			vec![
				Event::Verdict { job: 1, verifier: VERIFIER, agrees: true },
				Event::EscrowPaid { from: ALICE, to: PROVIDER, amount: 400 },
				Event::EscrowPaid { from: ALICE, to: VERIFIER, amount: 50 },
				Event::Reputation { who: PROVIDER, outcome: "Agreed".into(), score_ppm: 600_000 },
				Event::Settled {
					job: 1,
					provider: PROVIDER,
					paid: 400,
					verifier_fees: 50,
					refunded: 550,
				},
			],
		);
		let job = index.job(1).unwrap();
		assert_eq!(job.state, JobState::Settled);
		assert_eq!(job.steps.len(), 7, "{:?}", job.steps);
		assert_eq!(job.escrow_paid, vec![(PROVIDER, 400), (VERIFIER, 50)]);
		assert_eq!((job.paid, job.verifier_fees, job.refunded, job.cost()), (400, 50, 550, 450));
		assert_eq!(job.seconds_to_end(), Some(30.0));
		assert_eq!(job.price_per_unit(), Some(40.0));
		let provider = index.accounts[&PROVIDER].provider.as_ref().unwrap();
		assert_eq!((provider.bond, provider.earned, provider.jobs.clone()), (10_000, 400, vec![1]));
		let verifier = index.accounts[&VERIFIER].verifier.as_ref().unwrap();
		assert_eq!((verifier.fees, verifier.agreed, verifier.audits.clone()), (50, 1, vec![1]));
		let client = index.accounts[&ALICE].client.as_ref().unwrap();
		assert_eq!((client.spent, client.refunded), (450, 550));
		assert_eq!(index.accounts[&PROVIDER].reputation, vec![(at(6), 600_000, "Agreed".into())]);
		assert_eq!((index.totals.sampled, index.totals.audited, index.totals.paid), (1, 1, 400));
		assert_eq!(index.counts(), [0, 0, 0, 0, 1, 0, 0]);
		assert_eq!(index.median_seconds_to_settle(), Some(30.0));
		let minute = &index.minutes[&1000];
		assert_eq!((minute.submitted, minute.settled, minute.audited), (1, 1, 1));
	}

	#[test]
	fn a_caught_cheat_is_slashed_and_the_client_refunded() {
		let mut index = Index::default();
		index.apply(
			at(0),
			vec![Event::Registered { who: PROVIDER, role: Role::Provider, bond: 10_000 }],
		);
		submitted_claimed_committed(&mut index, 1, 1, 400);
		index.apply(
			at(5),
			vec![
				Event::Verdict { job: 1, verifier: VERIFIER, agrees: false },
				// What the pallet emits: the winner's reward and the client's
				// compensation out of the provider's collateral, then the end.
				Event::StakeSlashed {
					who: PROVIDER,
					role: Role::Provider,
					amount: 50,
					to: Some(VERIFIER),
				},
				Event::StakeSlashed {
					who: PROVIDER,
					role: Role::Provider,
					amount: 4_950,
					to: Some(ALICE),
				},
				Event::ProviderSlashed {
					job: 1,
					provider: PROVIDER,
					slashed: 5_000,
					refunded: 1_000,
				},
			],
		);
		let job = index.job(1).unwrap();
		assert_eq!(job.state, JobState::Slashed);
		assert_eq!((job.slashed, job.refunded, job.paid), (5_000, 1_000, 0));
		assert_eq!(job.collateral_paid, vec![(VERIFIER, 50), (ALICE, 4_950)]);
		let provider = index.accounts[&PROVIDER].provider.as_ref().unwrap();
		assert_eq!((provider.bond, provider.slashed, provider.earned), (5_000, 5_000, 0));
		assert_eq!(provider.lost, vec![1]);
		let verifier = index.accounts[&VERIFIER].verifier.as_ref().unwrap();
		assert_eq!((verifier.fees, verifier.disagreed), (50, 1));
		assert_eq!((index.totals.cheats_caught, index.counts()[6]), (1, 1));
		// A later state event of an ended job does not reopen it.
		index.apply(
			at(6),
			vec![Event::Committed {
				job: 1,
				provider: PROVIDER,
				commitment: [0; 32],
				output_uri: String::new(),
			}],
		);
		assert_eq!(index.job(1).unwrap().state, JobState::Slashed);
	}

	#[test]
	fn an_unclaimed_job_is_refunded_and_a_missed_deadline_counts_against_its_provider() {
		let mut index = Index::default();
		index.apply(
			at(1),
			vec![Event::Submitted { job: 4, client: ALICE, budget: 900, spec: None }],
		);
		index.apply(
			at(2),
			vec![Event::Claimed {
				job: 4,
				provider: PROVIDER,
				price: 100,
				collateral: 10,
				deadline: 3,
			}],
		);
		index.apply(
			at(4),
			vec![
				Event::DeadlineMissed { job: 4, provider: PROVIDER, slashed: 3 },
				Event::Reopened { job: 4, expires_at: 9 },
			],
		);
		assert_eq!(index.job(4).unwrap().state, JobState::Open);
		index.apply(at(9), vec![Event::Refunded { job: 4, refunded: 900 }]);
		let job = index.job(4).unwrap();
		assert_eq!(
			(job.state, job.refunded, job.slashed, job.cost()),
			(JobState::Refunded, 900, 3, 0)
		);
		assert_eq!(index.accounts[&PROVIDER].provider.as_ref().unwrap().lost, vec![4]);
		assert_eq!(index.accounts[&ALICE].client.as_ref().unwrap().refunded, 900);
		assert_eq!(index.totals.deadlines_missed, 1);
		// No spec: no price per unit, and the median skips it.
		assert_eq!(index.median_price_per_unit(), None);
	}

	#[test]
	fn a_second_draw_after_a_delivery_report_counts_the_result_once() {
		let mut index = Index::default();
		submitted_claimed_committed(&mut index, 1, 1, 400);
		index
			.apply(at(4), vec![Event::Sampled { job: 1, audited: false, probability_ppm: 50_000 }]);
		index.apply(at(5), vec![Event::DeliveryReported { job: 1, draw_at: 7 }]);
		index.apply(
			at(7),
			vec![Event::Sampled { job: 1, audited: true, probability_ppm: 1_000_000 }],
		);
		assert_eq!((index.totals.sampled, index.totals.audited), (1, 1));
		assert_eq!(index.job(1).unwrap().audited, Some(true));
		// A skipped draw after an audit does not undo it.
		index.apply(at(8), vec![Event::Sampled { job: 1, audited: false, probability_ppm: 1 }]);
		assert_eq!((index.totals.sampled, index.totals.audited), (1, 1));
		assert_eq!(index.job(1).unwrap().audited, Some(true));
	}

	#[test]
	fn a_block_read_twice_is_applied_once() {
		let mut index = Index::default();
		let submitted = vec![Event::Submitted { job: 1, client: ALICE, budget: 10, spec: None }];
		index.apply(at(1), submitted.clone());
		index.apply(at(1), submitted.clone());
		index.apply(at(0), submitted);
		assert_eq!(index.accounts[&ALICE].client.as_ref().unwrap().jobs, vec![1]);
		assert_eq!(index.job(1).unwrap().steps.len(), 1);
		assert_eq!(index.minutes[&1000].submitted, 1);
		assert_eq!(index.last, Some(at(1)));
	}

	#[test]
	fn a_fee_paid_without_a_job_ending_is_a_verifier_fee() {
		let mut index = Index::default();
		index.apply(at(1), vec![Event::EscrowPaid { from: ALICE, to: VERIFIER, amount: 7 }]);
		assert_eq!(index.accounts[&VERIFIER].verifier.as_ref().unwrap().fees, 7);
		// Events of a job submitted before the index's first block are
		// counted for the accounts but make no job record.
		index.apply(at(2), vec![Event::Verdict { job: 77, verifier: VERIFIER, agrees: true }]);
		assert!(index.job(77).is_none());
		assert_eq!(index.accounts[&VERIFIER].verifier.as_ref().unwrap().agreed, 1);
	}

	#[test]
	fn medians_of_odd_and_even_counts() {
		assert_eq!(median(&[]), None);
		assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
		assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
	}
}
