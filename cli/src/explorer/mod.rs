//! `hypha explorer`: the market as web pages, served by one process.
//!
//! The explorer follows the finalized blocks of one node through the shared
//! client ([`follow`]), keeps what their events said in an in-memory
//! [`index`] (rebuilt from the chain on every start) and renders pages on
//! the server ([`pages`]): the market, a job, an account, the parameters
//! and the open referenda. Open pages update without a reload: `/live` is a
//! server-sent event stream that ticks on every new block, and the page's
//! script fetches its own content again. The charts are drawn by uPlot,
//! served from the binary (no CDN: the pages work offline).
//!
//! Routes: `/`, `/job/{id}`, `/account/{ss58}`, `/params`, `/model/{name}`, `/search?q=`,
//! `/live`, `/api/market.json`, `/assets/{file}`, `/metrics` (prefix
//! `hypha_explorer_`), `/healthz`.
//!
//! ## Failure modes
//!
//! An unknown job id is a 404 page that says which ids exist; a malformed
//! id, address or query is a 400 page that says what was expected. A node
//! that goes away leaves the pages up, saying so in a banner, with what
//! was indexed; the follower reconnects every second and goes on from the
//! last block it indexed.

pub mod follow;
pub mod index;
pub mod pages;

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use hypha_client::amount::format_hypha;
use hypha_client::{api, AccountId, Client};
use hypha_primitives::{JobId, HYPHA};
use prometheus::{IntCounterVec, IntGauge, Opts, Registry};

use follow::{Health, State};
use index::{median, Index};
use pages::Page;

/// Serve the market explorer: web pages of the market, its jobs, accounts
/// and parameters, live as blocks are finalized.
///
/// The explorer indexes every finalized block of the node at `--url` from
/// the first (the index lives in memory and is rebuilt on every start),
/// then follows new ones. Open it in a browser at `--listen`; it needs no
/// internet (its charting library is served from the binary).
#[derive(Debug, clap::Args)]
#[command(
	after_help = "Pages: / (the market), /job/ID, /account/ADDRESS, /model/NAME (a lineage), /params (parameters and \
	referenda), /search?q=; Prometheus metrics on /metrics, /healthz for probes. The index is \
	rebuilt from the chain's first block on every start. Guide: docs/EXPLORER.md"
)]
pub struct ExplorerArgs {
	/// Address to serve the pages (and /metrics) on.
	#[arg(long, default_value = "127.0.0.1:8090")]
	pub listen: SocketAddr,
	/// WebSocket RPC endpoint of the node to read.
	#[arg(long, env = "HYPHA_URL", default_value = "ws://127.0.0.1:9944")]
	pub url: String,
}

impl ExplorerArgs {
	/// Runs the explorer until Ctrl-C.
	pub fn run(self) -> Result<()> {
		let runtime = tokio::runtime::Runtime::new()?;
		runtime.block_on(async {
			let listener = tokio::net::TcpListener::bind(self.listen)
				.await
				.with_context(|| format!("listening on {}", self.listen))?;
			tracing::info!("explorer on http://{}, reading {}", listener.local_addr()?, self.url);
			let shutdown = async {
				let _ = tokio::signal::ctrl_c().await;
			};
			serve(listener, self.url, shutdown).await
		})
	}
}

/// The explorer's Prometheus metrics.
#[derive(Clone)]
struct Metrics {
	registry: Registry,
	requests: IntCounterVec,
	last_block: IntGauge,
	blocks_read: IntGauge,
	jobs: IntGauge,
	node_reachable: IntGauge,
}

