//! # hypha-agent
//!
//! The off-chain plumbing that `hypha-worker`, `hypha-verifier` and `hypha`
//! share, so that none of them depends on another:
//!
//! - [`fetch`]: fetching a job's blob by URI, refusing it unless it hashes
//!   to the digest the chain declares and fits its bound;
//! - [`output`]: the signed output channel: a job's output is served only
//!   to its client, who signs each request;
//! - [`process`]: logging, the Mesa quirk and the shutdown signal of a
//!   binary's `main`;
//! - [`metrics`]: Prometheus counters and the HTTP endpoint that serves
//!   them (plus whatever routes a daemon adds);
//! - [`config`]: a daemon's settings from a TOML file, flags on top;
//! - [`blocks`]: following finalized blocks with their events;
//! - [`progress`]: progress lines for long-running jobs;
//! - [`load`]: a job from its blobs, off the runtime's threads and within
//!   a time bound;
//! - [`stream`]: a `generate` job's tokens streamed to its client before
//!   the commitment.
//!
//! Chain access itself is `hypha-client`'s; job packaging is
//! `hypha-compute`'s.
//!
//! ## Failure modes
//!
//! A blob that does not match its digest or bound is a permanent
//! [`fetch::FetchError::Mismatch`]; a store that does not answer is
//! [`fetch::FetchError::Unavailable`] (worth retrying). An output request
//! without a fresh valid signature of the job's client is refused before
//! anything is read.

pub mod blocks;
pub mod config;
pub mod fetch;
pub mod load;
pub mod metrics;
pub mod output;
pub mod process;
pub mod progress;
pub mod seal;
pub mod store_auth;
pub mod stream;
