//! The store driven through real HTTP on port 0, on each backend: a real
//! directory, and a real S3-compatible server (`s3s-fs`, started per test
//! as a process). Every test that touches the store runs on both (the
//! `disk::` and `s3::` test names).

use std::collections::HashSet;
use std::sync::Arc;

use axum::routing::get;
use futures::future::BoxFuture;
use hypha_blobstore::auth;
use hypha_blobstore::s3::LocalS3;
use hypha_blobstore::{
	serve, Access, Account, Authorizer, Backend, BlobClient, BlobError, BlobStore, Digest, Disk,
	Limits, ServerConfig, S3,
};
use subxt_signer::sr25519::{dev, Keypair};
use tokio::sync::oneshot;

/// Which backend a test's store runs on.
#[derive(Debug, Clone, Copy)]
enum Kind {
	Disk,
	S3,
}

/// Runs each named test once per backend: `disk::name` and `s3::name`.
macro_rules! on_each_backend {
	($($name:ident),* $(,)?) => {
		mod disk {
			$(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
			async fn $name() {
				super::$name(super::Kind::Disk).await
			})*
		}
		mod s3 {
			$(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
			async fn $name() {
				super::$name(super::Kind::S3).await
			})*
		}
	};
}

on_each_backend!(
	put_then_get_returns_the_same_bytes,
	unsigned_replayed_and_misdirected_uploads_are_refused,
	get_of_an_unknown_digest_is_not_found,
	uploads_over_a_limit_or_quota_are_refused_and_cost_nothing,
	bytes_that_are_not_the_named_digest_are_not_kept,
	fetch_over_the_callers_bound_is_refused,
	private_blobs_are_served_only_to_owners_and_listed_readers,
	knowing_a_digest_without_its_bytes_makes_nobody_an_owner,
	a_jobs_parties_read_its_clients_private_blob_through_the_job,
	a_broken_download_resumes_and_a_flipped_byte_is_caught,
	a_file_upload_streams_and_reports_progress,
	an_output_tagged_by_its_uploader_is_listed_to_its_reader_only,
	a_flood_of_blobs_tagged_with_the_job_cannot_hide_the_providers_output,
	a_multipart_blob_is_whole_or_absent_and_survives_reopening,
	a_checked_download_stops_at_the_first_bad_chunk_and_resumes_after_the_good_ones,
);

/// Where a test server's bytes are, to look at them or tamper with them
/// behind the store's back.
enum Raw {
	Disk(Disk),
	/// The backend, and the server process it talks to (kept alive).
	S3(S3, #[allow(dead_code)] LocalS3),
}

struct Server {
	url: String,
	store: BlobStore,
	raw: Raw,
	_dir: tempfile::TempDir,
	_stop: oneshot::Sender<()>,
}

impl Server {
	/// The blob's bytes as the backend holds them (`None`: not there).
	async fn raw_bytes(&self, digest: &Digest) -> Option<Vec<u8>> {
		match &self.raw {
			Raw::Disk(disk) => std::fs::read(disk.local_path(digest)?).ok(),
			Raw::S3(s3, _) => {
				let got = s3.object_store().get(&s3.blob_key(digest)).await.ok()?;
				Some(got.bytes().await.ok()?.to_vec())
			},
		}
	}

	/// Replaces the blob's bytes behind the store's back.
	async fn overwrite(&self, digest: &Digest, bytes: Vec<u8>) {
		match &self.raw {
			Raw::Disk(disk) => std::fs::write(disk.local_path(digest).unwrap(), bytes).unwrap(),
			Raw::S3(s3, _) => {
				s3.object_store().put(&s3.blob_key(digest), bytes.into()).await.unwrap();
			},
		}
	}