impl Metrics {
	fn new() -> Result<Self, prometheus::Error> {
		use hypha_agent::metrics::int_gauge;
		let registry = hypha_agent::metrics::registry("hypha_explorer")?;
		let requests = IntCounterVec::new(
			Opts::new("requests_total", "page requests by route and HTTP status"),
			&["route", "status"],
		)?;
		registry.register(Box::new(requests.clone()))?;
		Ok(Self {
			last_block: int_gauge(&registry, "last_block", "the last finalized block indexed")?,
			blocks_read: int_gauge(&registry, "blocks_read", "blocks indexed since the start")?,
			jobs: int_gauge(&registry, "jobs", "jobs in the index")?,
			node_reachable: int_gauge(
				&registry,
				"node_reachable",
				"1 while the node answers, 0 while it does not",
			)?,
			requests,
			registry,
		})
	}
}

#[derive(Clone)]
struct App {
	state: State,
	metrics: Metrics,
	/// The current parameters and referenda, read once per finalized block
	/// (a `/params` request costs the node one call per referendum ever
	/// made; however many requests come, the node answers once a block).
	current: Arc<tokio::sync::Mutex<Option<(u32, Current)>>>,
	/// The last lineage read for `/model/{name}`, by finalized block and
	/// name: readers take turns (a lineage costs the node a call per
	/// version), and the same page in the same block is read once.
	lineage: Arc<tokio::sync::Mutex<Option<(u32, String, Arc<crate::registry::Lineage>)>>>,
}

/// What `/params` shows of the current state.
type Current = (Option<Rows>, Option<Rows>, Option<Vec<String>>);

/// Follows the node at `url` and serves the pages on `listener` until
/// `shutdown` completes.
pub async fn serve(
	listener: tokio::net::TcpListener,
	url: String,
	shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
	let state = State::default();
	let follower = tokio::spawn(follow::follow(url, state.clone()));
	let app =
		App { state, metrics: Metrics::new()?, current: Arc::default(), lineage: Arc::default() };
	let served = axum::serve(listener, router(app)).with_graceful_shutdown(shutdown).await;
	follower.abort();
	served.context("serving the explorer")
}

fn router(app: App) -> Router {
	Router::new()
		.route("/", get(market))
		.route("/job/{id}", get(job))
		.route("/account/{who}", get(account))
		.route("/params", get(params))
		.route("/model/{name}", get(model))
		.route("/search", get(search))
		.route("/live", get(live))
		.route("/api/market.json", get(market_json))
		.route("/assets/{file}", get(asset))
		.route("/metrics", get(metrics))
		.route("/healthz", get(healthz))
		.fallback(unknown_route)
		.with_state(app)
}

/// The header with which the live script asks for `#content` only.
const FRAGMENT: &str = "x-hypha-fragment";

/// Renders `page` (the whole document, or its content for the live script).
fn render(app: &App, route: &str, headers: &HeaderMap, status: StatusCode, page: Page) -> Response {
	app.metrics.requests.with_label_values(&[route, status.as_str()]).inc();
	let shared = app.state.read();
	let last = shared.index.last;
	let markup = if headers.contains_key(FRAGMENT) {
		pages::content(&page, &shared.health, last)
	} else {
		pages::document(&page, status.as_u16(), &shared.health, last)
	};
	drop(shared);
	(status, [(header::CACHE_CONTROL, "no-store")], Html(markup.into_string())).into_response()
}

async fn market(AxumState(app): AxumState<App>, headers: HeaderMap) -> Response {
	let page = pages::market(&app.state.read().index);
	render(&app, "market", &headers, StatusCode::OK, page)
}

/// Why an id is not a job, and which ones exist.
fn job_hint(index: &Index, health: &Health) -> String {
	let range = match (index.jobs.keys().next(), index.jobs.keys().next_back()) {
		(Some(first), Some(last)) => format!("The index has jobs #{first} to #{last}"),
		_ => "The index has no job yet".to_string(),
	};
	let indexed = index.last.map_or(0, |s| s.block);
	let behind = match health {
		Health::Following { finalized } if *finalized > indexed => {
			format!("; it is still reading the chain (block #{indexed} of #{finalized})")
		},
		_ => String::new(),
	};
	format!("{range} (indexed up to block #{indexed}){behind}.")
}

