//! The `verity-executor` command line: its options and what it does at start (register,
//! attest, serve). See `docs/executor.md`.

use std::{future::IntoFuture, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::{bail, Context};
use clap::Parser;
use sp_core::{sr25519, Pair};
use tokio::sync::watch;
use crate::{
	attest::{Attestor, Enclave, TdxAttestor, TestPkiAttestor},
	chain::{AccountKey, Call, Chain, SubmitError},
	engine::{default_models_dir, load_models, DeviceChoice, EngineKind},
	http,
	service::{until_shutdown, Executor},
};
use verity_primitives::{
	currency::{MILLI_UNIT, UNIT},
	inference::{SigningKey, VerificationMode},
	registry::Service,
};

/// Runs Verity inference jobs: takes its jobs from the chain, runs the model, submits the
/// result with its evidence.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
	/// The node's WebSocket RPC.
	#[arg(long, env = "VERITY_NODE_URL", default_value = "ws://127.0.0.1:9944")]
	node_url: String,
	/// The executor's sr25519 key as a secret URI: a dev name (`//Ferdie`), a mnemonic or a
	/// `0x` seed.
	#[arg(long, env = "VERITY_EXECUTOR_KEY", conflicts_with = "key_file", hide_env_values = true)]
	key: Option<String>,
	/// A file holding the secret URI (safer than the command line).
	#[arg(long, env = "VERITY_EXECUTOR_KEY_FILE")]
	key_file: Option<PathBuf>,
	/// Where to serve health and metrics.
	#[arg(long, env = "VERITY_EXECUTOR_LISTEN", default_value = "127.0.0.1:9955")]
	listen: SocketAddr,
	/// The models directory: one folder per model (default `~/.cache/verity/models`).
	#[arg(long, env = "VERITY_MODELS_DIR")]
	models_dir: Option<PathBuf>,
	/// Which engines to run.
	#[arg(long, env = "VERITY_ENGINES", value_delimiter = ',', default_values = ["int8-mlp", "bert-embedding"])]
	engines: Vec<EngineKind>,
	/// Where the float engines run.
	#[arg(long, env = "VERITY_DEVICE", value_enum, default_value = "cpu")]
	device: DeviceChoice,
	/// Jobs run at once (default: the registered capacity).
	#[arg(long, env = "VERITY_EXECUTOR_CAPACITY")]
	capacity: Option<u32>,
	/// Memory that proofs (zk tier) may take at once, in MiB; each proof reserves its model's
	/// share before it starts.
	#[arg(long, env = "VERITY_PROVER_MEMORY_MIB", default_value_t = 512)]
	prover_memory: u64,
	/// Register with the executors pallet if not yet registered: every loaded model at the
	/// signed tier, and at the zk tier where it has a proving key.
	#[arg(long)]
	register: bool,
	/// With `--register`: the public URL of this HTTP service (default `http://<listen>`).
	#[arg(long, env = "VERITY_EXECUTOR_PUBLIC_URL")]
	public_url: Option<String>,
	/// With `--register`: the stake to bond, in the smallest unit.
	#[arg(long, default_value_t = 1_000 * UNIT)]
	stake: u128,
	/// With `--register`: the fee asked per job, in the smallest unit.
	#[arg(long, default_value_t = MILLI_UNIT)]
	fee: u128,
	/// With `--register`: the fee asked per zk-tier job (proving costs far more than a run).
	#[arg(long, default_value_t = 5 * MILLI_UNIT)]
	zk_fee: u128,
	/// With `--register`: the fee asked per tee-tier job (with an attestor).
	#[arg(long, default_value_t = 2 * MILLI_UNIT)]
	tee_fee: u128,
	/// Serve the tee tier: how this executor's enclave is attested. `test-pki` is TEST ONLY
	/// (no hardware; only dev chains trust it); `tdx` reads quotes from configfs-tsm.
	#[arg(long, env = "VERITY_ATTESTOR", value_enum, default_value = "none")]
	attestor: AttestorChoice,
	/// With `--attestor tdx`: the PCCS that serves the collateral.
	#[arg(long, env = "VERITY_PCCS_URL", default_value = "https://api.trustedservices.intel.com")]
	pccs_url: String,
	/// How often the enclave attestation is renewed, in seconds (the chain's lifetime of an
	/// attestation is a day on dev chains).
	#[arg(long, default_value_t = 6 * 60 * 60)]
	attestation_renewal: u64,
	/// Seconds to finish in-flight jobs after SIGINT or SIGTERM.
	#[arg(long, default_value_t = 30)]
	shutdown_timeout: u64,
	/// TEST ONLY, built with the cargo feature `dishonest` alone (the `verity-executor-dishonest`
	/// binary; no release build has it): the probability, 0 to 1, that a signed-tier result is
	/// falsified (one output byte flipped) before it is signed, for the tests of challenges.
	#[cfg(feature = "dishonest")]
	#[arg(long, default_value_t = 0.0)]
	lie_probability: f64,
}