	/// The same backend opened again, as after a restart.
	async fn reopen(&self) -> BlobStore {
		BlobStore::on(self.raw.backend(), self.store.limits()).await.unwrap()
	}
}

impl Raw {
	fn backend(&self) -> Arc<dyn Backend> {
		match self {
			Raw::Disk(disk) => Arc::new(disk.clone()),
			Raw::S3(s3, _) => Arc::new(s3.clone()),
		}
	}
}

async fn start_with(kind: Kind, limits: Limits, authorizer: Option<Arc<dyn Authorizer>>) -> Server {
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let address = listener.local_addr().unwrap();
	let dir = tempfile::tempdir().unwrap();
	let raw = match kind {
		Kind::Disk => Raw::Disk(Disk::new(dir.path()).unwrap()),
		Kind::S3 => {
			let local = LocalS3::start_in(dir.path(), "hypha").await.unwrap();
			let s3 = S3::new(&local.config("hypha", "store")).unwrap();
			Raw::S3(s3, local)
		},
	};
	let (stop, stopped) = oneshot::channel::<()>();
	let store = BlobStore::on(raw.backend(), limits).await.unwrap();
	let server = Server { url: format!("http://{address}"), store, raw, _dir: dir, _stop: stop };
	let config =
		ServerConfig { authority: Some(address.to_string()), authorizer, ..Default::default() };
	let served = server.store.clone();
	tokio::spawn(async move {
		serve(listener, served, config, async {
			let _ = stopped.await;
		})
		.await
		.unwrap();
	});
	server
}

async fn start(kind: Kind, max_blob_bytes: u64) -> Server {
	start_with(kind, Limits::per_blob(max_blob_bytes), None).await
}

fn client(server: &Server, key: Option<Keypair>) -> BlobClient {
	let client = BlobClient::new(&server.url).unwrap();
	match key {
		Some(key) => client.with_signer(key),
		None => client,
	}
}

fn account(key: &Keypair) -> Account {
	key.public_key().0
}

fn status(result: &Result<impl std::fmt::Debug, BlobError>) -> Option<u16> {
	match result {
		Err(BlobError::Status { status, .. }) => Some(*status),
		_ => None,
	}
}

async fn put_then_get_returns_the_same_bytes(kind: Kind) {
	let server = start(kind, 1 << 20).await;
	let alice = client(&server, Some(dev::alice()));
	let digest = alice.put(b"hello hypha".to_vec(), &Access::public()).await.unwrap();
	assert_eq!(digest, Digest::of(b"hello hypha"));
	// Public: anyone reads it, signed or not.
	assert_eq!(client(&server, None).get(&digest, 1024).await.unwrap(), b"hello hypha");
	assert_eq!(server.store.usage(&account(&dev::alice())), 11);
}

async fn unsigned_replayed_and_misdirected_uploads_are_refused(kind: Kind) {
	let server = start(kind, 1 << 20).await;
	let unsigned = client(&server, None).put(b"x".to_vec(), &Access::public()).await;
	assert!(matches!(unsigned, Err(BlobError::NoSigner)), "{unsigned:?}");

	let http = reqwest::Client::new();
	let digest = Digest::of(b"payload");
	let url = format!("{}/blobs/{}", server.url, digest.to_hex());
	let send = |headers: Vec<(&'static str, String)>| {
		let mut request = http.put(&url).body(b"payload".to_vec());
		for (name, value) in headers {
			request = request.header(name, value);
		}
		request.send()
	};
	assert_eq!(send(vec![]).await.unwrap().status(), 401);

	let authority = server.url.trim_start_matches("http://").to_string();
	let now = auth::unix_now();
	let message = auth::put_message(&authority, &digest, 7, &Access::public(), now);
	let signed = auth::sign(&dev::bob(), &message, now).to_vec();
	assert_eq!(send(signed.clone()).await.unwrap().status(), 201);
	// The same signed request again: a replay.
	let replay = send(signed).await.unwrap();
	assert_eq!(replay.status(), 401);
	assert!(replay.text().await.unwrap().contains("replay"));

	// Signed for another store.
	let message = auth::put_message("127.0.0.1:1", &digest, 7, &Access::public(), now);
	assert_eq!(send(auth::sign(&dev::bob(), &message, now).to_vec()).await.unwrap().status(), 401);
	// Signed as a public upload, sent as a private one.
	let message = auth::put_message(&authority, &digest, 7, &Access::public(), now);
	let mut headers = auth::sign(&dev::bob(), &message, now).to_vec();
	headers.push((auth::ACCESS_HEADER, "private".into()));
	assert_eq!(send(headers).await.unwrap().status(), 401);
	// Stale.
	let old = now - auth::MAX_CLOCK_SKEW_SECS - 5;
	let message = auth::put_message(&authority, &digest, 7, &Access::public(), old);
	assert_eq!(send(auth::sign(&dev::bob(), &message, old).to_vec()).await.unwrap().status(), 401);
}

async fn get_of_an_unknown_digest_is_not_found(kind: Kind) {
	let server = start(kind, 1024).await;
	let result = client(&server, None).get(&Digest::of(b"absent"), 1024).await;
	assert_eq!(status(&result), Some(404), "{result:?}");
}

async fn uploads_over_a_limit_or_quota_are_refused_and_cost_nothing(kind: Kind) {
	let limits = Limits { max_blob_bytes: 100, quota_per_account: 150, max_total_bytes: 1000 };
	let server = start_with(kind, limits, None).await;
	let alice = client(&server, Some(dev::alice()));
	let result = alice.put(vec![7; 101], &Access::public()).await;
	assert_eq!(status(&result), Some(413), "{result:?}");
	alice.put(vec![7; 100], &Access::public()).await.unwrap();
	let result = alice.put(vec![8; 51], &Access::public()).await;
	assert_eq!(status(&result), Some(507), "{result:?}");
	assert_eq!(server.store.usage(&account(&dev::alice())), 100);
	// Bob's quota is his own.
	client(&server, Some(dev::bob())).put(vec![8; 51], &Access::public()).await.unwrap();
}

async fn bytes_that_are_not_the_named_digest_are_not_kept(kind: Kind) {
	let server = start(kind, 1 << 20).await;
	let http = reqwest::Client::new();
	let authority = server.url.trim_start_matches("http://").to_string();
	let named = Digest::of(b"genuine");
	let now = auth::unix_now();
	let message = auth::put_message(&authority, &named, 6, &Access::public(), now);
	let mut request =
		http.put(format!("{}/blobs/{}", server.url, named.to_hex())).body(b"forged".to_vec());
	for (name, value) in auth::sign(&dev::alice(), &message, now) {
		request = request.header(name, value);
	}
	assert_eq!(request.send().await.unwrap().status(), 400);
	assert_eq!(server.store.totals(), (0, 0));
}

async fn fetch_over_the_callers_bound_is_refused(kind: Kind) {
	let server = start(kind, 1 << 20).await;
	let digest =
		client(&server, Some(dev::alice())).put(vec![1; 5000], &Access::public()).await.unwrap();
	let result = client(&server, None).get(&digest, 4999).await;
	assert!(matches!(result, Err(BlobError::TooLarge { size: 5000, limit: 4999 })), "{result:?}");
}

#[tokio::test]
async fn bytes_that_do_not_match_the_digest_are_refused() {
	// A lying server: answers every digest with the same bytes.
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let url = format!("http://{}", listener.local_addr().unwrap());
	let app = axum::Router::new().route("/blobs/{digest}", get(|| async { "forged" }));
	tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
	let result = BlobClient::new(&url).unwrap().get(&Digest::of(b"genuine"), 1024).await;
	assert!(matches!(result, Err(BlobError::DigestMismatch { .. })), "{result:?}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let url = format!("http://{}", listener.local_addr().unwrap());
	let app = axum::Router::new().route(
		"/blobs/{digest}",
		get(|| async { axum::response::Redirect::temporary("http://169.254.169.254/latest") }),
	);
	tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
	let result = BlobClient::new(&url).unwrap().get(&Digest::of(b"x"), 1024).await;
	assert_eq!(status(&result), Some(307), "{result:?}");
	assert!(result.unwrap_err().to_string().contains("redirects are not followed"));
}

#[tokio::test]
async fn a_store_that_does_not_answer_times_out_with_a_clear_error() {
	// Accepts connections and never answers.
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let url = format!("http://{}", listener.local_addr().unwrap());
	tokio::spawn(async move {
		let mut held = Vec::new();
		while let Ok((socket, _)) = listener.accept().await {
			held.push(socket);
		}
	});
	let client = BlobClient::with_timeout(&url, std::time::Duration::from_millis(300)).unwrap();
	let result = client.get(&Digest::of(b"x"), 1024).await;
	assert!(matches!(result, Err(BlobError::Timeout { .. })), "{result:?}");
	assert!(result.unwrap_err().to_string().contains("did not answer in 0.3 s"));
}

#[tokio::test]
async fn a_tarpit_store_that_trickles_bytes_is_given_up_on() {
	// Answers at once, announces a megabyte and sends a byte every 100 ms:
	// never idle long enough for the idle timeout, slow enough to hold a
	// fetch for a day.
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let url = format!("http://{}", listener.local_addr().unwrap());
	tokio::spawn(async move {
		while let Ok((mut socket, _)) = listener.accept().await {
			tokio::spawn(async move {
				let mut request = [0u8; 4096];
				let _ = socket.read(&mut request).await;
				let head = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
				if socket.write_all(head.as_bytes()).await.is_err() {
					return;
				}
				loop {
					if socket.write_all(b"x").await.is_err() {
						return;
					}
					tokio::time::sleep(std::time::Duration::from_millis(100)).await;
				}
			});
		}
	});
	let floor = std::time::Duration::from_millis(500);
	let client = BlobClient::new(&url).unwrap().with_rate_floor(10_000, floor);
	let started = std::time::Instant::now();
	let result = client.get(&Digest::of(b"x"), 1 << 20).await;
	assert!(matches!(result, Err(BlobError::TooSlow { .. })), "{result:?}");
	assert!(started.elapsed() < std::time::Duration::from_secs(5));
	let dir = tempfile::tempdir().unwrap();
	let to_file =
		client.get_to_file(&Digest::of(b"x"), 1 << 20, None, &dir.path().join("x"), None).await;
	assert!(matches!(to_file, Err(BlobError::TooSlow { .. })), "{to_file:?}");
	assert!(to_file.unwrap_err().to_string().contains("slower than the floor"));
	// The manifest request too.
	let chunks = client.chunks(&Digest::of(b"x"), &Digest([1; 32]), 1 << 40, None).await;
	assert!(matches!(chunks, Err(BlobError::TooSlow { .. })), "{chunks:?}");
}

async fn private_blobs_are_served_only_to_owners_and_listed_readers(kind: Kind) {
	let server = start(kind, 1 << 20).await;
	let reader = dev::charlie();
	let access = Access::private(vec![account(&reader)]);
	let digest =
		client(&server, Some(dev::alice())).put(b"job input".to_vec(), &access).await.unwrap();

	let unsigned = client(&server, None).get(&digest, 1024).await;
	assert_eq!(status(&unsigned), Some(401), "{unsigned:?}");
	let stranger = client(&server, Some(dev::eve())).get(&digest, 1024).await;
	assert_eq!(status(&stranger), Some(403), "{stranger:?}");
	for key in [dev::alice(), reader] {
		assert_eq!(client(&server, Some(key)).get(&digest, 1024).await.unwrap(), b"job input");
	}
	// The bytes on disk are the store's own (not encrypted at rest); the
	// store's directory is its operator's. Access is checked per request.
	assert!(server.raw_bytes(&digest).await.is_some());
}

async fn knowing_a_digest_without_its_bytes_makes_nobody_an_owner(kind: Kind) {
	let server = start(kind, 1 << 20).await;
	let digest = client(&server, Some(dev::alice()))
		.put(b"secret input".to_vec(), &Access::private(vec![]))
		.await
		.unwrap();
	// Eve read the digest off the chain and claims the blob with other bytes.
	let http = reqwest::Client::new();
	let authority = server.url.trim_start_matches("http://").to_string();
	let now = auth::unix_now();
	let fake = b"not the secret".to_vec();
	let access = Access::private(vec![]);
	let message = auth::put_message(&authority, &digest, fake.len() as u64, &access, now);
	let mut request = http
		.put(format!("{}/blobs/{}", server.url, digest.to_hex()))
		.header(auth::ACCESS_HEADER, "private")
		.body(fake);
	for (name, value) in auth::sign(&dev::eve(), &message, now) {
		request = request.header(name, value);
	}
	assert_eq!(request.send().await.unwrap().status(), 400);
	assert_eq!(server.store.meta(&digest).unwrap().owners, vec![account(&dev::alice())]);
	let eve = client(&server, Some(dev::eve())).get(&digest, 1024).await;
	assert_eq!(status(&eve), Some(403), "{eve:?}");
}

/// The chain's answer for one job: its client, the digests it names, its parties.
struct OneJob {
	job: u64,
	client: Account,
	digests: Vec<Digest>,
	parties: Vec<Account>,
}

impl Authorizer for OneJob {
	fn may_read(
		&self,
		job: u64,
		digest: Digest,
		reader: Account,
		owners: Vec<Account>,
	) -> BoxFuture<'static, Result<bool, String>> {
		let allowed = job == self.job
			&& owners.contains(&self.client)
			&& self.digests.contains(&digest)
			&& self.parties.contains(&reader);
		Box::pin(async move { Ok(allowed) })
	}

	fn needed(&self) -> BoxFuture<'static, Result<HashSet<Digest>, String>> {
		let needed = self.digests.iter().copied().collect();
		Box::pin(async move { Ok(needed) })
	}
}