async fn job(
	AxumState(app): AxumState<App>,
	Path(id): Path<String>,
	headers: HeaderMap,
) -> Response {
	let Ok(id) = id.trim_start_matches('#').parse::<JobId>() else {
		let page = pages::bad_request(&format!(
			"`{id}` is not a job id: job ids are whole numbers, like /job/1."
		));
		return render(&app, "job", &headers, StatusCode::BAD_REQUEST, page);
	};
	let shared = app.state.read();
	let (status, page) = match shared.index.job(id) {
		Some(record) => (StatusCode::OK, pages::job(record)),
		None => (
			StatusCode::NOT_FOUND,
			pages::not_found(
				&format!("There is no job #{id} on this chain."),
				&job_hint(&shared.index, &shared.health),
			),
		),
	};
	drop(shared);
	render(&app, "job", &headers, status, page)
}

/// Waits at most `seconds` for a read of the current state.
async fn read_now<T>(
	seconds: u64,
	read: impl std::future::Future<Output = Result<T, impl std::fmt::Display>>,
) -> Option<T> {
	match tokio::time::timeout(Duration::from_secs(seconds), read).await {
		Ok(Ok(value)) => Some(value),
		Ok(Err(error)) => {
			tracing::debug!("a read of the current state failed: {error}");
			None
		},
		Err(_) => None,
	}
}

fn client(app: &App) -> Option<Client> {
	app.state.read().client.clone()
}

async fn account(
	AxumState(app): AxumState<App>,
	Path(who): Path<String>,
	headers: HeaderMap,
) -> Response {
	let Ok(account) = AccountId::from_str(who.trim()) else {
		let page = pages::bad_request(&format!(
			"`{who}` is not an account: write an SS58 address, like \
			 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY."
		));
		return render(&app, "account", &headers, StatusCode::BAD_REQUEST, page);
	};
	let free = match client(&app) {
		Some(client) => read_now(3, hypha_client::query::free_balance(&client, &account)).await,
		None => None,
	};
	let page = {
		let shared = app.state.read();
		let record = shared.index.accounts.get(&account).cloned().unwrap_or_default();
		pages::account_page(&account, &record, free)
	};
	render(&app, "account", &headers, StatusCode::OK, page)
}

/// `/model/{name}`: the registry's lineage of a model, read from the chain
/// on request (the registry is small and changes rarely).
async fn model(
	AxumState(app): AxumState<App>,
	Path(name): Path<String>,
	headers: HeaderMap,
) -> Response {
	if !hypha_primitives::registry::is_identifier(
		name.as_bytes(),
		hypha_primitives::registry::MAX_NAME_BYTES,
	) {
		let page = pages::bad_request(&format!(
			"`{name}` is not a model name: names are a-z, 0-9, -, _ and ., like /model/digits."
		));
		return render(&app, "model", &headers, StatusCode::BAD_REQUEST, page);
	}
	let finalized = match app.state.read().health {
		Health::Following { finalized } => Some(finalized),
		_ => None,
	};
	// Without a finalized block to key it (the follower is catching up, or
	// stuck), the lineage is read afresh, still one reader at a time.
	let lineage = match client(&app) {
		Some(client) => {
			let mut last = app.lineage.lock().await;
			match (&*last, finalized) {
				(Some((at, read, lineage)), Some(finalized))
					if *at == finalized && *read == name =>
				{
					Some(Ok(lineage.clone()))
				},
				_ => {
					let read = tokio::time::timeout(
						Duration::from_secs(5),
						crate::registry::lineage(&client, &name),
					)
					.await
					.ok()
					.map(|read| read.map(Arc::new));
					if let (Some(Ok(lineage)), Some(finalized)) = (&read, finalized) {
						*last = Some((finalized, name.clone(), lineage.clone()));
					}
					read
				},
			}
		},
		None => None,
	};
	let (status, page) = match lineage {
		Some(Ok(lineage)) => (StatusCode::OK, pages::model(&name, &lineage)),
		Some(Err(error)) if error.to_string().starts_with("no model") => (
			StatusCode::NOT_FOUND,
			pages::not_found(
				&format!("There is no model {name} in the registry."),
				"Register one with `hypha model register NAME@VERSION`.",
			),
		),
		_ => (
			StatusCode::SERVICE_UNAVAILABLE,
			pages::not_found(
				&format!("The registry could not be read for {name}."),
				"The node did not answer in time, or is unreachable.",
			),
		),
	};
	render(&app, "model", &headers, status, page)
}

