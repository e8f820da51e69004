//! The explorer's pages, rendered on the server (maud: every value is
//! escaped). Each page is a full document; with the `X-Hypha-Fragment`
//! header the server sends only its `#content`, which the live script
//! swaps in when a block arrives.

use std::time::SystemTime;

use hypha_client::amount::format_hypha;
use hypha_client::AccountId;
use hypha_primitives::{Digest, JobId};
use maud::{html, Markup, DOCTYPE};

use super::follow::Health;
use super::index::{
	AccountRecord, AsClient, AsProvider, AsVerifier, Event, Index, JobRecord, JobState, Stamp,
};

/// A page: its title and its content.
pub struct Page {
	/// The `<title>`, after "Hypha explorer — ".
	pub title: String,
	/// The content (`#content`'s inside).
	pub content: Markup,
}

/// The whole document of `page`, answered with HTTP `status`, with the
/// node's health and the last block in the header. The live script swaps
/// in a new content only when it comes with the same status (a job page
/// does not turn into a not-found page while a restarted explorer catches
/// up).
pub fn document(page: &Page, status: u16, health: &Health, last: Option<Stamp>) -> Markup {
	html! {
		(DOCTYPE)
		html lang="en" {
			head {
				meta charset="utf-8";
				meta name="viewport" content="width=device-width, initial-scale=1";
				title { "Hypha explorer — " (page.title) }
				link rel="stylesheet" href="/assets/uPlot.min.css";
				link rel="stylesheet" href="/assets/explorer.css";
				script src="/assets/uPlot.iife.min.js" {}
				script src="/assets/explorer.js" defer {}
			}
			body data-status=(status) {
				header {
					a.brand href="/" { "Hypha" }
					nav {
						a href="/" { "Market" }
						a href="/params" { "Parameters" }
					}
					form.search action="/search" method="get" {
						input type="text" name="q" placeholder="job id or account" aria-label="job id or account";
						button type="submit" { "Go" }
					}
				}
				div #content { (content(page, health, last)) }
				footer {
					"Hypha explorer · reads finalized blocks only · "
					a href="/metrics" { "metrics" }
				}
			}
		}
	}
}

/// The inside of `#content`: the health banner, then the page.
pub fn content(page: &Page, health: &Health, last: Option<Stamp>) -> Markup {
	html! {
		(banner(health, last))
		(page.content)
	}
}

fn banner(health: &Health, last: Option<Stamp>) -> Markup {
	let indexed = last.map_or(0, |s| s.block);
	match health {
		Health::Connecting => html! {
			div.banner.warn #health data-health="connecting" { "Connecting to the node…" }
		},
		Health::Following { finalized } if *finalized > indexed + 2 => html! {
			div.banner.warn #health data-health="indexing" {
				"Indexing the chain: block #" (indexed) " of #" (finalized) "…"
			}
		},
		Health::Following { finalized } => html! {
			div.banner.ok #health data-health="live" {
				"Live · finalized block #" (finalized)
				@if let Some(last) = last { " · " (time(last.millis)) }
			}
		},
		Health::Stuck { block, error } => html! {
			div.banner.down #health data-health="stuck" {
				strong { "The node cannot serve block #" (block) }
				" (" (error) "). A node that prunes state (Substrate keeps the last 256 blocks by \
				 default) cannot serve old blocks to an explorer: run it with "
				code { "--state-pruning archive" } ". Showing what was indexed up to block #"
				(indexed) "; retrying every 5 s."
			}
		},
		Health::Unreachable { since, error } => {
			let seconds = SystemTime::now().duration_since(*since).map_or(0, |d| d.as_secs());
			html! {
				div.banner.down #health data-health="unreachable" {
					strong { "The node is unreachable" }
					" (for " (seconds) " s: " (error) "). Showing what was indexed up to block #"
					(indexed) "; reconnecting every second."
				}
			}
		},
	}
}

/// A block timestamp as people read it (UTC, to the second).
pub fn time(millis: u64) -> String {
	let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(millis);
	let text = humantime::format_rfc3339_seconds(at).to_string();
	format!("{} UTC", text.trim_end_matches('Z').replacen('T', " ", 1))
}