async fn a_jobs_parties_read_its_clients_private_blob_through_the_job(kind: Kind) {
	let input = b"private input".to_vec();
	let digest = Digest::of(&input);
	let authorizer = OneJob {
		job: 9,
		client: account(&dev::alice()),
		digests: vec![digest],
		parties: vec![account(&dev::dave())],
	};
	let server = start_with(kind, Limits::per_blob(1 << 20), Some(Arc::new(authorizer))).await;
	client(&server, Some(dev::alice())).put(input.clone(), &Access::private(vec![])).await.unwrap();
	let dave = client(&server, Some(dev::dave()));
	assert_eq!(dave.get_through_job(&digest, 1024, Some(9), None).await.unwrap(), input);
	// Not without naming the job, not through another job, not for Eve.
	assert_eq!(status(&dave.get(&digest, 1024).await), Some(403));
	assert_eq!(status(&dave.get_through_job(&digest, 1024, Some(8), None).await), Some(403));
	let eve = client(&server, Some(dev::eve()));
	assert_eq!(status(&eve.get_through_job(&digest, 1024, Some(9), None).await), Some(403));
	// Eve uploads the same bytes (she has them), but job 9's client is Alice:
	// Eve's being an owner gives Dave nothing more and Eve reads as an owner.
	eve.put(input.clone(), &Access::private(vec![])).await.unwrap();
	assert_eq!(eve.get(&digest, 1024).await.unwrap(), input);
}

