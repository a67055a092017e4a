//! Paid requests through the gateway: each of `--concurrency` workers runs the whole x402 flow
//! as `verity pay` does (request, 402 offer checked against the node, signed payment, retry,
//! answer checked against the chain) in a loop until `--requests`
//! answers came back. Payers may be shared: each payment carries its own nonce, not the
//! account's. Prints paid requests per second and
//! the p50/p95/max latency of the whole flow. `scripts/bench.sh` runs it against a dev node, the
//! executor and the gateway.

use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::json;
use sp_core::{sr25519, Pair};
use verity_client::{
	chain::Chain,
	pay::{http_client, pay, Payer},
};

#[derive(Parser)]
struct Args {
	/// The paid resource.
	#[arg(long, default_value = "http://127.0.0.1:8402/v1/models/digits-mlp/infer")]
	url: String,
	/// The payers' own node, which offers and answers are checked against.
	#[arg(long, default_value = "ws://127.0.0.1:9944")]
	node_url: String,
	/// Paid requests to make in all.
	#[arg(long, default_value_t = 100)]
	requests: usize,
	/// Requests in flight at once.
	#[arg(long, default_value_t = 8)]
	concurrency: usize,
	/// The tier.
	#[arg(long, default_value = "signed")]
	tier: String,
	/// The input as 0x hex; by default the digits model's held-out digits, in turn.
	#[arg(long)]
	input_hex: Option<String>,
	/// The payers' secret URIs; worker `i` pays as payer `i mod n`.
	#[arg(long, value_delimiter = ',', default_value = "//Alice,//Bob,//Charlie,//Dave")]
	payers: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
	let args = Args::parse();
	anyhow::ensure!(!args.payers.is_empty() && args.concurrency > 0, "give at least one payer and a concurrency of 1 or more");
	let http = http_client()?;
	let chain = Chain::connect(&args.node_url).await?;
	let inputs: Vec<String> = match &args.input_hex {
		Some(hex) => vec![hex.clone()],
		None => {
			let (_, held_out) = verity_mlp::digits::split(&verity_mlp::digits::load());
			held_out.iter().map(|digit| verity_client::answer::hex0x(&digit.input_bytes())).collect()
		},
	};
	let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
	let started = Instant::now();
	let workers: Vec<_> = (0..args.concurrency)
		.map(|worker| {
			let (http, chain, inputs, next, url, tier) =
				(http.clone(), chain.clone(), inputs.clone(), next.clone(), args.url.clone(), args.tier.clone());
			let suri = &args.payers[worker % args.payers.len()];
			let payer = sr25519::Pair::from_string(suri, None).unwrap_or_else(|e| panic!("payer {suri}: {e:?}"));
			let requests = args.requests;
			tokio::spawn(async move {
				let mut latencies = Vec::new();
				let mut failures = Vec::new();
				loop {
					let request = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
					if request >= requests {
						break;
					}
					let body = json!({ "tier": tier, "inputHex": inputs[request % inputs.len()] });
					let sent = Instant::now();
					let payer = Payer { key: &payer, chain: &chain, asset: None, max_amount: None };
					match pay(&http, &url, &body, &payer, Duration::from_secs(300)).await {
						Ok(_) => latencies.push(sent.elapsed()),
						Err(e) => failures.push(e.to_string()),
					}
				}
				(latencies, failures)
			})
		})
		.collect();
	let (mut latencies, mut failures) = (Vec::new(), Vec::new());
	for worker in workers {
		let (l, f) = worker.await?;
		latencies.extend(l);
		failures.extend(f);
	}
	let elapsed = started.elapsed().as_secs_f64();
	latencies.sort();
	let percentile = |p: f64| latencies.get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1)).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
	if let Some(failure) = failures.first() {
		eprintln!("{} failed, the first: {failure}", failures.len());
	}
	println!(
		"gateway tier={} requests={} concurrency={} paid={} failed={} paid_per_s={:.2} p50_ms={:.0} p95_ms={:.0} max_ms={:.0}",
		args.tier,
		args.requests,
		args.concurrency,
		latencies.len(),
		failures.len(),
		latencies.len() as f64 / elapsed,
		percentile(0.50),
		percentile(0.95),
		percentile(1.0),
	);
	anyhow::ensure!(failures.is_empty(), "{} paid requests failed", failures.len());
	Ok(())
}
