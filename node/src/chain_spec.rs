//! Chain specifications built from the runtime's genesis presets.

use sc_service::ChainType;
use verity_runtime::WASM_BINARY;

/// A chain specification of Verity: no extensions beyond the standard ones. Its genesis is built
/// by the runtime, whose zk verifier checks genesis keys with the BLS12-381 host calls.
pub type ChainSpec = sc_service::GenericChainSpec<sc_chain_spec::NoExtension, crate::service::VerityHostFunctions>;

/// Properties wallets read to show balances: the native token's symbol and decimals.
pub(crate) fn properties() -> sc_chain_spec::Properties {
	let mut properties = sc_chain_spec::Properties::new();
	properties.insert("tokenSymbol".into(), verity_primitives::currency::SYMBOL.into());
	properties.insert("tokenDecimals".into(), verity_primitives::currency::DECIMALS.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

pub(crate) fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| "The wasm runtime was not built (SKIP_WASM_BUILD is set?)".into())
}

/// The single-validator development chain (`--dev`, `--chain dev`).
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Verity Development")
		.with_id("verity_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// The four-validator local testnet (`--chain local`): Alice, Bob, Charlie and Dave.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Verity Local Testnet")
		.with_id("verity_local_testnet")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}