/// How the executor's enclave is attested.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum AttestorChoice {
	/// No enclave: the signed and zk tiers only.
	None,
	/// TEST ONLY: quotes of the repository's test PKI.
	TestPki,
	/// A TDX guest's quotes through configfs-tsm.
	Tdx,
}

/// `register_enclave` for `enclave`'s keys as `key`'s executor, with a fresh quote.
async fn attestation_call(chain: &Chain, key: &AccountKey, enclave: &Arc<Enclave>) -> anyhow::Result<Call> {
	let keys = enclave.keys();
	let report_data = keys.report_data(chain.genesis_hash(), &key.account());
	let attesting = enclave.clone();
	tokio::task::spawn_blocking(move || {
		let quote = attesting.attestor().quote(&report_data)?;
		let collateral = attesting.attestor().collateral(&quote)?;
		Ok(Call::register_enclave(&quote, &collateral, &keys))
	})
	.await?
}

/// Attests `enclave`'s keys for `key`'s executor and checks the chain stored them.
async fn attest(chain: &Chain, key: &AccountKey, enclave: &Arc<Enclave>) -> anyhow::Result<()> {
	let keys = enclave.keys();
	let included = match chain.submit_one(attestation_call(chain, key, enclave).await?, key).await {
		Ok(included) => included,
		Err(SubmitError::Refused(refusal)) =>
			bail!("the chain refused the enclave attestation: {}", chain.explain_error(&refusal.error).await),
		Err(error) => return Err(error.into()),
	};
	match chain.enclave(&key.account()).await? {
		Some(attested) if attested.keys == keys => {
			tracing::info!(block = ?included.block, measurement = ?attested.measurement, expires_at = attested.expires_at, "enclave keys attested");
			Ok(())
		},
		_ => bail!("the chain did not store the attested enclave keys"),
	}
}

fn load_key(cli: &Cli) -> anyhow::Result<AccountKey> {
	let suri = match (&cli.key, &cli.key_file) {
		(Some(suri), _) => suri.clone(),
		(None, Some(path)) => std::fs::read_to_string(path)
			.with_context(|| format!("key file {}", path.display()))?
			.trim()
			.to_owned(),
		(None, None) => bail!("no key: pass --key or --key-file (or VERITY_EXECUTOR_KEY)"),
	};
	let pair = sr25519::Pair::from_string(&suri, None).map_err(|e| anyhow::anyhow!("invalid key: {e:?}"))?;
	Ok(AccountKey(pair))
}

