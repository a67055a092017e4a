//! Command-line interface of `verity-node`.

/// How blocks are produced.
#[derive(Debug, Copy, Clone, PartialEq, Eq, clap::ValueEnum)]
pub enum Sealing {
	/// Aura slots and GRANDPA finality: the real consensus, as on any network.
	Aura,
	/// Author and finalize a block as soon as a transaction enters the pool (tests).
	Instant,
	/// Author a block only when asked, with the `engine_createBlock` RPC (tests).
	Manual,
}

/// Flags of the node beyond the standard Substrate ones.
#[derive(Debug, clap::Parser)]
pub struct RunCmd {
	#[allow(missing_docs)]
	#[clap(flatten)]
	pub base: sc_cli::RunCmd,

	/// How blocks are produced. `instant` and `manual` skip Aura and GRANDPA and are for
	/// single-node tests only: such a node cannot join a network.
	#[arg(long, value_enum, default_value_t = Sealing::Aura)]
	pub sealing: Sealing,

	/// The sr25519 secret URI (seed, mnemonic or dev name such as `//Alice`) of the account that
	/// settles x402 payments submitted through `x402_settle` and pays their transaction fees.
	/// Without it the node verifies payments but does not settle them.
	#[arg(long, value_name = "SURI")]
	pub x402_facilitator: Option<String>,
}

impl RunCmd {
	/// The facilitator key of `--x402-facilitator`.
	pub fn x402_facilitator(&self) -> Result<Option<sp_core::sr25519::Pair>, String> {
		use sp_core::Pair;
		self.x402_facilitator
			.as_deref()
			.map(|suri| {
				sp_core::sr25519::Pair::from_string(suri, None)
					.map_err(|e| format!("--x402-facilitator is not a valid secret URI: {e:?}"))
			})
			.transpose()
	}
}

/// The `verity-node` command line.
#[derive(Debug, clap::Parser)]
#[command(
	propagate_version = true,
	args_conflicts_with_subcommands = true,
	subcommand_negates_reqs = true
)]
pub struct Cli {
	/// Sub-commands; none means "run the node".
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[allow(missing_docs)]
	#[clap(flatten)]
	pub run: RunCmd,
}

/// The sub-commands of `verity-node`.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect and insert keys into the node's keystore.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification.
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Write the chain specification of a production chain with your own validators,
	/// governance key and endowments (docs/network.md).
	ProductionSpec(crate::production_spec::ProductionSpecCmd),

	/// Export the chain specification of a running chain.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Run benchmarks of the runtime's pallets and of the machine.
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Print information about the database.
	ChainInfo(sc_cli::ChainInfoCmd),
}
