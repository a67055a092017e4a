//! Assembly of the node's services: client, database, networking, consensus, off-chain
//! workers and RPC.

use std::{sync::Arc, time::Duration};

use futures::{channel::mpsc, FutureExt, StreamExt};
use sc_client_api::{Backend, BlockBackend};
use sc_consensus_aura::{ImportQueueParams, SlotProportion, StartAuraParams};
use sc_consensus_grandpa::SharedVoterState;
use sc_consensus_manual_seal::{consensus::aura::AuraConsensusDataProvider, EngineCommand};
use sc_service::{error::Error as ServiceError, Configuration, TaskManager, WarpSyncConfig};
use sc_telemetry::{Telemetry, TelemetryWorker};
use sc_transaction_pool_api::{OffchainTransactionPoolFactory, TransactionPool};
use sp_consensus_aura::sr25519::{AuthorityId as AuraId, AuthorityPair as AuraPair};
use sp_runtime::traits::Block as BlockT;
use verity_primitives::{Hash, Moment, OpaqueBlock as Block};
use verity_runtime::apis::RuntimeApi;

use crate::cli::Sealing;

/// Verity's own host functions: the BLS12-381 pairing and multi-scalar multiplication that the
/// zk verifier runs on the host, and the DCAP quote check of the attestation pallet.
pub type VerityHostFunctions =
	(sp_crypto_ec_utils::bls12_381::host_calls::HostFunctions, verity_tee::dcap::HostFunctions);

/// The host functions the wasm runtime may call: Substrate's and Verity's.
#[cfg(not(feature = "runtime-benchmarks"))]
pub type HostFunctions = (sp_io::SubstrateHostFunctions, VerityHostFunctions);

/// The host functions the wasm runtime may call, with the benchmarking ones that a runtime
/// built with `runtime-benchmarks` imports.
#[cfg(feature = "runtime-benchmarks")]
pub type HostFunctions = (
	sp_io::SubstrateHostFunctions,
	VerityHostFunctions,
	frame_benchmarking::benchmarking::HostFunctions,
);

/// The full client: it executes the on-chain wasm runtime.
pub type FullClient =
	sc_service::TFullClient<Block, RuntimeApi, sc_executor::WasmExecutor<HostFunctions>>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;
pub type FullPool = sc_transaction_pool::TransactionPoolHandle<Block, FullClient>;
type GrandpaBlockImport =
	sc_consensus_grandpa::GrandpaBlockImport<FullBackend, Block, FullClient, FullSelectChain>;
type GrandpaLinkHalf = sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>;

/// Blocks between two GRANDPA justifications stored and served to syncing peers.
const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;

/// The parts of the node that every command (run, import, export, revert, ...) needs.
pub type Service = sc_service::PartialComponents<
	FullClient,
	FullBackend,
	FullSelectChain,
	sc_consensus::DefaultImportQueue<Block>,
	FullPool,
	(GrandpaBlockImport, GrandpaLinkHalf, Option<Telemetry>),
>;

/// Builds the parts of the node shared by every command. `sealing` picks the import queue:
/// Aura verification, or the manual-seal one that accepts the node's own blocks.
pub fn new_partial(config: &Configuration, sealing: Sealing) -> Result<Service, ServiceError> {
	let telemetry = config
		.telemetry_endpoints
		.clone()
		.filter(|x| !x.is_empty())
		.map(|endpoints| -> Result<_, sc_telemetry::Error> {
			let worker = TelemetryWorker::new(16)?;
			let telemetry = worker.handle().new_telemetry(endpoints);
			Ok((worker, telemetry))
		})
		.transpose()?;

	let executor = sc_service::new_wasm_executor::<HostFunctions>(&config.executor);
	let (client, backend, keystore_container, task_manager) =
		sc_service::new_full_parts::<Block, RuntimeApi, _>(
			config,
			telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
			executor,
			Vec::new(),
		)?;
	let client = Arc::new(client);

	let telemetry = telemetry.map(|(worker, telemetry)| {
		task_manager.spawn_handle().spawn("telemetry", None, worker.run());
		telemetry
	});

	let select_chain = sc_consensus::LongestChain::new(backend.clone());

	let transaction_pool = Arc::from(
		sc_transaction_pool::Builder::new(
			task_manager.spawn_essential_handle(),
			client.clone(),
			config.role.is_authority().into(),
		)
		.with_options(config.transaction_pool.clone())
		.with_prometheus(config.prometheus_registry())
		.build(),
	);

	let (grandpa_block_import, grandpa_link) = sc_consensus_grandpa::block_import(
		client.clone(),
		GRANDPA_JUSTIFICATION_PERIOD,
		&client,
		select_chain.clone(),
		telemetry.as_ref().map(|x| x.handle()),
	)?;

	let import_queue = match sealing {
		Sealing::Aura => {
			let cidp_client = client.clone();
			sc_consensus_aura::import_queue::<AuraPair, _, _, _, _, _>(ImportQueueParams {
				block_import: grandpa_block_import.clone(),
				justification_import: Some(Box::new(grandpa_block_import.clone())),
				client: client.clone(),
				create_inherent_data_providers: move |parent_hash, _| {
					let cidp_client = cidp_client.clone();
					async move {
						let slot_duration = sc_consensus_aura::standalone::slot_duration_at(
							&*cidp_client,
							parent_hash,
						)?;
						let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
						let slot = sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
							*timestamp,
							slot_duration,
						);
						Ok((slot, timestamp))
					}
				},
				spawner: &task_manager.spawn_essential_handle(),
				registry: config.prometheus_registry(),
				check_for_equivocation: Default::default(),
				telemetry: telemetry.as_ref().map(|x| x.handle()),
				compatibility_mode: Default::default(),
			})?
		},
		Sealing::Instant | Sealing::Manual => sc_consensus_manual_seal::import_queue(
			Box::new(client.clone()),
			&task_manager.spawn_essential_handle(),
			config.prometheus_registry(),
		),
	};

	Ok(sc_service::PartialComponents {
		client,
		backend,
		task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (grandpa_block_import, grandpa_link, telemetry),
	})
}

