//! Test support: start the real `verity-node` binary on loopback ports with a temporary base
//! path, talk JSON-RPC to it, and stop it cleanly.
//!
//! The JSON-RPC client is a few lines over `std::net` on purpose: a client crate as a
//! dev-dependency would turn on features of crates the node shares (tokio, hyper, jsonrpsee),
//! and cargo would then build the whole node a second time for the tests.

#![allow(dead_code)]

use std::{
	io::{Read, Write},
	net::{TcpListener, TcpStream},
	path::{Path, PathBuf},
	process::{Child, Command, ExitStatus, Stdio},
	time::{Duration, Instant},
};

use codec::Decode;
use serde_json::{json, Value};
use verity_primitives::{AccountId, Balance, Hash, Nonce};

/// A temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
	pub fn new(tag: &str) -> Self {
		let nanos = std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.unwrap()
			.as_nanos();
		let path =
			std::env::temp_dir().join(format!("verity-{tag}-{}-{nanos}", std::process::id()));
		std::fs::create_dir_all(&path).unwrap();
		Self(path)
	}

	pub fn path(&self) -> &Path {
		&self.0
	}
}

impl Drop for TempDir {
	fn drop(&mut self) {
		// A failed test keeps its node's base path and full log for inspection.
		if std::thread::panicking() {
			eprintln!("kept {} (node logs and databases)", self.0.display());
			return;
		}
		let _ = std::fs::remove_dir_all(&self.0);
	}
}

/// A free TCP port on loopback (the OS picks it; we release it for the node to bind).
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `verity-node`, killed on drop if still running.
pub struct Node {
	child: Option<Child>,
	pub rpc_port: u16,
	pub log: PathBuf,
}

impl Node {
	/// Starts `verity-node` with `args` plus loopback-only networking on fresh ports.
	pub fn start(base_path: &Path, args: &[&str]) -> Self {
		let rpc_port = free_port();
		let p2p_port = free_port();
		let log = base_path.join(format!("node-{rpc_port}.log"));
		let log_file = std::fs::File::create(&log).unwrap();
		let child = Command::new(env!("CARGO_BIN_EXE_verity-node"))
			.args(args)
			.arg("--base-path")
			.arg(base_path)
			.args(["--rpc-port", &rpc_port.to_string()])
			.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{p2p_port}")])
			.args(["--no-prometheus", "--no-telemetry", "--no-mdns"])
			.stdout(Stdio::null())
			.stderr(log_file)
			.spawn()
			.expect("verity-node starts");
		let mut node = Self { child: Some(child), rpc_port, log };
		node.wait_for(Duration::from_secs(120), "RPC up", |n| n.call("system_health", json!([])).ok());
		node
	}

	/// The node's log so far (stderr), for failure messages.
	pub fn log_tail(&self) -> String {
		let log = std::fs::read_to_string(&self.log).unwrap_or_default();
		let lines: Vec<&str> = log.lines().collect();
		lines[lines.len().saturating_sub(40)..].join("\n")
	}

	/// Calls a JSON-RPC method: `Ok(result)` or `Err(error object)`.
	pub fn call(&self, method: &str, params: Value) -> Result<Value, Value> {
		let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
		let mut stream = TcpStream::connect(("127.0.0.1", self.rpc_port))
			.map_err(|e| json!({"transport": e.to_string()}))?;
		stream.set_read_timeout(Some(Duration::from_secs(180))).unwrap();
		write!(
			stream,
			// The port in `Host` too: outside development chains the node checks it.
			"POST / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
			 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
			self.rpc_port,
			body.len()
		)
		.map_err(|e| json!({"transport": e.to_string()}))?;
		let mut response = String::new();
		stream.read_to_string(&mut response).map_err(|e| json!({"transport": e.to_string()}))?;
		let (_, payload) =
			response.split_once("\r\n\r\n").ok_or_else(|| json!({"transport": response.clone()}))?;
		let mut reply: Value =
			serde_json::from_str(payload).map_err(|e| json!({"transport": e.to_string()}))?;
		match reply.get_mut("error") {
			Some(error) => Err(error.take()),
			None => Ok(reply["result"].take()),
		}
	}