async fn a_broken_download_resumes_and_a_flipped_byte_is_caught(kind: Kind) {
	let server = start(kind, 16 << 20).await;
	let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
	let digest =
		client(&server, Some(dev::alice())).put(bytes.clone(), &Access::public()).await.unwrap();
	let dir = tempfile::tempdir().unwrap();
	let target = dir.path().join("blob.bin");
	// A download that broke off after the first million bytes.
	std::fs::write(dir.path().join("blob.bin.part"), &bytes[..1_000_000]).unwrap();
	let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
	let progress = {
		let seen = seen.clone();
		Arc::new(move |done: u64, total: u64| seen.lock().unwrap().push((done, total)))
	};
	let reader = client(&server, None);
	let got = reader.get_to_file(&digest, 16 << 20, None, &target, Some(progress)).await.unwrap();
	assert_eq!(got, 3_000_000);
	assert_eq!(std::fs::read(&target).unwrap(), bytes);
	{
		let seen = seen.lock().unwrap();
		assert!(
			seen.first().unwrap().0 > 1_000_000 && seen.last().unwrap() == &(3_000_000, 3_000_000)
		);
	}

	// A byte flipped on the store's disk: the download is refused and leaves nothing.
	let mut corrupt = bytes.clone();
	corrupt[2_500_000] ^= 1;
	server.overwrite(&digest, corrupt).await;
	let again = dir.path().join("again.bin");
	let result = reader.get_to_file(&digest, 16 << 20, None, &again, None).await;
	assert!(matches!(result, Err(BlobError::DigestMismatch { .. })), "{result:?}");
	assert!(!again.exists() && !dir.path().join("again.bin.part").exists());
}

