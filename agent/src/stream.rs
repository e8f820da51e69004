//! Tokens streamed before the commitment: a provider computing a `generate`
//! job shows its client the tokens as it chooses them, on the signed output
//! channel (`GET /jobs/{job}/stream`, the same signature as the output).
//!
//! The stream is a preview, not a result: what the client pays for is the
//! output the provider commits to. A client that shows streamed tokens
//! checks them against the committed output once it is on chain (the
//! gateway does, before its final chunk), so a provider that streams one
//! text and commits another is caught by its client, and the committed one
//! goes through the chain's audit like any result.
//!
//! ## Wire format
//!
//! Newline-delimited JSON, one [`Line`] per line, in order:
//! `{"from":0,"tokens":[…]}` for tokens `from..from+len` of the generation,
//! then `{"done":true,"count":n}` once it has ended. For a job whose spec
//! names an output key, every line is instead `{"sealed":"<hex>"}`: the
//! line's JSON sealed to the client ([`crate::seal`]), so the tokens are
//! the client's alone, as the output is.

use std::sync::Arc;

use hypha_client::subxt_signer::sr25519;
use hypha_primitives::JobId;
use serde::{Deserialize, Serialize};

use crate::seal::OutputKey;

/// The tokens a job has chosen so far, and whether it has ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
	/// Every token so far, in order.
	pub tokens: Vec<u32>,
	/// The generation ended (computed or failed): no more tokens come.
	pub done: bool,
}

/// The producing side: fed from the compute thread, read by any number of
/// streams.
#[derive(Debug, Clone)]
pub struct Feed {
	sender: Arc<tokio::sync::watch::Sender<Progress>>,
	/// Slept on the compute thread before each token (fault injection in
	/// the end-to-end tests: a slow device).
	delay: std::time::Duration,
}

impl Default for Feed {
	fn default() -> Self {
		Self::new()
	}
}

impl Feed {
	/// An empty feed.
	pub fn new() -> Self {
		Self {
			sender: Arc::new(tokio::sync::watch::Sender::new(Progress::default())),
			delay: std::time::Duration::ZERO,
		}
	}

	/// A feed whose every token waits `delay` on the compute thread first:
	/// a slow device, for tests that need tokens to stream one by one.
	pub fn slowed(delay: std::time::Duration) -> Self {
		Self { delay, ..Self::new() }
	}

	/// One more token (from the compute thread).
	pub fn push(&self, token: u32) {
		if !self.delay.is_zero() {
			std::thread::sleep(self.delay);
		}
		self.sender.send_modify(|progress| progress.tokens.push(token));
	}

	/// The generation ended.
	pub fn finish(&self) {
		self.sender.send_modify(|progress| progress.done = true);
	}

	/// A reader, from the first token.
	pub fn subscribe(&self) -> tokio::sync::watch::Receiver<Progress> {
		self.sender.subscribe()
	}
}

/// One line of the stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Line {
	/// Tokens `from..from + tokens.len()`.
	Tokens {
		/// The index of the first.
		from: usize,
		/// The tokens.
		tokens: Vec<u32>,
	},
	/// The end: `count` tokens in all.
	Done {
		/// Always true.
		done: bool,
		/// Tokens streamed in all.
		count: usize,
	},
	/// A line sealed to the client: the hex of [`crate::seal::seal`] of the
	/// JSON of a [`Line::Tokens`] or [`Line::Done`].
	Sealed {
		/// Hex.
		sealed: String,
	},
}

/// Longest line a reader accepts (a sealed line of 4 096 tokens fits).
pub const MAX_LINE_BYTES: usize = 128 << 10;

