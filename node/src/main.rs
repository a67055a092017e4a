//! `verity-node`: the Verity chain's node binary.

#![warn(missing_docs)]

mod chain_spec;
mod cli;
mod command;
mod production_spec;
mod rpc;
mod service;
mod x402;

fn main() -> sc_cli::Result<()> {
	command::run()
}