async fn a_file_upload_streams_and_reports_progress(kind: Kind) {
	let server = start(kind, 16 << 20).await;
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("weights.bin");
	let bytes = vec![3u8; 2_000_000];
	std::fs::write(&path, &bytes).unwrap();
	let last = Arc::new(std::sync::atomic::AtomicU64::new(0));
	let progress = {
		let last = last.clone();
		Arc::new(move |done: u64, _total: u64| {
			last.store(done, std::sync::atomic::Ordering::Relaxed)
		})
	};
	let alice = client(&server, Some(dev::alice()));
	let digest = alice.put_file(&path, &Access::public(), Some(progress)).await.unwrap();
	assert_eq!(digest, Digest::of(&bytes));
	assert_eq!(last.load(std::sync::atomic::Ordering::Relaxed), 2_000_000);
	assert_eq!(server.raw_bytes(&digest).await.unwrap(), bytes);
}

async fn an_output_tagged_by_its_uploader_is_listed_to_its_reader_only(kind: Kind) {
	let server = start(kind, 1 << 20).await;
	let (worker, client_key, stranger) = (dev::eve(), dev::bob(), dev::charlie());
	let output = b"the output of job 7".to_vec();
	let uploader = client(&server, Some(worker.clone()));
	let digest =
		uploader.put(output.clone(), &Access::private(vec![account(&client_key)])).await.unwrap();
	uploader.tag_output(&digest, 7).await.unwrap();
	// The reader finds it by the job and reads it; a stranger sees nothing
	// listed and may not read it.
	let reader = client(&server, Some(client_key.clone()));
	assert_eq!(reader.outputs_of(7, &account(&worker)).await.unwrap(), vec![digest]);
	assert!(reader.outputs_of(8, &account(&worker)).await.unwrap().is_empty());
	assert_eq!(reader.get(&digest, 1 << 20).await.unwrap(), output);
	let outsider = client(&server, Some(stranger.clone()));
	assert!(outsider.outputs_of(7, &account(&worker)).await.unwrap().is_empty());
	assert_eq!(status(&outsider.get(&digest, 1 << 20).await), Some(403));
	// Only an owner may tag; an unsigned listing is refused.
	assert_eq!(status(&outsider.tag_output(&digest, 9).await), Some(403));
	assert!(matches!(
		client(&server, None).outputs_of(7, &account(&worker)).await,
		Err(BlobError::NoSigner)
	));
	let unsigned =
		reqwest::get(format!("{}/jobs/7/outputs/{}", server.url, hex::encode(account(&worker))))
			.await
			.unwrap();
	assert_eq!(unsigned.status().as_u16(), 401);
	// The tag survives a restart of the store.
	let reopened = server.reopen().await;
	assert_eq!(reopened.outputs_of(7, &account(&client_key), &account(&worker)), vec![digest]);
	// At most eight tags per blob.
	for job in 100..107 {
		uploader.tag_output(&digest, job).await.unwrap();
	}
	assert_eq!(status(&uploader.tag_output(&digest, 200).await), Some(403));
}

