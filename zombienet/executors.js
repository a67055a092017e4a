// Starts or stops the network's executors: `start`, or `stop,<name>` (ferdie or eve).
// Each runs the real verity-executor binary (from PATH), logs to $VERITY_ZN_DIR.
const fs = require("fs");
const path = require("path");
const { spawn } = require("child_process");
const { until, httpStatus, httpBody, stateDir } = require("./lib.js");

const EXECUTORS = {
  // Registered in genesis at http://127.0.0.1:9955.
  ferdie: { node: "alice", port: 9955, args: ["--key", "//Ferdie"] },
  // Registers itself, asking no fee: a job offering no fee can only go to it.
  eve: { node: "bob", port: 9956, args: ["--key", "//Eve", "--register", "--fee", "0"] },
};

async function start(networkInfo, name) {
  const executor = EXECUTORS[name];
  const log = fs.openSync(path.join(stateDir(), `executor-${name}.log`), "a");
  const child = spawn(
    "verity-executor",
    [
      ...executor.args,
      "--node-url", networkInfo.nodesByName[executor.node].wsUri,
      "--listen", `127.0.0.1:${executor.port}`,
    ],
    { detached: true, stdio: ["ignore", log, log] },
  );
  child.unref();
  fs.writeFileSync(path.join(stateDir(), `executor-${name}.pid`), String(child.pid));
  await until(`${name}'s /health`, async () =>
    (await httpStatus(executor.port, "/health")) === 200 ? true : undefined,
  );
}

async function stop(name) {
  // Its metrics stay with the logs.
  const metrics = await httpBody(EXECUTORS[name].port, "/metrics");
  if (metrics !== undefined) fs.writeFileSync(path.join(stateDir(), `executor-${name}.metrics`), metrics);
  const pidFile = path.join(stateDir(), `executor-${name}.pid`);
  const pid = Number(fs.readFileSync(pidFile, "utf8"));
  try {
    process.kill(pid, "SIGKILL");
  } catch (_) {}
  fs.unlinkSync(pidFile);
}

async function run(_nodeName, networkInfo, args) {
  fs.mkdirSync(stateDir(), { recursive: true });
  if (args[0] === "start") {
    for (const name of Object.keys(EXECUTORS)) await start(networkInfo, name);
  } else if (args[0] === "stop") {
    await stop(args[1]);
  } else {
    throw new Error(`unknown command ${args[0]}`);
  }
  return 0;
}

module.exports = { run };
