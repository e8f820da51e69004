//! `blob-bench`: the blob store's put and get throughput over loopback HTTP
//! against the same machine's disk, and the peak memory of streaming a blob
//! far larger than the memory it may use. Numbers go to docs/BENCHMARKS.md.
//!
//! ```sh
//! make bench-blobstore                 # 512 MiB blob, 3 rounds
//! make bench-blobstore ARGS="--mib 2048 --rounds 1 --dir /mnt/fast"
//! ```
//!
//! One process runs the store (`hypha_blobstore::serve`, the server
//! `hypha store serve` runs) and the client ([`BlobClient::put_file`],
//! [`BlobClient::get_to_file`]), so the peak RSS it reports (`VmHWM`) covers
//! both sides. The reference is what a user would do without a store: copy
//! the file on the same disk (`std::fs::copy`, then `fsync`), and read it
//! back (with the page cache dropped where the kernel lets us).

use std::path::{Path, PathBuf};
use std::time::Instant;

use hypha_blobstore::{Access, BlobClient, BlobStore, Limits, ServerConfig};
use subxt_signer::sr25519;

struct Args {
	mib: u64,
	rounds: u32,
	dir: PathBuf,
}

fn parse_args() -> Result<Args, String> {
	let mut args = Args { mib: 512, rounds: 3, dir: std::env::temp_dir().join("hypha-blob-bench") };
	let mut given = std::env::args().skip(1);
	while let Some(flag) = given.next() {
		let mut value = || given.next().ok_or_else(|| format!("{flag} needs a value"));
		match flag.as_str() {
			"--mib" => args.mib = value()?.parse().map_err(|e| format!("--mib: {e}"))?,
			"--rounds" => args.rounds = value()?.parse().map_err(|e| format!("--rounds: {e}"))?,
			"--dir" => args.dir = PathBuf::from(value()?),
			"--help" | "-h" => {
				return Err("usage: blob-bench [--mib N (512)] [--rounds N (3)] [--dir DIR (a temporary directory)]".into())
			},
			other => return Err(format!("unknown flag {other} (try --help)")),
		}
	}
	Ok(args)
}

/// Peak resident memory of this process so far, in MiB (Linux `VmHWM`).
fn peak_rss_mib() -> f64 {
	let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
	status
		.lines()
		.find_map(|line| line.strip_prefix("VmHWM:"))
		.and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
		.map_or(f64::NAN, |kib| kib / 1024.0)
}