async fn a_flood_of_blobs_tagged_with_the_job_cannot_hide_the_providers_output(kind: Kind) {
	// A griefer uploads more blobs readable by the client and tagged with
	// the job than a listing holds, hoping to push the provider's output off
	// the list. The client lists only what the job's provider uploaded.
	let server = start(kind, 1 << 20).await;
	let (provider, client_key, griefer) = (dev::eve(), dev::bob(), dev::charlie());
	let output = client(&server, Some(provider.clone()))
		.put(b"the real output".to_vec(), &Access::private(vec![account(&client_key)]))
		.await
		.unwrap();
	client(&server, Some(provider.clone())).tag_output(&output, 7).await.unwrap();
	let flooder = client(&server, Some(griefer.clone()));
	for i in 0..(hypha_blobstore::store::MAX_LISTED_OUTPUTS + 6) {
		let junk = flooder
			.put(format!("junk {i}").into_bytes(), &Access::private(vec![account(&client_key)]))
			.await
			.unwrap();
		flooder.tag_output(&junk, 7).await.unwrap();
	}
	let reader = client(&server, Some(client_key.clone()));
	assert_eq!(reader.outputs_of(7, &account(&provider)).await.unwrap(), vec![output]);
	// The griefer's own listing is its own junk, capped.
	let junk = reader.outputs_of(7, &account(&griefer)).await.unwrap();
	assert_eq!(junk.len(), hypha_blobstore::store::MAX_LISTED_OUTPUTS);
	assert!(!junk.contains(&output));
}

