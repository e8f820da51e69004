//! The data plane with real processes: `hypha store serve` killed with
//! SIGKILL in the middle of an upload and started again on the same
//! directory serves every blob it had acknowledged, bit for bit, and no
//! part of the one it was receiving; uploads without a signature, or with
//! one already used, are refused by the running process; `hypha store put`
//! and `get` stream files and keep private ones private; and a store asking
//! a real dev node evicts what no live job names and keeps what one does.

use std::io::Write;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use hypha_blobstore::{auth, Access, BlobClient, BlobError, Digest};
use hypha_client::subxt_signer::sr25519::dev;
use hypha_e2e::{free_port, start_blob_store_in};

/// Bytes that are not all alike, so a torn or shifted file cannot hash right.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
	(0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1] ^ seed).collect()
}

/// Where a test's store keeps its blobs.
enum Where {
	Disk(std::path::PathBuf),
	/// An `s3s-fs` process (the S3 API over a directory), bucket `hypha`.
	S3(hypha_blobstore::s3::LocalS3),
}

impl Where {
	fn args(&self) -> Vec<String> {
		match self {
			Where::Disk(dir) => vec!["--dir".into(), dir.display().to_string()],
			Where::S3(s3) => {
				["--s3-bucket", "hypha", "--s3-endpoint", s3.endpoint()].map(String::from).to_vec()
			},
		}
	}

	async fn start(&self, name: &str, port: u16) -> Result<hypha_e2e::Daemon> {
		let args = self.args();
		let args: Vec<&str> = args.iter().map(String::as_str).collect();
		hypha_e2e::start_blob_store_with(name, port, &args).await
	}

	/// Uploads in progress as the backend shows them: files in `tmp/`, or
	/// nothing for S3 (a multipart upload is invisible until completed).
	fn in_progress(&self) -> Result<usize> {
		match self {
			Where::Disk(dir) => Ok(std::fs::read_dir(dir.join("tmp"))?.count()),
			Where::S3(_) => Ok(0),
		}
	}

	/// The blobs the backend holds, looked at behind the store's back.
	async fn stored(&self) -> Result<usize> {
		match self {
			Where::Disk(dir) => {
				let mut count = 0;
				for shard in std::fs::read_dir(dir.join("blobs"))? {
					count += std::fs::read_dir(shard?.path())?.count();
				}
				Ok(count)
			},
			Where::S3(s3) => {
				Ok(hypha_blobstore::S3::new(&s3.config("hypha", ""))?.blob_objects().await?.len())
			},
		}
	}
}

