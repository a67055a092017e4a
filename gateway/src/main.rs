//! `verity-gateway`: see the library's documentation and `docs/gateway.md`.

use std::{collections::HashMap, net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::Context;
use clap::Parser;
use sp_core::{sr25519, Pair};
use verity_client::chain::{Chain, AccountKey};
use verity_gateway::{relay::Relay, router, settlers::Settlers, Gateway, Settings};
use verity_primitives::inference::ModelId;

#[derive(Parser)]
#[command(version, about = "The x402 gateway: agents pay for verified inferences over HTTP")]
struct Cli {
	/// The node's WebSocket RPC.
	#[arg(long, env = "VERITY_NODE_URL", default_value = "ws://127.0.0.1:9944")]
	node_url: String,
	/// Where to listen.
	#[arg(long, env = "VERITY_GATEWAY_LISTEN", default_value = "127.0.0.1:8402")]
	listen: SocketAddr,
	/// The URL clients reach this gateway at (the `resource` of offers); default `http://<listen>`.
	#[arg(long, env = "VERITY_GATEWAY_PUBLIC_URL")]
	public_url: Option<String>,
	/// The relayer key (a secret URI such as `//Eve` or a mnemonic); it pays the fees of paid jobs.
	#[arg(long, env = "VERITY_GATEWAY_KEY", conflicts_with = "key_file", hide_env_values = true)]
	key: Option<String>,
	/// A file holding the relayer key's secret URI.
	#[arg(long, env = "VERITY_GATEWAY_KEY_FILE")]
	key_file: Option<PathBuf>,
	/// A model name for URLs: `name=0x<model id>`; repeatable.
	#[arg(long = "model", value_parser = parse_alias)]
	models: Vec<(String, ModelId)>,
	/// Seconds a paid request waits for the verified result before answering 504.
	#[arg(long, default_value_t = 120)]
	job_timeout: u64,
	/// Seconds an offer may be paid (`maxTimeoutSeconds`).
	#[arg(long, default_value_t = 300)]
	offer_ttl: u64,
	/// Blocks from an offer to its job's deadline.
	#[arg(long, default_value_t = 100)]
	deadline_blocks: u32,
	/// Paid requests served at once; more get 503.
	#[arg(long, default_value_t = 256)]
	max_concurrent: usize,
	/// A dev account (`//Alice` … `//Ferdie`) the web page's form may pay with; repeatable.
	/// Refused unless the chain is a development or local one.
	#[arg(long = "dev-payer", value_parser = verity_gateway::page::dev_payer)]
	dev_payers: Vec<(String, sr25519::Pair)>,
	/// The resource servers `POST /settle` serves: a file of `name=key` lines (keys of at least
	/// 16 characters, sent as `Authorization: Bearer <key>`). Without it `/settle` answers 403:
	/// settling spends the node's facilitator fees.
	#[arg(long, env = "VERITY_GATEWAY_SETTLERS_FILE")]
	settlers_file: Option<PathBuf>,
	/// Settlements each resource server may make per minute; more get 429.
	#[arg(long, default_value_t = 600)]
	settles_per_minute: u32,
	/// Unpaid requests (each makes offers) a client address (an IPv6 /64) may make per minute;
	/// more get 429. Behind a reverse proxy every client has the proxy's address: limit there.
	#[arg(long, default_value_t = 600)]
	unpaid_per_minute: u32,
}

fn parse_alias(alias: &str) -> Result<(String, ModelId), String> {
	let (name, id) = alias.split_once('=').ok_or("expected name=0x<model id>")?;
	let id = verity_x402::parse_hex32(id).ok_or("the id is not 32 bytes of 0x hex")?;
	Ok((name.to_string(), ModelId::from(id)))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
	tracing_subscriber::fmt()
		.with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
		.with_writer(std::io::stderr)
		.init();
	let cli = Cli::parse();
	let suri = match (&cli.key, &cli.key_file) {
		(Some(key), _) => key.clone(),
		(None, Some(file)) => std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?.trim().to_string(),
		(None, None) => anyhow::bail!("no relayer key: give --key or --key-file (the account pays the fees of paid jobs)"),
	};
	let pair = sr25519::Pair::from_string(&suri, None).map_err(|e| anyhow::anyhow!("invalid key: {e:?}"))?;
	let chain = Chain::connect(&cli.node_url).await?;
	if !cli.dev_payers.is_empty() {
		// Dev keys are public: paying with them is only safe where the tokens are worthless.
		let chain_type = chain.rpc_request("system_chainType", vec![]).await?;
		anyhow::ensure!(
			chain_type == "Development" || chain_type == "Local",
			"--dev-payer is for development chains; this chain's type is {chain_type}"
		);
	}
	let settlers = match &cli.settlers_file {
		Some(file) => {
			let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
			Settlers::parse_file(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?
		},
		None => Vec::new(),
	};
	let relay = Relay::start(chain.clone(), AccountKey(pair));
	let settings = Settings {
		aliases: cli.models.into_iter().collect::<HashMap<_, _>>(),
		job_timeout: Duration::from_secs(cli.job_timeout),
		offer_ttl: Duration::from_secs(cli.offer_ttl),
		deadline_blocks: cli.deadline_blocks,
		max_concurrent: cli.max_concurrent,
		public_url: cli.public_url.unwrap_or_else(|| format!("http://{}", cli.listen)),
		dev_payers: cli.dev_payers.into_iter().collect(),
		settlers,
		settles_per_minute: cli.settles_per_minute,
		unpaid_per_minute: cli.unpaid_per_minute,
	};
	let gateway = Gateway::new(chain, relay, settings);
	let listener = tokio::net::TcpListener::bind(cli.listen).await.with_context(|| format!("binding {}", cli.listen))?;
	tracing::info!(listen = %cli.listen, "verity-gateway serving");
	axum::serve(listener, router(gateway).into_make_service_with_connect_info::<SocketAddr>())
		.with_graceful_shutdown(async {
			let _ = tokio::signal::ctrl_c().await;
		})
		.await?;
	Ok(())
}

#[cfg(test)]
mod tests {
	#[test]
	fn the_command_line_is_well_formed() {
		<super::Cli as clap::CommandFactory>::command().debug_assert();
	}
}