/// Builds and starts the full node.
pub fn new_full<N: sc_network::NetworkBackend<Block, <Block as BlockT>::Hash>>(
	config: Configuration,
	sealing: Sealing,
	x402_facilitator: Option<sp_core::sr25519::Pair>,
) -> Result<TaskManager, ServiceError> {
	let sc_service::PartialComponents {
		client,
		backend,
		mut task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (block_import, grandpa_link, mut telemetry),
	} = new_partial(&config, sealing)?;

	let mut net_config = sc_network::config::FullNetworkConfiguration::<
		Block,
		<Block as BlockT>::Hash,
		N,
	>::new(&config.network, config.prometheus_registry().cloned());
	let metrics = N::register_notification_metrics(config.prometheus_registry());

	let peer_store_handle = net_config.peer_store_handle();
	let grandpa_protocol_name = sc_consensus_grandpa::protocol_standard_name(
		&client.block_hash(0).ok().flatten().expect("Genesis block exists; qed"),
		&config.chain_spec,
	);
	let (grandpa_protocol_config, grandpa_notification_service) =
		sc_consensus_grandpa::grandpa_peers_set_config::<_, N>(
			grandpa_protocol_name.clone(),
			metrics.clone(),
			peer_store_handle,
		);
	net_config.add_notification_protocol(grandpa_protocol_config);

	let warp_sync = Arc::new(sc_consensus_grandpa::warp_proof::NetworkProvider::new(
		backend.clone(),
		grandpa_link.shared_authority_set().clone(),
		Vec::default(),
	));

	let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			import_queue,
			block_announce_validator_builder: None,
			warp_sync_config: Some(WarpSyncConfig::WithProvider(warp_sync)),
			block_relay: None,
			metrics,
			gap_sync_body_policy: None,
		})?;

	if config.offchain_worker.enabled {
		let offchain_workers =
			sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
				runtime_api_provider: client.clone(),
				is_validator: config.role.is_authority(),
				keystore: Some(keystore_container.keystore()),
				offchain_db: backend.offchain_storage(),
				transaction_pool: Some(OffchainTransactionPoolFactory::new(
					transaction_pool.clone(),
				)),
				network_provider: Arc::new(network.clone()),
				// No Verity pallet has an off-chain worker today (the push dispatch was retired,
				// docs/dispatch.md); the node runs them anyway, so that a runtime upgrade that
				// adds one needs no new node.
				enable_http_requests: true,
				custom_extensions: |_| vec![],
			})?;
		task_manager.spawn_handle().spawn(
			"offchain-workers-runner",
			"offchain-worker",
			offchain_workers.run(client.clone(), task_manager.spawn_handle()).boxed(),
		);
	}

	// The manual-seal command channel: fed by the `engine_*` RPC in manual mode.
	let (seal_sink, seal_commands) = mpsc::channel::<EngineCommand<Hash>>(1024);

	let role = config.role;
	let force_authoring = config.force_authoring;
	let name = config.network.node_name.clone();
	let enable_grandpa = !config.disable_grandpa && sealing == Sealing::Aura;
	let prometheus_registry = config.prometheus_registry().cloned();

	let rpc_extensions_builder = {
		let client = client.clone();
		let pool = transaction_pool.clone();
		let seal_sink = (sealing == Sealing::Manual).then_some(seal_sink);
		let facilitator =
			Arc::new(crate::x402::Facilitator::new(client.clone(), x402_facilitator, own_rpc_url(&config)));

		Box::new(move |_| {
			let deps = crate::rpc::FullDeps {
				client: client.clone(),
				pool: pool.clone(),
				manual_seal: seal_sink.clone(),
				x402: facilitator.clone(),
			};
			crate::rpc::create_full(deps).map_err(Into::into)
		})
	};

	let _rpc_handlers = sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network: network.clone(),
		client: client.clone(),
		keystore: keystore_container.keystore(),
		task_manager: &mut task_manager,
		transaction_pool: transaction_pool.clone(),
		rpc_builder: rpc_extensions_builder,
		backend,
		system_rpc_tx,
		tx_handler_controller,
		sync_service: sync_service.clone(),
		config,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;

	if !role.is_authority() {
		return Ok(task_manager);
	}

	let proposer_factory = sc_basic_authorship::ProposerFactory::new(
		task_manager.spawn_handle(),
		client.clone(),
		transaction_pool.clone(),
		prometheus_registry.as_ref(),
		telemetry.as_ref().map(|x| x.handle()),
	);

	match sealing {
		Sealing::Aura => {
			let slot_duration = sc_consensus_aura::slot_duration::<AuraId, _, _>(&*client)?;
			let aura = sc_consensus_aura::start_aura::<AuraPair, _, _, _, _, _, _, _, _, _, _>(
				StartAuraParams {
					slot_duration,
					client,
					select_chain,
					block_import,
					proposer_factory,
					create_inherent_data_providers: move |_, ()| async move {
						let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
						let slot = sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
							*timestamp,
							slot_duration,
						);
						Ok((slot, timestamp))
					},
					force_authoring,
					backoff_authoring_blocks: Option::<()>::None,
					keystore: keystore_container.keystore(),
					sync_oracle: sync_service.clone(),
					justification_sync_link: sync_service.clone(),
					block_proposal_slot_portion: SlotProportion::new(2f32 / 3f32),
					max_block_proposal_slot_portion: None,
					telemetry: telemetry.as_ref().map(|x| x.handle()),
					compatibility_mode: Default::default(),
				},
			)?;
			// Authoring is essential: if it fails, the node goes down with it.
			task_manager
				.spawn_essential_handle()
				.spawn_blocking("aura", Some("block-authoring"), aura);
		},
		Sealing::Instant | Sealing::Manual => {
			let consensus_data_provider =
				Some(Box::new(AuraConsensusDataProvider::new(client.clone())) as Box<_>);
			let create_inherent_data_providers = {
				let client = client.clone();
				move |parent: Hash, ()| {
					let client = client.clone();
					async move { Ok(sealed_block_timestamp(&*client, parent)) }
				}
			};
			let authorship = if sealing == Sealing::Instant {
				let commands_stream = instant_seal_commands(transaction_pool.clone(), client.clone());
				sc_consensus_manual_seal::run_manual_seal(
					sc_consensus_manual_seal::ManualSealParams {
						block_import: client.clone(),
						env: proposer_factory,
						client,
						pool: transaction_pool.clone(),
						commands_stream,
						select_chain,
						consensus_data_provider,
						create_inherent_data_providers,
					},
				)
				.boxed()
			} else {
				sc_consensus_manual_seal::run_manual_seal(
					sc_consensus_manual_seal::ManualSealParams {
						block_import: client.clone(),
						env: proposer_factory,
						client,
						pool: transaction_pool.clone(),
						commands_stream: seal_commands,
						select_chain,
						consensus_data_provider,
						create_inherent_data_providers,
					},
				)
				.boxed()
			};
			task_manager.spawn_essential_handle().spawn_blocking(
				"manual-seal",
				Some("block-authoring"),
				authorship,
			);
		},
	}

	if enable_grandpa {
		let grandpa_config = sc_consensus_grandpa::Config {
			gossip_duration: Duration::from_millis(333),
			justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
			name: Some(name),
			observer_enabled: false,
			keystore: Some(keystore_container.keystore()),
			local_role: role,
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			protocol_name: grandpa_protocol_name,
		};
		let grandpa_params = sc_consensus_grandpa::GrandpaParams {
			config: grandpa_config,
			link: grandpa_link,
			network,
			sync: Arc::new(sync_service),
			notification_service: grandpa_notification_service,
			voting_rule: sc_consensus_grandpa::VotingRulesBuilder::default().build(),
			prometheus_registry,
			shared_voter_state: SharedVoterState::empty(),
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(transaction_pool),
		};
		// Finality is essential: if the voter fails, the node goes down with it.
		task_manager.spawn_essential_handle().spawn_blocking(
			"grandpa-voter",
			None,
			sc_consensus_grandpa::run_grandpa_voter(grandpa_params)?,
		);
	}

	Ok(task_manager)
}

