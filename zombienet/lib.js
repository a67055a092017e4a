// Helpers shared by the network tests' js-scripts (run by zombienet, which provides `zombie`).
const fs = require("fs");
const path = require("path");
const http = require("http");

// SHA-256 of models/digits-mlp/model.vmlp: the shipped digits model's id (docs/models.md).
const DIGITS_MLP =
  "0x63f4524cc6e82404b0622bcbddfa77a56bf2e71c5e3c92ccead975942a993644";
// The first image of the vendored digits data set (label 0), pixels 0..16 times 7 (int8 input).
const DIGIT_ZERO = [
  0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8,
  8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13,
  10, 0, 0, 0,
].map((pixel) => pixel * 7);

// Where the test keeps state between steps and the executors' logs (set by scripts/zombienet.sh).
const stateDir = () => process.env.VERITY_ZN_DIR || "/tmp/verity-zombienet";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function connect(networkInfo, nodeName) {
  const { wsUri, userDefinedTypes } = networkInfo.nodesByName[nodeName];
  return zombie.connect(wsUri, userDefinedTypes);
}

// Polls `probe` every second until it returns something other than undefined.
async function until(what, probe, timeoutMs = 300000) {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(1000);
  }
}

// Signs and submits `tx` as `signer`; resolves with the events of the block that includes it.
function submit(api, tx, signer) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, ({ status, events, dispatchError }) => {
      if (dispatchError) reject(new Error(`dispatch error: ${dispatchError.toString()}`));
      else if (status.isInBlock) resolve(events);
      else if (status.isInvalid || status.isDropped || status.isUsurped)
        reject(new Error(`transaction ${status.type}`));
    }).catch(reject);
  });
}

// The digits model's genesis prices: the most a job accepts (`maxPrice`).
const DIGITS_PRICES = { Signed: 10_000_000_000n, Zk: 100_000_000_000n };

// Submits one digits job (signed tier unless `mode` says otherwise) as //Bob and returns its id.
async function submitDigitJob(api, maxFee, deadlineBlocks, mode = "Signed") {
  const bob = new zombie.Keyring({ type: "sr25519" }).addFromUri("//Bob");
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const spec = {
    model: DIGITS_MLP,
    mode,
    input: { Inline: "0x" + Buffer.from(DIGIT_ZERO).toString("hex") },
    maxPrice: DIGITS_PRICES[mode],
    maxFee,
    deadline: best + deadlineBlocks,
  };
  const events = await submit(api, api.tx.inference.submitJob(spec), bob);
  const submitted = events.find(({ event }) => api.events.inference.JobSubmitted.is(event));
  if (!submitted) throw new Error("no JobSubmitted event");
  return submitted.event.data.job.toNumber();
}

async function jobStatus(api, id) {
  const job = await api.query.inference.jobs(id);
  return job.isSome ? job.unwrap().status.toString() : undefined;
}

// The inference event about job `id` in the block where the job last changed.
async function jobEvent(api, id) {
  const job = (await api.query.inference.jobs(id)).unwrap();
  const hash = await api.rpc.chain.getBlockHash(job.updatedAt);
  const events = await (await api.at(hash)).query.system.events();
  const found = events.find(
    ({ event }) => event.section === "inference" && event.data.job && event.data.job.toNumber() === id,
  );
  return found && found.event;
}

// The number of the block holding the inference event `method` about job `id`.
async function blockWith(api, id, method) {
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  for (let number = 1; number <= best; number++) {
    const events = await (await api.at(await api.rpc.chain.getBlockHash(number))).query.system.events();
    const found = events.some(
      ({ event }) => event.section === "inference" && event.method === method && event.data.job.toNumber() === id,
    );
    if (found) return number;
  }
  throw new Error(`no ${method} for job ${id}`);
}

function saveJob(name, id) {
  fs.mkdirSync(stateDir(), { recursive: true });
  fs.writeFileSync(path.join(stateDir(), `${name}.job`), String(id));
}

function loadJob(name) {
  return Number(fs.readFileSync(path.join(stateDir(), `${name}.job`), "utf8"));
}

function httpStatus(port, route) {
  return new Promise((resolve) => {
    http
      .get({ host: "127.0.0.1", port, path: route, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
      .on("error", () => resolve(undefined));
  });
}

// The body of GET 127.0.0.1:port/route, or undefined.
function httpBody(port, route) {
  return new Promise((resolve) => {
    http
      .get({ host: "127.0.0.1", port, path: route, timeout: 2000 }, (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve(body));
      })
      .on("error", () => resolve(undefined));
  });
}

module.exports = {
  connect, until, submit, submitDigitJob, jobStatus, jobEvent, blockWith, saveJob, loadJob, httpStatus, httpBody, stateDir, sleep,
};
