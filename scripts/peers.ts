// `npm run peers -- --help`: builds every peer of the end-to-end tier from Go modules, once per
// machine (cached under .cache/peers/, keyed by their inputs): the collector, the Honeycomb
// stand-in and the pod-log writer (test/e2e/peers.ts, which builds and caches every peer); etcd, kube-apiserver, kubectl, the certgen
// stand-in, the operator and kube-score (test/e2e/control-plane/peers.ts).
import { buildKube, buildLinter, buildOperator } from '../test/e2e/control-plane/peers';
import { haveGo, PeerName, peerBinary, PEERS } from '../test/e2e/peers';

const USAGE = `usage: npm run peers
Builds the end-to-end tier's programs from Go modules (needs Go 1.26+ and the Go module proxy) into
.cache/peers/. A cold build takes minutes (README, "End-to-end tests"); a built one is reused.`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  if (!haveGo()) throw new Error('no Go toolchain on PATH; expected Go 1.26 or newer (the end-to-end tier builds its peers from Go modules)');
  for (const name of Object.keys(PEERS) as PeerName[]) {
    console.log(`peers: ${name}…`);
    console.log(`peers: ${name}: ${peerBinary(name)}`);
  }
  for (const [name, build] of [['kube (etcd, kube-apiserver, kubectl, certgen stand-in)', buildKube], ['operator', buildOperator], ['kube-score', buildLinter]] as const) {
    console.log(`peers: ${name}…`);
    const built = await build();
    console.log(`peers: ${name}: ${Object.values(built.bin).join(', ')}`);
  }
}

main().catch((e) => {
  console.error(`peers failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
