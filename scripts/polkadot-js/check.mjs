// Connects @polkadot/api to a node and checks that the marketplace and
// governance calls and the reputation pallet are there.
import { ApiPromise, WsProvider } from '@polkadot/api';
const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true });
const calls = ['jobs.submitJob', 'jobs.cancelJob', 'jobs.claimJob', 'jobs.submitResult', 'jobs.submitVerdict',
  'stake.registerProvider', 'stake.registerVerifier', 'stake.bondExtra', 'stake.unbond', 'stake.withdrawUnbonded',
  'referenda.submit', 'convictionVoting.vote'];
let missing = 0;
for (const path of calls) {
  const [pallet, call] = path.split('.');
  const found = typeof api.tx[pallet]?.[call] === 'function';
  console.log(`${found ? 'found  ' : 'MISSING'} ${path}`);
  if (!found) missing++;
}
const reputation = api.query.reputation !== undefined;
console.log(`${reputation ? 'found  ' : 'MISSING'} reputation pallet (storage: ${Object.keys(api.query.reputation ?? {}).join(', ')})`);
if (!reputation) missing++;
console.log(`runtime ${api.runtimeVersion.specName} v${api.runtimeVersion.specVersion}`);
await api.disconnect();
process.exit(missing ? 1 : 0);