/// The lines of `feed` for `job`, sealed to `key` if it is given, as a
/// stream of text chunks for an HTTP body: every token once, in order, then
/// the end.
pub fn lines(
	job: JobId,
	feed: tokio::sync::watch::Receiver<Progress>,
	key: Option<[u8; 32]>,
) -> impl futures::Stream<Item = Result<String, std::io::Error>> + Send + 'static {
	let encode = move |line: Line| -> Result<String, std::io::Error> {
		let json = serde_json::to_string(&line).map_err(std::io::Error::other)?;
		let text = match &key {
			None => json,
			Some(key) => {
				let sealed =
					crate::seal::seal(job, key, json.as_bytes()).map_err(std::io::Error::other)?;
				serde_json::to_string(&Line::Sealed { sealed: hex::encode(sealed) })
					.map_err(std::io::Error::other)?
			},
		};
		Ok(text + "\n")
	};
	futures::stream::unfold((feed, 0usize, false), move |(mut feed, sent, ended)| async move {
		if ended {
			return None;
		}
		loop {
			let (fresh, done) = {
				let progress = feed.borrow_and_update();
				(progress.tokens.get(sent..).unwrap_or_default().to_vec(), progress.done)
			};
			if !fresh.is_empty() {
				let next = sent + fresh.len();
				return Some((
					encode(Line::Tokens { from: sent, tokens: fresh }),
					(feed, next, false),
				));
			}
			if done {
				return Some((encode(Line::Done { done: true, count: sent }), (feed, sent, true)));
			}
			if feed.changed().await.is_err() {
				// The feed was dropped without an end: the attempt failed.
				return Some((encode(Line::Done { done: true, count: sent }), (feed, sent, true)));
			}
		}
	})
}

/// Why a stream could not be followed.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
	/// The request failed or the connection broke.
	#[error("the stream at {uri}: {source}")]
	Request {
		/// The stream's URL.
		uri: String,
		/// The cause.
		source: reqwest::Error,
	},
	/// The provider does not stream this job (yet): `404` before it starts
	/// computing, or an error status.
	#[error("the provider answered {status}: {body}")]
	Status {
		/// The status.
		status: reqwest::StatusCode,
		/// The start of the body.
		body: String,
	},
	/// A line that is not a stream line, out of order, or does not open.
	#[error("the provider's stream is malformed: {0}")]
	Malformed(String),
}

/// Follows the stream of `job` at `uri` as its client `signer` (opening
/// sealed lines with `key`), calling `on_tokens(from, tokens)` for each new
/// run of tokens; returns the count the provider said it streamed, or
/// `None` if the connection ended without the end line.
pub async fn follow(
	uri: &str,
	job: JobId,
	signer: &sr25519::Keypair,
	key: Option<&OutputKey>,
	mut on_tokens: impl FnMut(usize, &[u32]),
) -> Result<Option<usize>, StreamError> {
	let request_error = |source| StreamError::Request { uri: uri.to_string(), source };
	let mut response =
		crate::output::signed_get(uri, job, signer, std::time::Duration::from_secs(120))
			.await
			.map_err(request_error)?;
	let status = response.status();
	if !status.is_success() {
		let body = response.text().await.unwrap_or_default().chars().take(300).collect();
		return Err(StreamError::Status { status, body });
	}
	let mut pending: Vec<u8> = Vec::new();
	let mut next = 0usize;
	while let Some(chunk) = response.chunk().await.map_err(request_error)? {
		pending.extend_from_slice(&chunk);
		while let Some(end) = pending.iter().position(|&b| b == b'\n') {
			let raw: Vec<u8> = pending.drain(..=end).collect();
			let line = parse_line(job, &raw[..raw.len() - 1], key)?;
			match line {
				Line::Tokens { from, tokens } => {
					if from != next {
						return Err(StreamError::Malformed(format!(
							"tokens from {from}, expected from {next}"
						)));
					}
					next += tokens.len();
					on_tokens(from, &tokens);
				},
				Line::Done { count, .. } => return Ok(Some(count)),
				Line::Sealed { .. } => unreachable!("parse_line opens sealed lines"),
			}
		}
		if pending.len() > MAX_LINE_BYTES {
			return Err(StreamError::Malformed(format!(
				"a line longer than {MAX_LINE_BYTES} bytes"
			)));
		}
	}
	Ok(None)
}