fn account(who: &AccountId) -> Markup {
	let text = who.to_string();
	let short = if text.len() > 14 {
		format!("{}…{}", &text[..6], &text[text.len() - 6..])
	} else {
		text.clone()
	};
	html! { a.account href={ "/account/" (text) } title=(text) { (short) } }
}

fn job_link(job: JobId) -> Markup {
	html! { a.job href={ "/job/" (job) } { "#" (job) } }
}

fn hypha(amount: u128) -> String {
	format_hypha(amount)
}

fn digest(digest: &Digest) -> String {
	format!("0x{}", hex::encode(digest))
}

fn state(state: JobState) -> Markup {
	html! { span class={ "state " (state.name().replace(' ', "-")) } { (state.name()) } }
}

fn percent(part: u64, whole: u64) -> String {
	if whole == 0 {
		"—".into()
	} else {
		format!("{:.1} %", part as f64 * 100.0 / whole as f64)
	}
}

fn stat(label: &str, value: impl maud::Render, id: &str) -> Markup {
	html! { div.stat #(id) { div.value { (value) } div.label { (label) } } }
}

/// The market page.
pub fn market(index: &Index) -> Page {
	let counts = index.counts();
	let total = index.jobs.len();
	let t = &index.totals;
	let price = index
		.median_price_per_unit()
		.map_or("—".into(), |p| format!("{} / unit", hypha(p.round() as u128)));
	let settle = index.median_seconds_to_settle().map_or("—".into(), |s| format!("{s:.1} s"));
	let recent: Vec<&JobRecord> = index.jobs.values().rev().take(25).collect();
	let providers: Vec<(&AccountId, &AsProvider)> =
		index.accounts.iter().filter_map(|(a, r)| Some((a, r.provider.as_ref()?))).collect();
	let verifiers: Vec<(&AccountId, &AsVerifier)> =
		index.accounts.iter().filter_map(|(a, r)| Some((a, r.verifier.as_ref()?))).collect();
	let content = html! {
		h1 { "The market" }
		section.stats {
			(stat("jobs", total, "stat-jobs"))
			@for (i, s) in JobState::ALL.iter().enumerate() {
				(stat(s.name(), counts[i], &format!("stat-{}", s.name().replace(' ', "-"))))
			}
			(stat("audited", format!("{} of {} ({})", t.audited, t.sampled, percent(t.audited, t.sampled)), "stat-audited"))
			(stat("cheats caught and slashed", t.cheats_caught, "stat-cheats"))
			(stat("median price", price, "stat-price"))
			(stat("median submit → settled", settle, "stat-settle"))
			(stat("paid to providers", hypha(t.paid), "stat-paid"))
			(stat("paid to verifiers", hypha(t.verifier_fees), "stat-fees"))
		}
		section.charts {
			div.chart data-chart="jobs" { h3 { "Jobs per minute" } }
			div.chart data-chart="price" { h3 { "Median price per compute unit (HYPHA)" } }
			div.chart data-chart="latency" { h3 { "Median seconds from submit to settled" } }
		}
		h2 { "Latest jobs" }
		@if recent.is_empty() {
			p.empty { "No job yet." }
		} @else {
			(jobs_table(&recent))
		}
		h2 { "Providers" }
		@if providers.is_empty() {
			p.empty { "No provider yet." }
		} @else {
			table {
				thead { tr { th { "account" } th { "bond" } th { "jobs" } th { "earned" } th { "slashed" } th { "reputation" } } }
				tbody {
					@for (who, p) in &providers {
						tr {
							td { (account(who)) }
							td { (hypha(p.bond)) @if !p.registered { " (deregistered)" } }
							td { (p.jobs.len()) }
							td { (hypha(p.earned)) }
							td { (hypha(p.slashed)) }
							td { (reputation_now(&index.accounts[*who])) }
						}
					}
				}
			}
		}
		h2 { "Verifiers" }
		@if verifiers.is_empty() {
			p.empty { "No verifier yet." }
		} @else {
			table {
				thead { tr { th { "account" } th { "bond" } th { "audits" } th { "agreed" } th { "disagreed" } th { "fees" } th { "slashed" } } }
				tbody {
					@for (who, v) in &verifiers {
						tr {
							td { (account(who)) }
							td { (hypha(v.bond)) @if !v.registered { " (deregistered)" } }
							td { (v.audits.len()) }
							td { (v.agreed) }
							td { (v.disagreed) }
							td { (hypha(v.fees)) }
							td { (hypha(v.slashed)) }
						}
					}
				}
			}
		}
	};
	Page { title: "market".into(), content }
}

fn reputation_now(record: &AccountRecord) -> String {
	record
		.reputation
		.last()
		.map_or("—".into(), |(_, score, _)| format!("{:.1} %", f64::from(*score) / 10_000.0))
}

fn jobs_table(jobs: &[&JobRecord]) -> Markup {
	html! {
		table.jobs {
			thead { tr { th { "job" } th { "state" } th { "kind" } th { "client" } th { "provider" } th { "budget" } th { "cost" } th { "audited" } th { "submitted" } } }
			tbody {
				@for job in jobs {
					tr data-job=(job.id) {
						td { (job_link(job.id)) }
						td { (state(job.state)) }
						td { (job.spec.as_ref().map_or("—", |s| s.kind.as_str())) }
						td { (account(&job.client)) }
						td { @if let Some(p) = &job.provider { (account(p)) } @else { "—" } }
						td { (hypha(job.budget)) }
						td { @if job.state.is_final() { (hypha(job.cost())) } @else { "—" } }
						td { (match job.audited { Some(true) => "yes", Some(false) => "no", None => "—" }) }
						td { "#" (job.submitted.block) }
					}
				}
			}
		}
	}
}

/// What one event of a job says, for the job page.
fn describe(event: &Event) -> Markup {
	use Event::*;
	match event {
		Submitted { client, budget, .. } => {
			html! { "submitted by " (account(client)) " with a budget of " (hypha(*budget)) " (held in escrow)" }
		},
		Claimed { provider, price, collateral, deadline, .. } => html! {
			"claimed by " (account(provider)) " at " (hypha(*price)) "; "
			(hypha(*collateral)) " of its bond locked as collateral; result due by block #" (deadline)
		},
		Committed { provider, commitment, output_uri, .. } => html! {
			"result committed by " (account(provider)) ": " code { (digest(commitment)) } " at " code { (output_uri) }
		},
		DeadlineMissed { provider, slashed, .. } => {
			html! { (account(provider)) " missed its deadline: " (hypha(*slashed)) " of its collateral burned" }
		},
		Reopened { expires_at, .. } => html! { "open again, until block #" (expires_at) },
		Sampled { audited, probability_ppm, .. } => html! {
			"sampling drawn at " (format!("{:.2} %", f64::from(*probability_ppm) / 10_000.0)) ": "
			@if *audited { strong { "audited" } } @else { "not audited; settles after the challenge window" }
		},
		AuditAssigned { verifier, deadline, .. } => {
			html! { "audit assigned to " (account(verifier)) ", verdict due by block #" (deadline) }
		},
		Verdict { verifier, agrees, .. } => html! {
			"verdict of " (account(verifier)) ": "
			@if *agrees { "agrees with the provider" } @else { strong { "disagrees with the provider" } }
		},
		VerdictCommitted { verifier, auditor, .. } => html! {
			@if *auditor { "the auditor " (account(verifier)) " committed a disagreement (hidden until the panel has committed)" }
			@else { "panel member " (account(verifier)) " committed its verdict" }
		},
		RevealOpened { deadline, .. } => html! { "reveal phase open until block #" (deadline) },
		DeliveryReported { draw_at, .. } => {
			html! { "the client reported the output undelivered: an audit is drawn at block #" (draw_at) }
		},
		VerifierAbsent { verifier, slashed, .. } => {
			html! { (account(verifier)) " did not answer in time: " (hypha(*slashed)) " burned" }
		},
		DisputeOpened { panel, deadline, .. } => html! {
			"dispute opened; panel: "
			@for (i, member) in panel.iter().enumerate() { @if i > 0 { ", " } (account(member)) }
			"; verdicts due by block #" (deadline)
		},
		VerifierSlashed { verifier, slashed, .. } => {
			html! { (account(verifier)) " lost the dispute: " (hypha(*slashed)) " slashed" }
		},
		Settled { provider, paid, verifier_fees, refunded, .. } => html! {
			strong { "settled" } ": " (account(provider)) " paid " (hypha(*paid)) ", verifier fees "
			(hypha(*verifier_fees)) ", " (hypha(*refunded)) " returned to the client"
		},
		ProviderSlashed { provider, slashed, refunded, .. } => html! {
			strong { "slashed" } ": " (account(provider)) "'s result was proven wrong; " (hypha(*slashed))
			" of its collateral slashed; " (hypha(*refunded)) " returned to the client"
		},
		Refunded { refunded, .. } => {
			html! { strong { "refunded" } ": " (hypha(*refunded)) " returned to the client" }
		},
		other => html! { (format!("{other:?}")) },
	}
}

/// The page of job `job`.
pub fn job(job: &JobRecord) -> Page {
	let content = html! {
		h1 { "Job #" (job.id) " " (state(job.state)) }
		section.columns {
			div {
				h2 { "Spec" }
				table.kv {
					tr { th { "client" } td { (account(&job.client)) } }
					tr { th { "budget" } td { (hypha(job.budget)) } }
					@if let Some(spec) = &job.spec {
						tr { th { "kind" } td { (spec.kind) } }
						tr { th { "compute units" } td { (spec.compute_units) } }
						tr { th { "program" } td { code { (digest(&spec.program.0)) } br; code { (spec.program.1) } } }
						tr { th { "input" } td { code { (digest(&spec.input.0)) } br; code { (spec.input.1) } } }
						tr { th { "output bound" } td { (spec.max_output_bytes) " bytes" } }
						tr { th { "output" } td { @if spec.sealed { "sealed to the client" } @else { "plain" } } }
						tr { th { "result window" } td { (spec.result_window) " blocks" } }
					}
					tr { th { "submitted" } td { "block #" (job.submitted.block) ", " (time(job.submitted.millis)) } }
				}
			}
			div {
				h2 { "Money" }
				table.kv.money {
					tr { th { "held from the client" } td { (hypha(job.budget)) } }
					@if let Some(price) = job.price { tr { th { "price" } td { (hypha(price)) } } }
					@for (to, amount) in &job.escrow_paid {
						tr { th { "paid from escrow to " (account(to)) } td { (hypha(*amount)) } }
					}
					@for (to, amount) in &job.collateral_paid {
						tr.collateral {
							th { "paid from the provider's collateral to " (account(to)) @if *to == job.client { " (compensation)" } @else { " (reward)" } }
							td { (hypha(*amount)) }
						}
					}
					@if job.state.is_final() {
						tr #paid { th { "paid to the provider" } td { (hypha(job.paid)) } }
						tr { th { "verifier fees" } td { (hypha(job.verifier_fees)) } }
						tr { th { "returned to the client" } td { (hypha(job.refunded)) } }
						tr { th { "cost to the client" } td { (hypha(job.cost())) } }
					}
					@if job.slashed > 0 { tr { th { "taken from providers" } td { (hypha(job.slashed)) } } }
				}
			}
		}
		h2 { "Steps" }
		table.steps {
			thead { tr { th { "block" } th { "time" } th { "what happened" } } }
			tbody {
				@for (at, event) in &job.steps {
					tr { td { "#" (at.block) } td { (time(at.millis)) } td { (describe(event)) } }
				}
			}
		}
	};
	Page { title: format!("job #{}", job.id), content }
}

/// The page of an account.
pub fn account_page(who: &AccountId, record: &AccountRecord, free: Option<u128>) -> Page {
	let points: (Vec<u64>, Vec<f64>) = record
		.reputation
		.iter()
		.map(|(at, score, _)| (at.millis / 1000, f64::from(*score) / 1e4))
		.unzip();
	let points = serde_json::json!([points.0, points.1]).to_string();
	let content = html! {
		h1 { "Account" }
		p { code #address { (who.to_string()) } }
		@if let Some(free) = free { p { "free balance: " span #free { (hypha(free)) } } }
		@if let Some(p) = &record.provider { (provider_section(p, record)) }
		@if let Some(v) = &record.verifier { (verifier_section(v)) }
		@if let Some(c) = &record.client { (client_section(c)) }
		@if !record.reputation.is_empty() {
			section {
				h2 { "Reputation over time" }
				div.chart data-chart="reputation" data-points=(points) {}
				table {
					thead { tr { th { "block" } th { "outcome" } th { "score" } } }
					tbody {
						@for (at, score, outcome) in record.reputation.iter().rev().take(20) {
							tr { td { "#" (at.block) } td { (outcome) } td { (format!("{:.2} %", f64::from(*score) / 10_000.0)) } }
						}
					}
				}
			}
		}
		@if record.provider.is_none() && record.verifier.is_none() && record.client.is_none() {
			p.empty { "This account has not taken part in the market." }
		}
	};
	Page { title: format!("account {who}"), content }
}

fn list(jobs: &[JobId]) -> Markup {
	html! {
		@for (i, job) in jobs.iter().rev().take(50).enumerate() { @if i > 0 { ", " } (job_link(*job)) }
		@if jobs.is_empty() { "—" }
	}
}

fn provider_section(p: &AsProvider, record: &AccountRecord) -> Markup {
	html! {
		section #provider {
			h2 { "As provider" }
			table.kv {
				tr { th { "bond" } td { (hypha(p.bond)) @if !p.registered { " (deregistered)" } } }
				tr { th { "reputation" } td { (reputation_now(record)) } }
				tr { th { "jobs claimed" } td { (p.jobs.len()) ": " (list(&p.jobs)) } }
				tr #earned { th { "earned" } td { (hypha(p.earned)) } }
				tr { th { "slashed" } td { (hypha(p.slashed)) } }
				tr { th { "jobs lost" } td { (p.lost.len()) ": " (list(&p.lost)) } }
			}
		}
	}
}

fn verifier_section(v: &AsVerifier) -> Markup {
	html! {
		section #verifier {
			h2 { "As verifier" }
			table.kv {
				tr { th { "bond" } td { (hypha(v.bond)) @if !v.registered { " (deregistered)" } } }
				tr { th { "audits" } td { (v.audits.len()) ": " (list(&v.audits)) } }
				tr { th { "verdicts" } td { (v.agreed) " agreed, " (v.disagreed) " disagreed, " (v.absent) " missed" } }
				tr #fees { th { "fees" } td { (hypha(v.fees)) } }
				tr { th { "slashed" } td { (hypha(v.slashed)) } }
			}
		}
	}
}

fn client_section(c: &AsClient) -> Markup {
	html! {
		section #client {
			h2 { "As client" }
			table.kv {
				tr { th { "jobs" } td { (c.jobs.len()) ": " (list(&c.jobs)) } }
				tr { th { "spent" } td { (hypha(c.spent)) } }
				tr { th { "returned from budgets" } td { (hypha(c.refunded)) } }
			}
		}
	}
}

/// The parameters page: `rows` of (name, value) per pallet, the referenda.
pub fn params(
	jobs: Option<Vec<(&'static str, String)>>,
	stake: Option<Vec<(&'static str, String)>>,
	referenda: Option<Vec<String>>,
	changed: &[Stamp],
) -> Page {
	let table = |rows: &Option<Vec<(&'static str, String)>>| {
		html! {
			@match rows {
				Some(rows) => table.kv { @for (name, value) in rows { tr { th { code { (name) } } td { (value) } } } },
				None => p.empty { "Not readable now: the node did not answer in time, or is unreachable." },
			}
		}
	};
	let content = html! {
		h1 { "Parameters" }
		p { "Changed by governance (or sudo) at blocks: "
			@for (i, at) in changed.iter().enumerate() { @if i > 0 { ", " } "#" (at.block) }
			@if changed.is_empty() { "never since genesis" } }
		section.columns {
			div { h2 { "Jobs" } (table(&jobs)) }
			div { h2 { "Stake" } (table(&stake)) }
		}
		h2 { "Referenda" }
		@match referenda {
			Some(lines) if lines.is_empty() => p.empty #referenda { "No referendum yet." },
			Some(lines) => ul #referenda { @for line in lines { li { (line) } } },
			None => p.empty { "Not readable now: the node did not answer in time, or is unreachable." },
		}
		p { "Propose a change with " code { "hypha gov propose-params" } ", vote with " code { "hypha gov vote" } "." }
	};
	Page { title: "parameters".into(), content }
}

/// A model's lineage (`/model/{name}`): each version indented under its
/// parent, how it was made (the training job, its data set, whether the
/// chain checked the link), its evaluations and deprecation.
pub fn model(name: &str, lineage: &crate::registry::Lineage) -> Page {
	use crate::registry::{deprecation_line, hex_digest};
	use hypha_client::models::{text, Provenance};
	let model = &lineage.model;
	let content = html! {
		h1 { "Model " code #model-name { (name) } }
		table.kv {
			tr { th { "owner" } td { a href={ "/account/" (model.owner) } { code { (model.owner.to_string()) } } } }
			tr { th { "architecture" } td { (text(&model.architecture)) } }
			tr { th { "license" } td { (text(&model.license)) } }
			tr { th { "registered" } td { "block #" (model.registered_at) ", " (model.versions) " versions" } }
		}
		h2 { "Lineage" }
		ul #lineage {
			@for (depth, label, version, evaluations) in &lineage.versions {
				li.version data-version=(label) style={ "margin-left: " (depth * 2) "em" } {
					strong { (name) "@" (label) } " " code { (hex_digest(&version.digest)) }
					@match &version.provenance {
						Provenance::Uploaded => { " — " span.uploaded { "uploaded (made outside the market: not checked)" } },
						Provenance::Trained { job, dataset, .. } => {
							" — trained by " (job_link(*job)) " on data set " code { (hex_digest(dataset)) }
							" " span.verified { "link verified on chain" }
						},
					}
					@if let Some(line) = deprecation_line(version) { br; span.deprecated { (line) } }
					@for (job, evaluation) in evaluations {
						br;
						span.evaluation {
							(text(&evaluation.metric)) " " (crate::registry::format_micro(evaluation.value_micro))
							" by " (job_link(*job)) " (" (*evaluation.kind) ", output " code { (hex_digest(&evaluation.output)) } "; read by "
							a href={ "/account/" (evaluation.recorded_by) } { (evaluation.recorded_by.to_string()) } ")"
						}
					}
				}
			}
		}
		p { "Re-run a version's training job with " code { "hypha model verify " (name) "@VERSION" } "." }
	};
	Page { title: format!("model {name}"), content }
}

/// A page for what is not there, with a hint.
pub fn not_found(what: &str, hint: &str) -> Page {
	Page {
		title: "not found".into(),
		content: html! {
			h1 #not-found { "Not found" }
			p { (what) }
			p.hint { (hint) }
			p { a href="/" { "Back to the market" } }
		},
	}
}

/// A page for a request that makes no sense.
pub fn bad_request(why: &str) -> Page {
	Page {
		title: "bad request".into(),
		content: html! {
			h1 #bad-request { "Bad request" }
			p { (why) }
			p { a href="/" { "Back to the market" } }
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn block_times_read_as_utc_dates() {
		assert_eq!(time(0), "1970-01-01 00:00:00 UTC");
		assert_eq!(time(1_764_806_400_000), "2025-12-04 00:00:00 UTC");
		assert_eq!(time(951_782_400_000 + 3_661_000), "2000-02-29 01:01:01 UTC");
	}

	fn settled_index() -> Index {
		use crate::explorer::index::{SpecSummary, Stamp};
		let (client, provider, verifier) =
			(AccountId::from([1; 32]), AccountId::from([2; 32]), AccountId::from([3; 32]));
		let at = |block: u32| Stamp { block, millis: 1_764_806_400_000 + u64::from(block) * 1000 };
		let spec = SpecSummary {
			kind: "Training".into(),
			compute_units: 100,
			program: ([0xab; 32], "blob://program".into()),
			input: ([0xcd; 32], "blob://input".into()),
			max_output_bytes: 4096,
			sealed: true,
			result_window: 12,
		};
		let mut index = Index::default();
		let steps: Vec<Vec<Event>> = vec![
			vec![Event::Submitted {
				job: 3,
				client,
				budget: 5 * hypha_primitives::HYPHA,
				spec: Some(spec),
			}],
			vec![Event::Claimed {
				job: 3,
				provider,
				price: 2_000_000_000_000,
				collateral: 9,
				deadline: 20,
			}],
			vec![Event::Committed {
				job: 3,
				provider,
				commitment: [9; 32],
				output_uri: "blob://out".into(),
			}],
			vec![
				Event::Sampled { job: 3, audited: true, probability_ppm: 48_400 },
				Event::AuditAssigned { job: 3, verifier, deadline: 40 },
			],
			vec![
				Event::Verdict { job: 3, verifier, agrees: true },
				Event::EscrowPaid { from: client, to: provider, amount: 2_000_000_000_000 },
				Event::EscrowPaid { from: client, to: verifier, amount: 10_000_000_000 },
				Event::Reputation { who: provider, outcome: "Agreed".into(), score_ppm: 812_345 },
				Event::Settled {
					job: 3,
					provider,
					paid: 2_000_000_000_000,
					verifier_fees: 10_000_000_000,
					refunded: 2_990_000_000_000,
				},
			],
		];
		for (i, events) in steps.into_iter().enumerate() {
			index.apply(at(i as u32 + 1), events);
		}
		index
	}

	#[test]
	fn a_settled_job_page_shows_every_step_and_the_money() {
		let index = settled_index();
		let html =
			content(&job(index.job(3).unwrap()), &Health::Following { finalized: 5 }, index.last)
				.into_string();
		for expected in [
			"Job #3 <span class=\"state settled\">settled</span>",
			"data-health=\"live\"",
			"submitted by",
			"claimed by",
			"result committed by",
			"sampling drawn at 4.84 %",
			"<strong>audited</strong>",
			"audit assigned to",
			"agrees with the provider",
			"<tr id=\"paid\"><th>paid to the provider</th><td>2 HYPHA</td></tr>",
			"verifier fees</th><td>0.01 HYPHA",
			"returned to the client</th><td>2.99 HYPHA",
			"cost to the client</th><td>2.01 HYPHA",
			"sealed to the client",
			"0xabababab",
			"2025-12-04 00:00:01 UTC",
		] {
			assert!(html.contains(expected), "no `{expected}` in\n{html}");
		}
		// Every step has a sentence, none falls back to the debug form.
		assert!(!html.contains("Event::") && !html.contains("{ job"), "{html}");
	}

	#[test]
	fn an_account_page_shows_each_role() {
		let index = settled_index();
		let provider = AccountId::from([2; 32]);
		let page = account_page(&provider, &index.accounts[&provider], Some(7));
		let html = page.content.into_string();
		assert!(html.contains("<tr id=\"earned\"><th>earned</th><td>2 HYPHA</td></tr>"), "{html}");
		assert!(html.contains("81.2 %"), "the reputation now: {html}");
		assert!(html.contains("data-chart=\"reputation\""), "{html}");
		assert!(!html.contains("id=\"verifier\""), "{html}");
		let verifier = AccountId::from([3; 32]);
		let html = account_page(&verifier, &index.accounts[&verifier], None).content.into_string();
		assert!(html.contains("<tr id=\"fees\"><th>fees</th><td>0.01 HYPHA</td></tr>"), "{html}");
		assert!(html.contains("1 agreed, 0 disagreed, 0 missed"), "{html}");
		let nobody = AccountId::from([9; 32]);
		let html = account_page(&nobody, &AccountRecord::default(), None).content.into_string();
		assert!(html.contains("has not taken part"), "{html}");
	}

	#[test]
	fn the_market_page_counts_the_states_and_says_when_the_node_is_gone() {
		let index = settled_index();
		let gone =
			Health::Unreachable { since: SystemTime::now(), error: "connection refused".into() };
		let html = document(&market(&index), 200, &gone, index.last).into_string();
		assert!(html.contains("data-health=\"unreachable\""), "{html}");
		assert!(html.contains("The node is unreachable"), "{html}");
		assert!(html.contains("connection refused"), "{html}");
		assert!(html.contains("id=\"stat-settled\"><div class=\"value\">1</div>"), "{html}");
		assert!(html.contains("1 of 1 (100.0 %)"), "{html}");
		assert!(html.contains("0.02 HYPHA / unit"), "the median price: {html}");
		let stuck = Health::Stuck { block: 7, error: "State already discarded".into() };
		let html = content(&market(&index), &stuck, index.last).into_string();
		assert!(html.contains("data-health=\"stuck\""), "{html}");
		assert!(html.contains("cannot serve block #7"), "{html}");
		assert!(html.contains("--state-pruning archive"), "{html}");
		let empty = market(&Index::default()).content.into_string();
		assert!(empty.contains("No job yet."), "{empty}");
	}

	#[test]
	fn what_a_page_shows_is_escaped() {
		let page = not_found("<script>alert(1)</script>", "x");
		let html = document(&page, 404, &Health::Connecting, None).into_string();
		assert!(!html.contains("<script>alert"), "{html}");
		assert!(html.contains("&lt;script&gt;"), "{html}");
	}
}