/// A body of `chunks` MiB-sized chunks of `byte`, then, if `fail`, an error
/// (the uploader went away mid-upload).
fn mib_body(
	byte: u8,
	chunks: usize,
	fail: bool,
) -> impl futures::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Unpin {
	let mut items: Vec<Result<axum::body::Bytes, std::io::Error>> =
		(0..chunks).map(|_| Ok(axum::body::Bytes::from(vec![byte; 1 << 20]))).collect();
	if fail {
		items.push(Err(std::io::Error::other("the uploader went away")));
	}
	futures::stream::iter(items)
}

async fn a_multipart_blob_is_whole_or_absent_and_survives_reopening(kind: Kind) {
	// 20 MiB: three parts of an S3 multipart upload.
	let server = start(kind, 64 << 20).await;
	let alice = account(&dev::alice());
	let whole = vec![7u8; 20 << 20];
	let digest = Digest::of(&whole);
	// Cut off after 12 MiB (a part already uploaded): nothing is visible,
	// nothing charged.
	let cut = server.store.put(digest, 20 << 20, alice, Access::public(), mib_body(7, 12, true));
	assert!(matches!(cut.await, Err(hypha_blobstore::store::StoreError::Body(_))));
	// All 20 MiB but of other bytes: refused at the end, nothing visible.
	let forged =
		server.store.put(digest, 20 << 20, alice, Access::public(), mib_body(8, 20, false));
	assert!(matches!(forged.await, Err(hypha_blobstore::store::StoreError::DigestMismatch { .. })));
	assert!(server.raw_bytes(&digest).await.is_none());
	assert_eq!((server.store.totals(), server.store.usage(&alice)), ((0, 0), 0));
	// The real bytes: stored whole, served whole and from an offset, and
	// still there after reopening.
	server
		.store
		.put(digest, 20 << 20, alice, Access::public(), mib_body(7, 20, false))
		.await
		.unwrap();
	assert_eq!(server.raw_bytes(&digest).await.unwrap(), whole);
	let reader = client(&server, None);
	assert_eq!(reader.get(&digest, 64 << 20).await.unwrap(), whole);
	let tail = reqwest::Client::new()
		.get(format!("{}/blobs/{}", server.url, digest.to_hex()))
		.header("range", format!("bytes={}-", (20 << 20) - 5))
		.send()
		.await
		.unwrap();
	assert_eq!(tail.status().as_u16(), 206);
	assert_eq!(tail.bytes().await.unwrap().as_ref(), &[7u8; 5]);
	let reopened = server.reopen().await;
	assert_eq!((reopened.totals(), reopened.usage(&alice)), ((20 << 20, 1), 20 << 20));
	assert_eq!(reopened.meta(&digest).unwrap().size, 20 << 20);
}

