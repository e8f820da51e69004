//! The store driven through real HTTP on port 0.

use axum::routing::get;
use ed25519_dalek::SigningKey;
use hypha_blobstore::auth;
use hypha_blobstore::{serve, BlobClient, BlobError, BlobStore, Digest, ServerConfig};
use tokio::sync::oneshot;

struct Server {
	url: String,
	store: BlobStore,
	_stop: oneshot::Sender<()>,
}

async fn start(max_blob_bytes: u64) -> Server {
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let url = format!("http://{}", listener.local_addr().unwrap());
	let store = BlobStore::new(max_blob_bytes);
	let (stop, stopped) = oneshot::channel::<()>();
	let served = store.clone();
	tokio::spawn(async move {
		serve(listener, served, ServerConfig::default(), async {
			let _ = stopped.await;
		})
		.await
		.unwrap();
	});
	Server { url, store, _stop: stop }
}

fn key(seed: u8) -> SigningKey {
	SigningKey::from_bytes(&[seed; 32])
}

#[tokio::test]
async fn put_then_get_returns_the_same_bytes() {
	let server = start(1 << 20).await;
	let client = BlobClient::new(&server.url);
	let digest = client.put(b"hello hypha".to_vec(), &[]).await.unwrap();
	assert_eq!(digest, Digest::of(b"hello hypha"));
	assert_eq!(client.get(&digest, 1024).await.unwrap(), b"hello hypha");
}

#[tokio::test]
async fn get_of_an_unknown_digest_is_not_found() {
	let server = start(1024).await;
	let result = BlobClient::new(&server.url).get(&Digest::of(b"absent"), 1024).await;
	assert!(matches!(result, Err(BlobError::Status { status: 404, .. })), "{result:?}");
}

#[tokio::test]
async fn upload_over_the_store_limit_is_refused_with_413() {
	let server = start(100).await;
	let result = BlobClient::new(&server.url).put(vec![7; 101], &[]).await;
	assert!(matches!(result, Err(BlobError::Status { status: 413, .. })), "{result:?}");
	assert!(BlobClient::new(&server.url).put(vec![7; 100], &[]).await.is_ok());
}

#[tokio::test]
async fn fetch_over_the_callers_bound_is_refused() {
	let server = start(1 << 20).await;
	let digest = server.store.insert(vec![1; 5000], None).unwrap();
	let result = BlobClient::new(&server.url).get(&digest, 4999).await;
	assert!(matches!(result, Err(BlobError::TooLarge { limit: 4999 })), "{result:?}");
}

#[tokio::test]
async fn bytes_that_do_not_match_the_digest_are_refused() {
	// A lying server: answers every digest with the same bytes.
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let url = format!("http://{}", listener.local_addr().unwrap());
	let app = axum::Router::new().route("/blobs/{digest}", get(|| async { "forged" }));
	tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
	let result = BlobClient::new(&url).get(&Digest::of(b"genuine"), 1024).await;
	assert!(matches!(result, Err(BlobError::DigestMismatch { .. })), "{result:?}");
}

#[tokio::test]
async fn restricted_blob_is_served_only_to_a_listed_signer() {
	let server = start(1 << 20).await;
	let (client_key, verifier_key, stranger_key) = (key(1), key(2), key(3));
	let readers = [client_key.verifying_key(), verifier_key.verifying_key()];
	let digest = BlobClient::new(&server.url).put(b"job output".to_vec(), &readers).await.unwrap();

	let unsigned = BlobClient::new(&server.url).get(&digest, 1024).await;
	assert!(matches!(unsigned, Err(BlobError::Status { status: 401, .. })), "{unsigned:?}");
	let stranger = BlobClient::new(&server.url).with_signer(stranger_key).get(&digest, 1024).await;
	assert!(matches!(stranger, Err(BlobError::Status { status: 403, .. })), "{stranger:?}");
	for reader in [client_key, verifier_key] {
		let bytes =
			BlobClient::new(&server.url).with_signer(reader).get(&digest, 1024).await.unwrap();
		assert_eq!(bytes, b"job output");
	}
}

#[tokio::test]
async fn stale_or_forged_signatures_are_refused() {
	let server = start(1024).await;
	let reader = key(4);
	let digest =
		server.store.insert(b"secret".to_vec(), Some(vec![reader.verifying_key()])).unwrap();
	let http = reqwest::Client::new();
	let url = format!("{}/blobs/{}", server.url, digest.to_hex());

	let stale = auth::unix_now() - auth::MAX_CLOCK_SKEW_SECS - 10;
	let mut request = http.get(&url);
	for (name, value) in auth::sign(&reader, &digest, stale) {
		request = request.header(name, value);
	}
	assert_eq!(request.send().await.unwrap().status(), 401);

	// A signature for another digest does not open this one.
	let mut request = http.get(&url);
	for (name, value) in auth::sign(&reader, &Digest::of(b"other"), auth::unix_now()) {
		request = request.header(name, value);
	}
	assert_eq!(request.send().await.unwrap().status(), 401);
}

#[test]
fn store_refuses_a_blob_over_its_limit() {
	let store = BlobStore::new(3);
	assert!(store.insert(vec![0; 4], None).is_err());
	assert!(store.insert(vec![0; 3], None).is_ok());
}