async fn connect(url: &str) -> anyhow::Result<Chain> {
	let mut last_error = None;
	for _ in 0..60 {
		match Chain::connect(url).await {
			Ok(chain) => return Ok(chain),
			Err(e) => last_error = Some(e),
		}
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
	Err(last_error.expect("tried at least once"))
}

/// Runs the executor as its command line says, until SIGINT or SIGTERM.
pub async fn run() -> anyhow::Result<()> {
	tracing_subscriber::fmt()
		.with_writer(std::io::stderr)
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
		)
		.init();
	let cli = Cli::parse();
	let key = load_key(&cli)?;
	let models_dir = cli.models_dir.clone().unwrap_or_else(default_models_dir);
	let engines = load_models(&models_dir, cli.device, &cli.engines)?;
	if engines.is_empty() {
		bail!("no model in {}: run scripts/setup.sh, or point --models-dir at a models directory", models_dir.display());
	}

	let chain = connect(&cli.node_url).await.with_context(|| format!("node {}", cli.node_url))?;
	tracing::info!(account = %key.ss58(), genesis = ?chain.genesis_hash(), node = %cli.node_url, "connected");

	let registration = match chain.executor(&key.account()).await? {
		Some(registration) => registration,
		None if cli.register => {
			let endpoint = cli.public_url.clone().unwrap_or_else(|| format!("http://{}", cli.listen));
			let mut services: Vec<_> = engines.keys().map(|id| (*id, VerificationMode::Signed, cli.fee)).collect();
			services.extend(
				engines
					.iter()
					.filter(|(_, engine)| engine.proving_memory().is_some())
					.map(|(id, _)| (*id, VerificationMode::Zk, cli.zk_fee)),
			);
			if cli.attestor != AttestorChoice::None {
				services.extend(engines.keys().map(|id| (*id, VerificationMode::Tee, cli.tee_fee)));
			}
			let capacity = cli.capacity.unwrap_or(4);
			let call = Call::register(&endpoint, &key, &services, cli.device == DeviceChoice::Cuda, capacity, cli.stake);
			let block = match chain.submit_one(call, &key).await {
				Ok(registered) => registered.block,
				Err(SubmitError::Refused(refusal)) =>
					bail!("the chain refused the registration: {}", chain.explain_error(&refusal.error).await),
				Err(error) => return Err(error.into()),
			};
			tracing::info!(?block, %endpoint, "registered");
			chain.executor(&key.account()).await?.context("the registration is not on chain")?
		},
		None => bail!("{} is not a registered executor: run with --register, or register it with the verity client", key.ss58()),
	};
	if registration.signing_key != SigningKey::Sr25519(key.0.public()) {
		bail!("the registered result-signing key is not this executor's key");
	}
	for Service { model, mode, .. } in &registration.services {
		match engines.get(model) {
			None => tracing::warn!(?model, ?mode, "registered model is not loaded: its jobs will be reported failed"),
			Some(engine) if *mode == VerificationMode::Zk && engine.proving_memory().is_none() => tracing::warn!(
				?model,
				"registered at the zk tier without a zk/proving.key: its zk jobs will be reported failed"
			),
			Some(_) => {},
		}
	}

	let attestor: Option<Box<dyn Attestor>> = match cli.attestor {
		AttestorChoice::None => None,
		AttestorChoice::TestPki => {
			// Refused on a chain that does not trust the test PKI (a production genesis).
			if chain.trusted_root().await?.as_deref() != Some(verity_tee::TEST_ROOT_CA_DER) {
				bail!("--attestor test-pki is TEST ONLY: this chain does not trust the test PKI's root");
			}
			Some(Box::new(TestPkiAttestor))
		},
		AttestorChoice::Tdx => Some(Box::new(TdxAttestor::detect(cli.pccs_url.clone())?)),
	};
	let enclave = match attestor {
		Some(attestor) => {
			tracing::warn!(attestor = %attestor.describe(), "serving the tee tier");
			let enclave = Arc::new(Enclave::new(attestor));
			attest(&chain, &key, &enclave).await?;
			Some(enclave)
		},
		None => None,
	};

	let (stop, shutdown) = watch::channel(false);
	let capacity = cli.capacity.unwrap_or(registration.capacity) as usize;
	let renewal = enclave.clone().map(|enclave| (chain.clone(), key.clone(), enclave));
	let executor = Executor::start(key, chain, engines, capacity, cli.prover_memory, enclave, shutdown.clone());
	#[cfg(feature = "dishonest")]
	executor.lie_with_probability(cli.lie_probability);
	if let Some((chain, key, enclave)) = renewal {
		let (executor, every) = (executor.clone(), Duration::from_secs(cli.attestation_renewal.max(60)));
		tokio::spawn(async move {
			loop {
				tokio::time::sleep(every).await;
				match attestation_call(&chain, &key, &enclave).await {
					Ok(call) => executor.renew_attestation(call),
					Err(e) => tracing::error!(error = %e, "cannot quote the enclave keys; retrying at the next interval"),
				}
			}
		});
	}
	let listener = tokio::net::TcpListener::bind(cli.listen).await.with_context(|| format!("bind {}", cli.listen))?;
	tracing::info!(listen = %cli.listen, capacity, "taking jobs from the chain; health and metrics served");

	let server = tokio::spawn(
		axum::serve(listener, http::router(executor.clone()))
			.with_graceful_shutdown(until_shutdown(shutdown.clone()))
			.into_future(),
	);

	wait_for_signal().await;
	tracing::info!(active = executor.active_jobs(), "shutting down: finishing or releasing in-flight jobs");
	let _ = stop.send(true);
	let deadline = tokio::time::Instant::now() + Duration::from_secs(cli.shutdown_timeout);
	while executor.active_jobs() > 0 && tokio::time::Instant::now() < deadline {
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	let left = executor.active_jobs();
	if left > 0 {
		tracing::warn!(left, "shutdown timeout: these jobs will expire on chain");
	}
	let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
	tracing::info!("stopped");
	Ok(())
}

async fn wait_for_signal() {
	let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
		.expect("SIGTERM handler");
	tokio::select! {
		_ = tokio::signal::ctrl_c() => {},
		_ = terminate.recv() => {},
	}
}