async fn a_checked_download_stops_at_the_first_bad_chunk_and_resumes_after_the_good_ones(
	kind: Kind,
) {
	use hypha_blobstore::chunks::{ChunkError, Manifest};
	let server = start(kind, 64 << 20).await;
	let bytes: Vec<u8> =
		(0..24u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
	let digest =
		client(&server, Some(dev::alice())).put(bytes.clone(), &Access::public()).await.unwrap();
	let root = Manifest::of(&bytes).root();
	let reader = client(&server, None);
	let dir = tempfile::tempdir().unwrap();
	let target = dir.path().join("model.bin");
	let part = dir.path().join("model.bin.part");
	let received = Arc::new(std::sync::atomic::AtomicU64::new(0));
	let progress: hypha_blobstore::Progress = {
		let received = received.clone();
		Arc::new(move |done: u64, _| {
			received.fetch_max(done, std::sync::atomic::Ordering::Relaxed);
		})
	};
	let seen = || received.swap(0, std::sync::atomic::Ordering::Relaxed);

	// A root that is not the blob's: refused before any byte of it.
	let wrong = reader
		.get_to_file_checked(
			&digest,
			Some(&Digest([9; 32])),
			64 << 20,
			None,
			&target,
			Some(progress.clone()),
		)
		.await;
	assert!(
		matches!(wrong, Err(BlobError::Chunk { source: ChunkError::WrongRoot { .. }, .. })),
		"{wrong:?}"
	);
	assert_eq!(seen(), 0);

	// One byte flipped in the third MiB: the download stops there, and
	// the part file keeps exactly the two chunks that checked.
	let mut corrupt = bytes.clone();
	corrupt[(2 << 20) + 500_000] ^= 0x40;
	server.overwrite(&digest, corrupt.clone()).await;
	let bad = reader
		.get_to_file_checked(&digest, Some(&root), 64 << 20, None, &target, Some(progress.clone()))
		.await;
	assert!(
		matches!(bad, Err(BlobError::Chunk { source: ChunkError::BadChunk { index: 2, .. }, .. })),
		"{bad:?}"
	);
	let stopped_at = seen();
	assert!(stopped_at < 4 << 20, "read {stopped_at} of 24 MiB before stopping");
	assert_eq!(std::fs::metadata(&part).unwrap().len(), 2 << 20);
	assert!(!target.exists());
	// In memory, the same.
	let in_memory = reader.get_checked(&digest, Some(&root), 64 << 20, None, None).await;
	assert!(matches!(in_memory, Err(BlobError::Chunk { .. })), "{in_memory:?}");

	// The store is repaired (or another store is asked): the download
	// resumes after the two good chunks and ends whole.
	server.overwrite(&digest, bytes.clone()).await;
	let got = reader
		.get_to_file_checked(&digest, Some(&root), 64 << 20, None, &target, Some(progress.clone()))
		.await
		.unwrap();
	assert_eq!(got, 24 << 20);
	assert_eq!(std::fs::read(&target).unwrap(), bytes);
	assert!(!part.exists());

	// A part file whose first chunk is damaged is not trusted: fetched again whole.
	let mut damaged = bytes[..5 << 20].to_vec();
	damaged[10] ^= 1;
	std::fs::write(&part, &damaged).unwrap();
	std::fs::remove_file(&target).unwrap();
	reader.get_to_file_checked(&digest, Some(&root), 64 << 20, None, &target, None).await.unwrap();
	assert_eq!(std::fs::read(&target).unwrap(), bytes);
	// The manifest is as private as the blob.
	let private = client(&server, Some(dev::bob()))
		.put(b"private weights".to_vec(), &Access::private(vec![]))
		.await
		.unwrap();
	let proot = Manifest::of(b"private weights").root();
	let refused =
		client(&server, Some(dev::charlie())).chunks(&private, &proot, 1 << 20, None).await;
	assert_eq!(status(&refused), Some(403));
	let own = client(&server, Some(dev::bob())).chunks(&private, &proot, 1 << 20, None).await;
	assert_eq!(own.unwrap(), Manifest::of(b"private weights"));
}