/// One line, opened if sealed (a sealed stream must be sealed throughout,
/// a plain one plain).
fn parse_line(job: JobId, raw: &[u8], key: Option<&OutputKey>) -> Result<Line, StreamError> {
	let malformed = |why: String| StreamError::Malformed(why);
	let line: Line = serde_json::from_slice(raw).map_err(|e| malformed(e.to_string()))?;
	match (line, key) {
		(Line::Sealed { sealed }, Some(key)) => {
			let bytes = hex::decode(&sealed).map_err(|e| malformed(e.to_string()))?;
			let plain = key.open(job, &bytes).map_err(|e| malformed(e.to_string()))?;
			let inner: Line =
				serde_json::from_slice(&plain).map_err(|e| malformed(e.to_string()))?;
			match inner {
				Line::Sealed { .. } => Err(malformed("a sealed line inside a sealed line".into())),
				inner => Ok(inner),
			}
		},
		(Line::Sealed { .. }, None) => {
			Err(malformed("a sealed line, and no key to open it".into()))
		},
		(_, Some(_)) => Err(malformed("a plain line in a stream sealed to the client".into())),
		(line, None) => Ok(line),
	}
}

#[cfg(test)]
mod tests {
	use futures::StreamExt;

	use super::*;

	fn collect(job: JobId, feed: &Feed, key: Option<[u8; 32]>) -> Vec<String> {
		let stream = lines(job, feed.subscribe(), key);
		futures::executor::block_on(stream.map(|l| l.unwrap()).collect::<Vec<_>>())
	}

	#[test]
	fn a_feed_streams_every_token_once_in_order_then_the_end() {
		let feed = Feed::new();
		for t in [5, 6, 7] {
			feed.push(t);
		}
		feed.finish();
		let lines = collect(1, &feed, None);
		assert_eq!(
			lines,
			vec!["{\"from\":0,\"tokens\":[5,6,7]}\n", "{\"done\":true,\"count\":3}\n"]
		);
		for line in &lines {
			let parsed = parse_line(1, line.trim_end().as_bytes(), None).unwrap();
			assert!(!matches!(parsed, Line::Sealed { .. }));
		}
	}

	#[test]
	fn a_sealed_stream_opens_only_for_its_client_and_job_and_refuses_plain_lines() {
		let bob = OutputKey::from_secret_uri("//Bob");
		let eve = OutputKey::from_secret_uri("//Eve");
		let feed = Feed::new();
		feed.push(42);
		feed.finish();
		let lines = collect(9, &feed, Some(bob.public()));
		// The line is ciphertext only: no plain field, no token list (its hex
		// may well contain "42" by chance, so that is not the test).
		assert!(lines[0].starts_with("{\"sealed\":\""), "a sealed line: {}", lines[0]);
		assert!(!lines[0].contains("tokens") && !lines[0].contains('['), "{}", lines[0]);
		let first = lines[0].trim_end().as_bytes();
		assert_eq!(
			parse_line(9, first, Some(&bob)).unwrap(),
			Line::Tokens { from: 0, tokens: vec![42] }
		);
		assert!(parse_line(9, first, Some(&eve)).is_err(), "another client's key");
		assert!(parse_line(10, first, Some(&bob)).is_err(), "another job");
		assert!(parse_line(9, first, None).is_err(), "no key");
		let plain = b"{\"from\":0,\"tokens\":[1]}";
		assert!(parse_line(9, plain, Some(&bob)).is_err(), "a plain line in a sealed stream");
	}

	#[test]
	fn a_dropped_feed_ends_the_stream() {
		let feed = Feed::new();
		feed.push(1);
		let receiver = feed.subscribe();
		drop(feed);
		let lines: Vec<String> =
			futures::executor::block_on(lines(3, receiver, None).map(|l| l.unwrap()).collect());
		assert_eq!(lines.len(), 2);
		assert!(lines[1].contains("\"done\":true"));
	}
}