	/// Polls `probe` until it yields a value, or panics with the node's log after `timeout` or
	/// as soon as the node exits.
	pub fn wait_for<T>(&mut self, timeout: Duration, what: &str, mut probe: impl FnMut(&Self) -> Option<T>) -> T {
		let start = Instant::now();
		loop {
			if let Some(value) = probe(self) {
				return value;
			}
			if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
				panic!("verity-node exited ({status}) while waiting for {what}; log:\n{}", self.log_tail());
			}
			if start.elapsed() > timeout {
				panic!("timed out after {timeout:?} waiting for {what}; node log:\n{}", self.log_tail());
			}
			std::thread::sleep(Duration::from_millis(250));
		}
	}

	/// Number of the best block.
	pub fn best_number(&self) -> Option<u32> {
		let header = self.call("chain_getHeader", json!([])).ok()?;
		parse_number(&header["number"])
	}

	/// Hash and number of the finalized head.
	pub fn finalized(&self) -> Option<(String, u32)> {
		let hash = self.call("chain_getFinalizedHead", json!([])).ok()?;
		let header = self.call("chain_getHeader", json!([hash])).ok()?;
		Some((hash.as_str()?.to_string(), parse_number(&header["number"])?))
	}

	/// The hash of block `number`, if the node has it.
	pub fn block_hash(&self, number: u32) -> Option<String> {
		self.call("chain_getBlockHash", json!([number])).ok()?.as_str().map(str::to_string)
	}

	/// The genesis hash.
	pub fn genesis_hash(&self) -> Hash {
		let hex = self.block_hash(0).expect("genesis exists");
		Hash::from_slice(&decode_hex(&hex))
	}

	/// The account's free native balance at `at` (a block hash; `None` = best).
	pub fn free_balance(&self, who: &AccountId, at: Option<&str>) -> Balance {
		self.account(who, at).data.free
	}

	/// `who`'s native balance, free and held, at `at`: what it owns, so that a storage deposit
	/// (held until its job is pruned, a week after it closes) does not count as spent.
	pub fn owned_balance(&self, who: &AccountId, at: Option<&str>) -> Balance {
		let data = self.account(who, at).data;
		data.free + data.reserved
	}

	/// `who`'s balance of the stable asset, at the best block.
	pub fn stable_balance(&self, who: &AccountId) -> Balance {
		let key = pallet_assets::Account::<verity_runtime::Runtime>::hashed_key_for(verity_primitives::stable_asset::ID, who);
		self.storage(&key, None).map_or(0, |bytes| {
			pallet_assets::AssetAccountOf::<verity_runtime::Runtime, ()>::decode(&mut &bytes[..]).unwrap().balance
		})
	}

	/// The raw storage value at `key` at `at` (a block hash; `None` = best), if there is one.
	pub fn storage(&self, key: &[u8], at: Option<&str>) -> Option<Vec<u8>> {
		let params = match at {
			Some(hash) => json!([encode_hex(key), hash]),
			None => json!([encode_hex(key)]),
		};
		match self.call("state_getStorage", params).expect("state_getStorage answers") {
			Value::String(hex) => Some(decode_hex(&hex)),
			_ => None,
		}
	}

	/// A runtime API call at the best block, decoded.
	pub fn runtime_call<T: Decode>(&self, method: &str, args: &[u8]) -> T {
		let answer = self.call("state_call", json!([method, encode_hex(args)])).expect("state_call answers");
		T::decode(&mut &decode_hex(answer.as_str().unwrap())[..]).expect("decodes")
	}

	/// The account's `frame_system` record at `at` (default when the account does not exist).
	pub fn account(&self, who: &AccountId, at: Option<&str>) -> AccountInfo {
		let key = frame_system::Account::<verity_runtime::Runtime>::hashed_key_for(who);
		self.storage(&key, at)
			.map(|bytes| AccountInfo::decode(&mut &bytes[..]).unwrap())
			.unwrap_or_default()
	}

	/// Submits SCALE-encoded extrinsic bytes; returns the transaction hash or the RPC error.
	pub fn submit(&self, extrinsic: &[u8]) -> Result<Value, Value> {
		self.call("author_submitExtrinsic", json!([encode_hex(extrinsic)]))
	}

	/// Sends SIGINT, as Ctrl-C would, and waits for the process to exit.
	pub fn interrupt(&mut self) -> ExitStatus {
		let mut child = self.child.take().expect("node is running");
		interrupt_and_wait(&mut child).unwrap_or_else(|| {
			let _ = child.kill();
			panic!("node did not stop within 60 s of SIGINT; log:\n{}", self.log_tail())
		})
	}
}

impl Drop for Node {
	fn drop(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}
}

/// The `frame_system` account record of this runtime.
pub type AccountInfo = frame_system::AccountInfo<Nonce, pallet_balances::AccountData<Balance>>;

fn parse_number(value: &Value) -> Option<u32> {
	u32::from_str_radix(value.as_str()?.trim_start_matches("0x"), 16).ok()
}

pub fn encode_hex(bytes: &[u8]) -> String {
	let mut out = String::with_capacity(2 + bytes.len() * 2);
	out.push_str("0x");
	for byte in bytes {
		out.push_str(&format!("{byte:02x}"));
	}
	out
}

pub fn decode_hex(hex: &str) -> Vec<u8> {
	let hex = hex.trim_start_matches("0x");
	(0..hex.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("valid hex"))
		.collect()
}

/// The shipped models directory that `scripts/setup.sh` fills.
pub fn models_dir() -> PathBuf {
	let dir = std::env::var("VERITY_MODELS_DIR")
		.map(PathBuf::from)
		.unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/verity/models"));
	assert!(
		dir.join("all-minilm-l6-v2/model.safetensors").is_file() &&
			dir.join("digits-mlp/model.vmlp").is_file() &&
			dir.join("digits-mlp/zk/proving.key").is_file(),
		"the shipped models are not in {}: run scripts/setup.sh",
		dir.display()
	);
	dir
}