#[tokio::test]
async fn a_store_killed_mid_upload_restarts_with_every_completed_blob_and_no_partial_one(
) -> Result<()> {
	let dir = std::env::temp_dir().join(format!("hypha-data-restart-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	killed_mid_upload(Where::Disk(dir.clone())).await?;
	std::fs::remove_dir_all(&dir).context("removing the store directory")
}

#[tokio::test]
async fn a_store_on_s3_killed_mid_upload_restarts_with_every_completed_blob_and_no_partial_one(
) -> Result<()> {
	let s3 = hypha_blobstore::s3::LocalS3::start("hypha").await?;
	// The store process signs its S3 requests with these (from the environment, as in production).
	std::env::set_var("AWS_ACCESS_KEY_ID", hypha_blobstore::s3::LOCAL_S3_KEYS.0);
	std::env::set_var("AWS_SECRET_ACCESS_KEY", hypha_blobstore::s3::LOCAL_S3_KEYS.1);
	killed_mid_upload(Where::S3(s3)).await
}

async fn killed_mid_upload(place: Where) -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let port = free_port()?;
	let mut store = place.start("data-store", port).await?;
	let base = store.url();
	let alice = BlobClient::new(base.clone())?.with_signer(dev::alice());

	// Two completed uploads: one public, one private to Alice.
	let public = pattern(3 << 20, 1);
	let private = pattern(1 << 20, 2);
	let public_digest = alice.put(public.clone(), &Access::public()).await?;
	let private_digest = alice.put(private.clone(), &Access::private(Vec::new())).await?;

	// A third upload, 24 MiB declared, of which 10 MiB are sent before the
	// store is killed (on S3, one 8 MiB part of its multipart upload is
	// then in the bucket, invisible).
	let torn = pattern(24 << 20, 3);
	let torn_digest = Digest::of(&torn);
	let authority = format!("127.0.0.1:{port}");
	let timestamp = auth::unix_now();
	let message = auth::put_message(
		&authority,
		&torn_digest,
		torn.len() as u64,
		&Access::public(),
		timestamp,
	);
	let mut request = format!(
		"PUT /blobs/{} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nx-hypha-access: public\r\n",
		torn_digest.to_hex(),
		torn.len()
	);
	for (name, value) in auth::sign(&dev::bob(), &message, timestamp) {
		request.push_str(&format!("{name}: {value}\r\n"));
	}
	request.push_str("\r\n");
	let mut socket = std::net::TcpStream::connect(&authority)?;
	socket.write_all(request.as_bytes())?;
	socket.write_all(&torn[..10 << 20])?;
	socket.flush()?;
	// Let the store write what arrived to its temporary file.
	tokio::time::sleep(Duration::from_millis(500)).await;
	let in_progress = place.in_progress()?;
	ensure!(
		in_progress == usize::from(matches!(place, Where::Disk(_))),
		"the upload in progress should be one temporary file on disk, found {in_progress}"
	);
	store.process.kill();
	drop(socket);

	let store = place.start("data-store-again", port).await?;
	ensure!(place.in_progress()? == 0, "the restarted store should have removed the torn upload");
	ensure!(place.stored().await? == 2, "the backend should hold the two completed blobs only");
	let log = store.process.log();
	ensure!(log.contains("blob store opened"), "{log}");
	// Everything acknowledged is there, bit for bit; the private blob still
	// private.
	let reader = BlobClient::new(base.clone())?;
	ensure!(reader.get(&public_digest, 16 << 20).await? == public, "the public blob changed");
	match reader.get(&private_digest, 16 << 20).await {
		Err(BlobError::Status { status: 401, .. }) => {},
		other => anyhow::bail!("an unsigned read of a private blob should be 401: {other:?}"),
	}
	match BlobClient::new(base.clone())?
		.with_signer(dev::charlie())
		.get(&private_digest, 16 << 20)
		.await
	{
		Err(BlobError::Status { status: 403, .. }) => {},
		other => anyhow::bail!("a stranger's read of a private blob should be 403: {other:?}"),
	}
	ensure!(alice.get(&private_digest, 16 << 20).await? == private, "the private blob changed");
	// Nothing of the torn one.
	match reader.get(&torn_digest, 32 << 20).await {
		Err(BlobError::Status { status: 404, .. }) => {},
		other => anyhow::bail!("the torn upload should not exist: {other:?}"),
	}
	// It can be uploaded again, whole.
	let bob = BlobClient::new(base.clone())?.with_signer(dev::bob());
	ensure!(bob.put(torn.clone(), &Access::public()).await? == torn_digest, "re-upload");
	ensure!(reader.get(&torn_digest, 32 << 20).await? == torn, "the re-uploaded blob");

	// An unsigned upload, and a replay of a signed one, are refused.
	let http = reqwest::Client::new();
	let small = b"an unsigned upload".to_vec();
	let url = format!("{base}/blobs/{}", Digest::of(&small).to_hex());
	let unsigned = http.put(&url).body(small.clone()).send().await?;
	ensure!(unsigned.status().as_u16() == 401, "unsigned upload: {}", unsigned.status());
	let timestamp = auth::unix_now();
	let message = auth::put_message(
		&authority,
		&Digest::of(&small),
		small.len() as u64,
		&Access::public(),
		timestamp,
	);
	let headers = auth::sign(&dev::dave(), &message, timestamp);
	let send = || {
		let mut request = http.put(&url).body(small.clone());
		for (name, value) in &headers {
			request = request.header(*name, value);
		}
		request.send()
	};
	ensure!(send().await?.status().is_success(), "the signed upload");
	let replayed = send().await?;
	ensure!(replayed.status().as_u16() == 401, "a replayed upload: {}", replayed.status());
	let text = replayed.text().await?;
	ensure!(text.contains("replay") || text.contains("already"), "{text}");

	// The restarted process counts what it did (Prometheus, same port).
	let metrics = reqwest::get(format!("{base}/metrics")).await?.text().await?;
	for line in [
		"hypha_store_blobs 4",
		"hypha_store_reads_refused_total 2",
		"hypha_store_uploads_refused_total 2",
		"hypha_store_uploads_total 2",
	] {
		ensure!(
			metrics.lines().any(|l| l == line),
			"no `{line}` in the store's metrics:\n{metrics}"
		);
	}

	ensure!(place.stored().await? == 4, "the backend should hold four blobs");
	drop(store);
	Ok(())
}

#[tokio::test]
async fn hypha_store_put_and_get_stream_a_file_and_keep_a_private_one_private() -> Result<()> {
	let dir = std::env::temp_dir().join(format!("hypha-data-cli-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	std::fs::create_dir_all(&dir)?;
	let store =
		start_blob_store_in("data-cli-store", &dir.join("store"), free_port()?, &[]).await?;
	let url = store.url();
	let file = dir.join("model.bin");
	let bytes = pattern(5 << 20, 9);
	std::fs::write(&file, &bytes)?;
	let file_arg = file.display().to_string();
	let put = hypha_e2e::hypha_cli(&[
		"store",
		"put",
		&file_arg,
		"--store",
		&url,
		"--seed",
		"//Alice",
		"--private",
	])
	.await?;
	let printed = |label: &str| -> Result<String> {
		let line = put.lines().find_map(|line| line.strip_prefix(label));
		Ok(line.with_context(|| format!("no `{label}` line printed: {put}"))?.trim().to_string())
	};
	let digest = printed("digest ")?;
	ensure!(digest == format!("0x{}", Digest::of(&bytes).to_hex()), "{put}");
	let root = printed("chunks ")?;
	let expected = hypha_blobstore::chunks::Manifest::of(&bytes).root();
	ensure!(root == format!("0x{}", expected.to_hex()), "{put}");
	ensure!(put.contains(&format!("?b3={}", expected.to_hex())), "the URI names the root: {put}");

	// The uploader gets it back, streamed to a file, every chunk checked.
	let out = dir.join("fetched.bin");
	let out_arg = out.display().to_string();
	let got = hypha_e2e::hypha_cli(&[
		"store", "get", &digest, "--out", &out_arg, "--store", &url, "--seed", "//Alice", "--b3",
		&root,
	])
	.await?;
	ensure!(got.contains("every chunk and the digest checked"), "{got}");
	ensure!(std::fs::read(&out)? == bytes, "the fetched file differs");
	// A root that is not the blob's is refused before the blob is read.
	std::fs::remove_file(&out)?;
	let wrong_root = format!("0x{}", "00".repeat(32));
	let wrong = hypha_e2e::hypha_cli_fails(&[
		"store",
		"get",
		&digest,
		"--out",
		&out_arg,
		"--store",
		&url,
		"--seed",
		"//Alice",
		"--b3",
		&wrong_root,
	])
	.await?;
	ensure!(wrong.contains("chunk manifest hashes to"), "{wrong}");
	ensure!(!out.exists(), "a refused download left a file");
	// Without a key, or as someone else, it is refused, and no file appears.
	let other = dir.join("other.bin");
	let other_arg = other.display().to_string();
	let refused = async |extra: &[&str]| -> Result<String> {
		let mut args = vec![
			"store",
			"get",
			digest.as_str(),
			"--out",
			other_arg.as_str(),
			"--store",
			url.as_str(),
		];
		args.extend_from_slice(extra);
		hypha_e2e::hypha_cli_fails(&args).await
	};
	let unsigned = refused(&[]).await?;
	ensure!(unsigned.contains("401"), "{unsigned}");
	let stranger = refused(&["--seed", "//Charlie"]).await?;
	ensure!(stranger.contains("403"), "{stranger}");
	ensure!(!other.exists(), "a refused download left a file");
	// A blob over the reader's bound is refused before it is read.
	let small = refused(&["--seed", "//Alice", "--max-mib", "1"]).await?;
	ensure!(small.contains("the blob is 5.0 MiB, the bound here is 1.0 MiB"), "{small}");
	drop(store);
	std::fs::remove_dir_all(&dir)?;
	Ok(())
}

#[tokio::test]
async fn the_retention_sweep_keeps_what_a_live_job_names_and_evicts_the_rest() -> Result<()> {
	use hypha_client::{api, JobSpec, Static, Uri, WorkloadKind};
	let _serial = hypha_e2e::serial().await;
	let mut node = hypha_e2e::NodeProcess::start("data-retention", &["--dev"])?;
	let chain = node.client(Duration::from_secs(120)).await?;
	let dir = std::env::temp_dir().join(format!("hypha-data-retention-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	let node_url = node.ws_url();
	// Everything older than 0 hours that no live job names goes at the next
	// sweep, and the sweep runs every second.
	let flags = ["--node", node_url.as_str(), "--retention-hours", "0", "--sweep-every-secs", "1"];
	let store = start_blob_store_in("data-retention-store", &dir, free_port()?, &flags).await?;
	let base = store.url();
	let alice = BlobClient::new(base.clone())?.with_signer(dev::alice());
	let unused = alice.put(pattern(4096, 5), &Access::public()).await?;

	// An open job names a program and an input (no worker runs, so it stays
	// open). It goes on chain before they are uploaded: at 0 hours of
	// retention, a blob that waits for its job longer than a sweep is gone
	// (docs/DATA.md: upload close to submitting).
	let (program, input) = (Digest::of(&pattern(4096, 6)), Digest::of(&pattern(4096, 7)));
	let uri = |digest: &Digest| Uri::truncate_from(alice.blob_url(digest).into_bytes());
	let spec = JobSpec {
		kind: WorkloadKind::Training,
		program_digest: program.0,
		program_uri: uri(&program),
		input_digest: input.0,
		input_uri: uri(&input),
		compute_units: 10,
		max_output_bytes: 1 << 20,
		output_key: None,
		model: None,
	};
	let budget = 5 * hypha_primitives::HYPHA;
	hypha_client::submit(
		&chain,
		&api::tx().jobs().submit_job(Static(spec), budget, 20),
		&dev::alice(),
	)
	.await?;
	ensure!(alice.put(pattern(4096, 6), &Access::public()).await? == program);
	ensure!(alice.put(pattern(4096, 7), &Access::private(Vec::new())).await? == input);

	let reader = BlobClient::new(base.clone())?;
	let deadline = std::time::Instant::now() + Duration::from_secs(60);
	loop {
		match reader.get(&unused, 1 << 20).await {
			Err(BlobError::Status { status: 404, .. }) => break,
			Ok(_) if std::time::Instant::now() < deadline => {
				tokio::time::sleep(Duration::from_millis(300)).await
			},
			other => anyhow::bail!(
				"the unused blob should have been evicted: {other:?}\n{}",
				store.process.log()
			),
		}
	}
	// A few more sweeps: what the live job names stays.
	tokio::time::sleep(Duration::from_secs(3)).await;
	ensure!(reader.get(&program, 1 << 20).await? == pattern(4096, 6), "the job's program went");
	ensure!(alice.get(&input, 1 << 20).await? == pattern(4096, 7), "the job's input went");
	let log = store.process.log();
	ensure!(log.contains("retention sweep evicted"), "{log}");
	let metrics = reqwest::get(format!("{base}/metrics")).await?.text().await?;
	ensure!(metrics.lines().any(|l| l == "hypha_store_blobs 2"), "{metrics}");
	drop(store);
	std::fs::remove_dir_all(&dir)?;
	Ok(())
}