/// This node's own JSON-RPC endpoint (a wildcard listen address is reached on loopback): the
/// x402 facilitator settles through it.
fn own_rpc_url(config: &Configuration) -> String {
	use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
	let listen = config
		.rpc
		.addr
		.as_ref()
		.and_then(|endpoints| endpoints.first())
		.map(|endpoint| endpoint.listen_addr)
		.unwrap_or_else(|| SocketAddr::new(Ipv4Addr::LOCALHOST.into(), config.rpc.port));
	let ip = match listen.ip() {
		IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
		IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
		ip => ip,
	};
	format!("ws://{}", SocketAddr::new(ip, listen.port()))
}

/// The timestamp inherent of a block sealed on demand.
///
/// The runtime requires every block to advance the Aura slot (`timestamp / slot`) and the
/// timestamp by at least half a slot. Blocks sealed on demand can come faster than that, so the
/// chain clock runs ahead of the wall clock while they do, and falls back to it when idle:
/// `max(now, start of the parent's slot + 1.5 slots)`, which is in the next slot and at least
/// half a slot after the parent's timestamp. The parent's slot is read from its header's Aura
/// pre-digest, which keeps this right across restarts without reading runtime storage.
fn sealed_block_timestamp(client: &FullClient, parent: Hash) -> sp_timestamp::InherentDataProvider {
	let slot = verity_runtime::SLOT_DURATION;
	let parent_slot: u64 = client
		.header(parent)
		.ok()
		.flatten()
		.and_then(|header| {
			sc_consensus_aura::standalone::find_pre_digest::<Block, sp_consensus_aura::sr25519::AuthoritySignature>(&header)
				.ok()
		})
		.map_or(0, Into::into);
	let now: Moment = sp_timestamp::Timestamp::current().into();
	let next = now.max(parent_slot * slot + slot + slot / 2);
	sp_timestamp::InherentDataProvider::new(next.into())
}

