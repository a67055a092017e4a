// `finality.js with "N"`: this node's finalized head advances by N blocks.
// `finality.js with "catch-up,<other>"`: this node's finalized head reaches <other>'s.
const lib = require("./lib.js");

async function finalized(api) {
  const hash = await api.rpc.chain.getFinalizedHead();
  return (await api.rpc.chain.getHeader(hash)).number.toNumber();
}

async function run(nodeName, networkInfo, args) {
  const api = await lib.connect(networkInfo, nodeName);
  const target =
    args[0] === "catch-up"
      ? await finalized(await lib.connect(networkInfo, args[1]))
      : (await finalized(api)) + Number(args[0]);
  await lib.until(`${nodeName} finalizing #${target}`, async () =>
    (await finalized(api)) >= target ? true : undefined,
  );
  return 0;
}

module.exports = { run };