/// A running off-chain binary of the workspace (`verity-executor`, `verity-gateway`) on a
/// loopback port, connected to `node`; killed on drop.
pub struct Service {
	name: &'static str,
	child: Option<Child>,
	log: PathBuf,
	/// The port it serves HTTP on.
	pub port: u16,
}

impl Service {
	/// Starts `name` (built beside `verity-node`) with `--node-url` and `args`, and waits for
	/// its `/health`.
	pub fn start(name: &'static str, node: &Node, dir: &Path, port: u16, args: &[&str]) -> Self {
		let binary = Path::new(env!("CARGO_BIN_EXE_verity-node")).with_file_name(name);
		assert!(binary.is_file(), "{} is not built: build the workspace", binary.display());
		let log = dir.join(format!("{name}-{}.log", rand_suffix()));
		let child = Command::new(binary)
			.args(["--node-url", &format!("ws://127.0.0.1:{}", node.rpc_port)])
			.args(args)
			.env("RUST_LOG", "info")
			.stdout(Stdio::null())
			.stderr(std::fs::File::create(&log).unwrap())
			.spawn()
			.unwrap_or_else(|e| panic!("{name} starts: {e}"));
		let mut service = Self { name, child: Some(child), log, port };
		service.wait_for(&format!("{name}'s /health"), |s| {
			http(s.port, "GET", "/health", "").filter(|(status, _)| *status == 200)
		});
		service
	}

	pub fn log_tail(&self) -> String {
		let log = std::fs::read_to_string(&self.log).unwrap_or_default();
		let lines: Vec<&str> = log.lines().collect();
		lines[lines.len().saturating_sub(40)..].join("\n")
	}

	pub fn wait_for<T>(&mut self, what: &str, mut probe: impl FnMut(&Self) -> Option<T>) -> T {
		let start = Instant::now();
		loop {
			if let Some(value) = probe(self) {
				return value;
			}
			if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
				panic!("{} exited ({status}) while waiting for {what}; log:\n{}", self.name, self.log_tail());
			}
			if start.elapsed() > Duration::from_secs(120) {
				panic!("timed out waiting for {what}; {} log:\n{}", self.name, self.log_tail());
			}
			std::thread::sleep(Duration::from_millis(200));
		}
	}

	/// Waits until `/metrics` has the line `line`.
	pub fn wait_for_metric(&mut self, line: &str) {
		self.wait_for(line, |s| http(s.port, "GET", "/metrics", "").filter(|(_, body)| body.lines().any(|l| l == line)));
	}

	/// SIGKILL: a crash, nothing is finished or released.
	pub fn kill(&mut self) {
		let mut child = self.child.take().expect("running");
		child.kill().unwrap();
		child.wait().unwrap();
	}

	/// SIGINT, as Ctrl-C: a graceful shutdown.
	pub fn interrupt(&mut self) -> ExitStatus {
		let mut child = self.child.take().expect("running");
		interrupt_and_wait(&mut child).expect("no exit within 60 s of SIGINT")
	}
}

impl Drop for Service {
	fn drop(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}
}

/// Sends SIGINT to `child` and waits up to 60 s for it to exit: its status, or `None`.
fn interrupt_and_wait(child: &mut Child) -> Option<ExitStatus> {
	assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs").success());
	let start = Instant::now();
	while start.elapsed() < Duration::from_secs(60) {
		if let Some(status) = child.try_wait().unwrap() {
			return Some(status);
		}
		std::thread::sleep(Duration::from_millis(100));
	}
	None
}

fn rand_suffix() -> u128 {
	std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// An HTTP answer: status, headers (names lower-cased) and body.
pub struct HttpAnswer {
	pub status: u16,
	pub headers: Vec<(String, String)>,
	pub body: String,
}

impl HttpAnswer {
	pub fn header(&self, name: &str) -> Option<&str> {
		let name = name.to_ascii_lowercase();
		self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
	}

	pub fn json(&self) -> Value {
		serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
	}
}

/// One HTTP/1.1 request on loopback with extra `headers`, or `None` if nothing listens.
pub fn http_request(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Option<HttpAnswer> {
	let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
	stream.set_read_timeout(Some(Duration::from_secs(180))).unwrap();
	let extra: String = headers.iter().map(|(name, value)| format!("{name}: {value}\r\n")).collect();
	write!(
		stream,
		"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{extra}\
		 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	)
	.ok()?;
	let mut response = String::new();
	stream.read_to_string(&mut response).ok()?;
	let (head, body) = response.split_once("\r\n\r\n")?;
	let mut lines = head.lines();
	let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
	let headers = lines
		.filter_map(|line| line.split_once(':'))
		.map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
		.collect();
	Some(HttpAnswer { status, headers, body: body.to_owned() })
}

/// One HTTP/1.1 request on loopback: `(status, body)`, or `None` if nothing listens.
pub fn http(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
	http_request(port, method, path, &[], body).map(|answer| (answer.status, answer.body))
}
