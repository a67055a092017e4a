//! `verity-node production-spec`: the chain spec of a production chain, the runtime's
//! `production` genesis with the operator's own validators, governance key and endowments.
//! Every key is the operator's: a well-known development key is refused.

use sc_service::ChainType;
use sp_core::{crypto::Ss58Codec, ed25519, sr25519};
use verity_primitives::{currency::UNIT, AccountId};

use crate::chain_spec::{properties, wasm_binary, ChainSpec};

/// Writes the chain spec (JSON, not raw) of a production chain to stdout.
#[derive(Debug, clap::Parser)]
pub struct ProductionSpecCmd {
	/// The chain's name.
	#[arg(long, default_value = "Verity")]
	pub name: String,
	/// The chain's id (the name of its database folder).
	#[arg(long, default_value = "verity")]
	pub id: String,
	/// A validator: `<Aura sr25519 key>,<GRANDPA ed25519 key>`, each SS58 or 0x hex (from
	/// `verity-node key inspect`); repeatable, at least one.
	#[arg(long = "authority", required = true, value_parser = parse_authority)]
	pub authorities: Vec<([u8; 32], [u8; 32])>,
	/// The governance account: sudo, and owner of the stable asset.
	#[arg(long, value_parser = parse_key)]
	pub governance: [u8; 32],
	/// An endowment, `<account>=<whole VRT>`; repeatable.
	#[arg(long = "endow", value_parser = parse_endowment)]
	pub endowments: Vec<([u8; 32], u128)>,
}

impl ProductionSpecCmd {
	/// The chain spec.
	pub fn chain_spec(&self) -> Result<ChainSpec, String> {
		let public = self
			.authorities
			.iter()
			.flat_map(|(aura, grandpa)| [aura, grandpa])
			.chain([&self.governance])
			.chain(self.endowments.iter().map(|(who, _)| who));
		for key in public {
			refuse_dev_key(key)?;
		}
		let authorities = self
			.authorities
			.iter()
			.map(|(aura, grandpa)| (sr25519::Public::from_raw(*aura).into(), ed25519::Public::from_raw(*grandpa).into()))
			.collect();
		let endowed = self.endowments.iter().map(|(who, amount)| (AccountId::new(*who), *amount)).collect();
		let genesis = verity_runtime::genesis_config_presets::production_genesis(
			authorities,
			Some(AccountId::new(self.governance)),
			endowed,
		);
		Ok(ChainSpec::builder(wasm_binary()?, None)
			.with_name(&self.name)
			.with_id(&self.id)
			.with_chain_type(ChainType::Live)
			.with_genesis_config_patch(genesis)
			.with_properties(properties())
			.build())
	}

	/// Prints the chain spec.
	pub fn run(&self) -> Result<(), String> {
		let json = sc_service::ChainSpec::as_json(&self.chain_spec()?, false)?;
		println!("{json}");
		Ok(())
	}
}

/// A 32-byte public key or account: SS58 (any prefix) or `0x` + 64 hex digits.
fn parse_key(text: &str) -> Result<[u8; 32], String> {
	if text.starts_with("0x") {
		let bytes = sp_core::bytes::from_hex(text).map_err(|e| format!("{text}: {e}"))?;
		return bytes.try_into().map_err(|_| format!("{text}: not 32 bytes"));
	}
	AccountId::from_ss58check_with_version(text)
		.map(|(account, _)| account.into())
		.map_err(|e| format!("{text}: {e:?}"))
}

fn parse_authority(text: &str) -> Result<([u8; 32], [u8; 32]), String> {
	let (aura, grandpa) = text.split_once(',').ok_or("expected <aura key>,<grandpa key>")?;
	Ok((parse_key(aura.trim())?, parse_key(grandpa.trim())?))
}

fn parse_endowment(text: &str) -> Result<([u8; 32], u128), String> {
	let (who, amount) = text.split_once('=').ok_or("expected <account>=<whole VRT>")?;
	let amount: u128 = amount.trim().parse().map_err(|e| format!("{amount}: {e}"))?;
	Ok((parse_key(who.trim())?, amount.checked_mul(UNIT).ok_or("too large")?))
}

/// Refuses a well-known development key (`//Alice`, …, `//Alice//stash`, …): anyone can sign
/// with it.
fn refuse_dev_key(key: &[u8; 32]) -> Result<(), String> {
	let dev = sp_keyring::Sr25519Keyring::iter()
		.map(|k| k.public().0)
		.chain(sp_keyring::Ed25519Keyring::iter().map(|k| k.public().0))
		.any(|public| public == *key);
	if dev {
		return Err(format!(
			"0x{} is a well-known development key: anyone can sign with it",
			sp_core::hexdisplay::HexDisplay::from(key)
		));
	}
	Ok(())
}