/// Resets `VmHWM` to the current RSS where the kernel allows it.
fn reset_peak_rss() {
	let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Asks the kernel to drop clean page-cache pages (root only; ignored
/// otherwise), so reads come from the disk.
fn drop_caches() {
	let _ = std::process::Command::new("sync").status();
	let _ = std::fs::write("/proc/sys/vm/drop_caches", "1");
}

fn write_pattern(path: &Path, mib: u64) -> std::io::Result<()> {
	use std::io::Write;
	let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
	let mut chunk = vec![0u8; 1 << 20];
	for block in 0..mib {
		for (i, byte) in chunk.iter_mut().enumerate() {
			*byte = ((i as u64).wrapping_mul(2_654_435_761) >> 11) as u8 ^ block as u8;
		}
		file.write_all(&chunk)?;
	}
	file.into_inner().map_err(|e| e.into_error())?.sync_all()
}

fn mb_per_s(bytes: u64, seconds: f64) -> f64 {
	bytes as f64 / 1e6 / seconds
}

fn median(mut values: Vec<f64>) -> f64 {
	values.sort_by(f64::total_cmp);
	values[values.len() / 2]
}

/// Put and get times of one backend, one entry per round.
#[derive(Default)]
struct Timings {
	put: Vec<f64>,
	get: Vec<f64>,
	checked: Vec<f64>,
	peak_mib: f64,
}

/// Serves `store` on loopback and times `rounds` of put, get and
/// chunk-checked get of `source` through it.
async fn time_store(
	store: BlobStore,
	args: &Args,
	source: &Path,
	bytes: u64,
) -> Result<Timings, Box<dyn std::error::Error>> {
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
	let base = format!("http://{}", listener.local_addr()?);
	let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
	let server = tokio::spawn(hypha_blobstore::serve(
		listener,
		store.clone(),
		ServerConfig::default(),
		async {
			let _ = stopped.await;
		},
	));
	let client = BlobClient::new(base)?.with_signer(sr25519::dev::alice());
	let root = hypha_blobstore::chunks::Manifest::of_file(source).await?.root();
	let mut timings = Timings::default();
	for round in 0..args.rounds {
		// A fresh store each round, so every put writes the whole blob.
		store.sweep(&Default::default(), u64::MAX, 0).await?;
		reset_peak_rss();
		let started = Instant::now();
		let digest = client.put_file(source, &Access::public(), None).await?;
		timings.put.push(started.elapsed().as_secs_f64());
		let fetched = args.dir.join("fetched.bin");
		for checked in [false, true] {
			drop_caches();
			let _ = std::fs::remove_file(&fetched);
			let started = Instant::now();
			let root = checked.then_some(&root);
			client.get_to_file_checked(&digest, root, bytes, None, &fetched, None).await?;
			let seconds = started.elapsed().as_secs_f64();
			if checked { &mut timings.checked } else { &mut timings.get }.push(seconds);
		}
		timings.peak_mib = timings.peak_mib.max(peak_rss_mib());
		std::fs::remove_file(&fetched)?;
		eprintln!(
			"  {} round {}: put {:.0} MB/s, get {:.0} MB/s, checked get {:.0} MB/s",
			store.backend().describe(),
			round + 1,
			mb_per_s(bytes, timings.put[timings.put.len() - 1]),
			mb_per_s(bytes, timings.get[timings.get.len() - 1]),
			mb_per_s(bytes, timings.checked[timings.checked.len() - 1]),
		);
	}
	store.sweep(&Default::default(), u64::MAX, 0).await?;
	let _ = stop.send(());
	server.await??;
	Ok(timings)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
	let args = parse_args()?;
	let _ = std::fs::remove_dir_all(&args.dir);
	std::fs::create_dir_all(&args.dir)?;
	let bytes = args.mib << 20;
	let source = args.dir.join("source.bin");
	eprintln!("blob-bench: writing a {} MiB source file in {}", args.mib, args.dir.display());
	write_pattern(&source, args.mib)?;

	let limits = Limits {
		max_blob_bytes: bytes + 1,
		quota_per_account: u64::MAX,
		max_total_bytes: u64::MAX,
	};
	let rss_before = peak_rss_mib();
	let disk = BlobStore::open(args.dir.join("store"), limits).await?;
	let on_disk = time_store(disk, &args, &source, bytes).await?;
	// The S3 backend against s3s-fs (the S3 API over a directory on the
	// same disk), a separate process on loopback.
	let s3_root = args.dir.join("s3");
	let s3 = hypha_blobstore::s3::LocalS3::start_in(&s3_root, "bench").await?;
	let backend = std::sync::Arc::new(hypha_blobstore::S3::new(&s3.config("bench", ""))?);
	let on_s3 = time_store(BlobStore::on(backend, limits).await?, &args, &source, bytes).await?;
	drop(s3);

	let (mut copy, mut read) = (Vec::new(), Vec::new());
	for _ in 0..args.rounds {
		let copied = args.dir.join("copied.bin");
		let started = Instant::now();
		std::fs::copy(&source, &copied)?;
		std::fs::File::open(&copied)?.sync_all()?;
		copy.push(started.elapsed().as_secs_f64());
		drop_caches();
		let started = Instant::now();
		let mut file = std::fs::File::open(&copied)?;
		std::io::copy(&mut file, &mut std::io::sink())?;
		read.push(started.elapsed().as_secs_f64());
		std::fs::remove_file(&copied)?;
	}

	println!(
		"blob of {} MiB, {} rounds, medians; directory {}",
		args.mib,
		args.rounds,
		args.dir.display()
	);
	let rate = |times: &[f64]| mb_per_s(bytes, median(times.to_vec()));
	println!("| operation | disk backend MB/s | S3 backend (s3s-fs) MB/s |");
	println!("| --- | ---: | ---: |");
	println!(
		"| store put (HTTP, hash + chunk hashes + write + sync + publish) | {:.0} | {:.0} |",
		rate(&on_disk.put),
		rate(&on_s3.put)
	);
	println!(
		"| store get to a file (HTTP, blake2 + write + fsync) | {:.0} | {:.0} |",
		rate(&on_disk.get),
		rate(&on_s3.get)
	);
	println!(
		"| store get to a file, every 1 MiB chunk checked (BLAKE3) | {:.0} | {:.0} |",
		rate(&on_disk.checked),
		rate(&on_s3.checked)
	);
	println!(
		"| reference: disk copy, same file (`std::fs::copy` + fsync) | {:.0} | |",
		rate(&copy)
	);
	println!("| reference: disk read, same file | {:.0} | |", rate(&read));
	println!(
		"peak RSS while streaming (store and client in this process; s3s-fs not counted): disk {:.0} MiB, S3 {:.0} MiB (at start {rss_before:.0} MiB) for a {} MiB blob",
		on_disk.peak_mib, on_s3.peak_mib, args.mib
	);
	std::fs::remove_dir_all(&args.dir)?;
	Ok(())
}