type Rows = Vec<(&'static str, String)>;

async fn jobs_params(client: &Client) -> Result<Rows> {
	let at = client.at_current_block().await?;
	let p = at.storage().fetch(api::storage().jobs().params(), ()).await?.decode()?;
	let h = format_hypha;
	Ok(vec![
		("safety_permille", p.safety_permille.to_string()),
		("p_min_ppm", p.p_min_ppm.to_string()),
		("collateral_percent", p.collateral_percent.to_string()),
		("open_timeout", format!("{} blocks", p.open_timeout)),
		("min_result_window", format!("{} blocks", p.min_result_window)),
		("max_result_window", format!("{} blocks", p.max_result_window)),
		("challenge_window", format!("{} blocks", p.challenge_window)),
		("audit_window", format!("{} blocks", p.audit_window)),
		("verifier_fee", h(p.verifier_fee)),
		("dispute_verifiers", p.dispute_verifiers.to_string()),
		("min_provider_score_ppm", p.min_provider_score_ppm.to_string()),
		("deadline_slash_percent", p.deadline_slash_percent.to_string()),
		("verifier_slash", h(p.verifier_slash)),
		("no_show_slash", h(p.no_show_slash)),
		("max_missed_deadlines", p.max_missed_deadlines.to_string()),
		("job_deposit", h(p.job_deposit)),
	])
}

async fn stake_params(client: &Client) -> Result<Rows> {
	let at = client.at_current_block().await?;
	let p = at.storage().fetch(api::storage().stake().params(), ()).await?.decode()?;
	Ok(vec![
		("min_provider_stake", format_hypha(p.min_provider_stake)),
		("min_verifier_stake", format_hypha(p.min_verifier_stake)),
		("unbonding_period", format!("{} blocks", p.unbonding_period)),
	])
}

async fn params(AxumState(app): AxumState<App>, headers: HeaderMap) -> Response {
	let finalized = match app.state.read().health {
		Health::Following { finalized } => Some(finalized),
		_ => None,
	};
	let (jobs, stake, referenda) = match (client(&app), finalized) {
		(Some(client), Some(finalized)) => {
			// One reader at a time; the others wait and take its answer.
			let mut current = app.current.lock().await;
			match &*current {
				Some((at, read)) if *at == finalized => read.clone(),
				_ => {
					let read = (
						read_now(5, jobs_params(&client)).await,
						read_now(5, stake_params(&client)).await,
						read_now(5, crate::gov::list(&client)).await,
					);
					*current = Some((finalized, read.clone()));
					read
				},
			}
		},
		_ => (None, None, None),
	};
	let changed = app.state.read().index.params_changed.clone();
	let page = pages::params(jobs, stake, referenda, &changed);
	render(&app, "params", &headers, StatusCode::OK, page)
}

/// `/search?q=`.
#[derive(Debug, serde::Deserialize)]
struct SearchQuery {
	q: Option<String>,
}

async fn search(
	AxumState(app): AxumState<App>,
	query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
	headers: HeaderMap,
) -> Response {
	let bad = |why: String| {
		render(&app, "search", &headers, StatusCode::BAD_REQUEST, pages::bad_request(&why))
	};
	let q = match query {
		Ok(Query(SearchQuery { q })) => q.unwrap_or_default(),
		Err(rejection) => return bad(format!("The query string is malformed: {rejection}.")),
	};
	let q = q.trim().trim_start_matches('#');
	if q.is_empty() {
		return bad(
			"Search for a job id (like 1), an account's SS58 address or a model (digits@v1)."
				.into(),
		);
	}
	if let Ok(id) = q.parse::<JobId>() {
		return Redirect::to(&format!("/job/{id}")).into_response();
	}
	if let Ok(account) = AccountId::from_str(q) {
		return Redirect::to(&format!("/account/{account}")).into_response();
	}
	let name = q.split_once('@').map_or(q, |(name, _)| name);
	if hypha_primitives::registry::is_identifier(
		name.as_bytes(),
		hypha_primitives::registry::MAX_NAME_BYTES,
	) {
		return Redirect::to(&format!("/model/{name}")).into_response();
	}
	bad(format!(
		"`{q}` is neither a job id (a whole number), an SS58 address nor a model name (NAME or NAME@VERSION)."
	))
}

/// `/live`: an event on every change of the index or of the node's health,
/// at most about three a second (changes in between are coalesced).
async fn live(AxumState(app): AxumState<App>) -> Response {
	let receiver = app.state.changes.subscribe();
	let body = futures::stream::unfold(receiver, |mut receiver| async move {
		receiver.changed().await.ok()?;
		tokio::time::sleep(Duration::from_millis(300)).await;
		let tick = *receiver.borrow_and_update();
		Some((
			Ok::<_, std::convert::Infallible>(SseEvent::default().data(tick.to_string())),
			receiver,
		))
	});
	Sse::new(body).keep_alive(KeepAlive::default()).into_response()
}

/// Minutes the market charts show.
const CHART_MINUTES: u64 = 180;

/// The market's series, one point per minute up to the last block indexed
/// (minutes without activity are zeros and gaps).
fn market_series(index: &Index) -> serde_json::Value {
	let Some(last) = index.last else {
		return serde_json::json!({ "t": [], "submitted": [], "settled": [], "failed": [],
			"audited": [], "price": [], "latency": [] });
	};
	let end = last.millis / 60_000;
	let first = index.minutes.keys().next().copied().unwrap_or(end);
	let start = first.max(end.saturating_sub(CHART_MINUTES - 1));
	let mut t = Vec::new();
	let (mut submitted, mut settled, mut failed, mut audited) =
		(Vec::new(), Vec::new(), Vec::new(), Vec::new());
	let (mut price, mut latency) = (Vec::new(), Vec::new());
	let empty = index::Minute::default();
	for minute in start..=end {
		let m = index.minutes.get(&minute).unwrap_or(&empty);
		t.push(minute * 60);
		submitted.push(m.submitted);
		settled.push(m.settled);
		failed.push(m.failed);
		audited.push(m.audited);
		price.push(median(&m.prices).map(|p| p / HYPHA as f64));
		latency.push(median(&m.to_settle));
	}
	serde_json::json!({ "t": t, "submitted": submitted, "settled": settled, "failed": failed,
		"audited": audited, "price": price, "latency": latency })
}

async fn market_json(AxumState(app): AxumState<App>) -> Response {
	app.metrics.requests.with_label_values(&["market.json", "200"]).inc();
	let body = market_series(&app.state.read().index).to_string();
	([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body)
		.into_response()
}

/// The files the pages load, built into the binary.
fn asset_bytes(file: &str) -> Option<(&'static str, &'static [u8])> {
	Some(match file {
		"uPlot.iife.min.js" => {
			("text/javascript", include_bytes!("../../assets/explorer/uPlot.iife.min.js"))
		},
		"uPlot.min.css" => ("text/css", include_bytes!("../../assets/explorer/uPlot.min.css")),
		"explorer.js" => ("text/javascript", include_bytes!("../../assets/explorer/explorer.js")),
		"explorer.css" => ("text/css", include_bytes!("../../assets/explorer/explorer.css")),
		_ => return None,
	})
}

async fn asset(Path(file): Path<String>) -> Response {
	match asset_bytes(&file) {
		Some((kind, bytes)) => ([(header::CONTENT_TYPE, kind)], bytes).into_response(),
		None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
	}
}

async fn metrics(AxumState(app): AxumState<App>) -> Response {
	{
		let shared = app.state.read();
		let m = &app.metrics;
		m.last_block.set(shared.index.last.map_or(0, |s| i64::from(s.block)));
		m.blocks_read.set(i64::try_from(shared.blocks_read).unwrap_or(i64::MAX));
		m.jobs.set(i64::try_from(shared.index.jobs.len()).unwrap_or(i64::MAX));
		m.node_reachable.set(i64::from(matches!(shared.health, Health::Following { .. })));
	}
	hypha_agent::metrics::text(&app.metrics.registry)
}

/// `/healthz`: 200 while the node answers and the index is within two
/// blocks of its finalized head, 503 otherwise; the body says which.
async fn healthz(AxumState(app): AxumState<App>) -> Response {
	let shared = app.state.read();
	let indexed = shared.index.last.map_or(0, |s| s.block);
	match &shared.health {
		Health::Following { finalized } if *finalized <= indexed + 2 => {
			(StatusCode::OK, format!("live at block #{indexed}\n")).into_response()
		},
		Health::Following { finalized } => (
			StatusCode::SERVICE_UNAVAILABLE,
			format!("indexing: block #{indexed} of #{finalized}\n"),
		)
			.into_response(),
		Health::Connecting => {
			(StatusCode::SERVICE_UNAVAILABLE, "connecting to the node\n").into_response()
		},
		Health::Stuck { block, error } => (
			StatusCode::SERVICE_UNAVAILABLE,
			format!("the node cannot serve block #{block}: {error}\n"),
		)
			.into_response(),
		Health::Unreachable { error, .. } => {
			(StatusCode::SERVICE_UNAVAILABLE, format!("node unreachable: {error}\n"))
				.into_response()
		},
	}
}

async fn unknown_route(AxumState(app): AxumState<App>, headers: HeaderMap) -> Response {
	let page = pages::not_found(
		"There is no such page.",
		"The explorer has the market (/), jobs (/job/1), accounts (/account/<address>) and the \
		 parameters (/params).",
	);
	render(&app, "unknown", &headers, StatusCode::NOT_FOUND, page)
}

#[cfg(test)]
mod tests {
	use super::*;
	use index::{Event, Stamp};

	#[test]
	fn the_market_series_fills_quiet_minutes_and_ends_at_the_last_block() {
		let mut index = Index::default();
		let alice = AccountId::from([1; 32]);
		let at = |block: u32, minute: u64| Stamp { block, millis: minute * 60_000 + 5 };
		index.apply(
			at(1, 100),
			vec![Event::Submitted { job: 1, client: alice, budget: HYPHA, spec: None }],
		);
		index.apply(at(2, 103), vec![]);
		let series = market_series(&index);
		assert_eq!(series["t"], serde_json::json!([6000, 6060, 6120, 6180]));
		assert_eq!(series["submitted"], serde_json::json!([1, 0, 0, 0]));
		assert_eq!(series["latency"], serde_json::json!([null, null, null, null]));
	}

	#[test]
	fn every_asset_the_pages_name_is_served() {
		let html =
			pages::document(&pages::market(&Index::default()), 200, &Health::Connecting, None)
				.into_string();
		for file in ["uPlot.iife.min.js", "uPlot.min.css", "explorer.js", "explorer.css"] {
			assert!(html.contains(&format!("/assets/{file}")), "{file} is not linked");
			assert!(asset_bytes(file).is_some_and(|(_, b)| !b.is_empty()), "{file}");
		}
		assert!(asset_bytes("../Cargo.toml").is_none());
	}
}