/// How often instant sealing looks for transactions left waiting.
const INSTANT_SEAL_RECHECK: Duration = Duration::from_millis(500);

/// Instant sealing's commands: seal (and finalize) a block when a transaction enters the pool,
/// and also whenever ready transactions are found waiting. Sealing on imports alone (substrate's
/// `run_instant_seal_and_finalize`) leaves ready transactions unsealed when no import follows
/// them: those left out of a full block, or those made ready by the pool's own maintenance.
/// A block that submitted jobs is followed by another at once, empty if need be, because jobs
/// are drawn their executors at the start of the next block. Commands are only sent while
/// something is ready or waits for a draw, so an idle chain does not log an empty-pool error per
/// import.
fn instant_seal_commands<P: TransactionPool + 'static>(
	pool: Arc<P>,
	client: Arc<FullClient>,
) -> futures::stream::BoxStream<'static, EngineCommand<Hash>> {
	let transactions = pool.import_notification_stream().map(|_| ());
	let blocks = sc_client_api::BlockchainEvents::import_notification_stream(&*client).map(|_| ());
	let rechecks = futures::stream::unfold((), |()| async {
		tokio::time::sleep(INSTANT_SEAL_RECHECK).await;
		Some(((), ()))
	});
	futures::stream::select(futures::stream::select(transactions, blocks), rechecks)
		.filter_map(move |()| {
			let draws_waiting = jobs_wait_for_a_draw(&client);
			let seal = (draws_waiting || pool.status().ready > 0).then_some(EngineCommand::SealNewBlock {
				create_empty: draws_waiting,
				finalize: true,
				parent_hash: None,
				sender: None,
			});
			futures::future::ready(seal)
		})
		.boxed()
}

/// Whether the best block submitted jobs whose executors the next block draws.
fn jobs_wait_for_a_draw(client: &FullClient) -> bool {
	use sc_client_api::StorageProvider;
	use sp_blockchain::HeaderBackend;
	let key = sp_core::storage::StorageKey(pallet_verity_inference::PendingJobs::<verity_runtime::Runtime>::hashed_key().to_vec());
	client.storage(client.info().best_hash, &key).ok().flatten().is_some()
}
