/**
 * The client side of the claim and activity benchmarks, in its own process so client-side encoding does not share
 * the controller's event loop: `claim-clients.ts PORT[,PORT…] TOKEN CLIENTS CALLS_PER_CLIENT [claim|activity]` prints one
 * JSON line. With several ports (replicas), client k calls the k-th modulo their count. In activity mode each client
 * first claims a workspace, then reports activity on it.
 */
import { createClient } from '../../controller/api/client';

async function main(): Promise<void> {
  const [portsText, token, clientsText, perClientText, modeText = 'claim'] = process.argv.slice(2);
  const ports = portsText.split(',');
  const mode = modeText === 'activity' ? 'activity' : 'claim';
  const clients = Number(clientsText);
  const perClient = Number(perClientText);
  const conns = Array.from({ length: clients }, (_, k) => createClient({ endpoint: `127.0.0.1:${ports[k % ports.length]}`, token }));
  const ids: string[] = [];
  /** owners[i] is the owner ids[i] was claimed for (client-K). */
  const owners: string[] = [];
  // Warm the connections and the JIT; these claims are checked for uniqueness like the others but not timed.
  const own = await Promise.all(
    conns.map(async (c, k) => {
      const w = await c.claim({ template: 't0', preset: 'p0', owner: `client-${k}`, noFallback: true });
      ids.push(w.id);
      owners.push(`client-${k}`);
      return w.id;
    }),
  );
  if (mode === 'activity') await Promise.all(conns.map((c, k) => c.reportActivity(own[k])));
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    conns.map(async (c, k) => {
      for (let n = 0; n < perClient; n++) {
        const t = performance.now();
        if (mode === 'activity') {
          await c.reportActivity(own[k]);
          latencies.push(performance.now() - t);
        } else {
          const inst = await c.claim({ template: 't0', preset: 'p0', owner: `client-${k}`, noFallback: true });
          latencies.push(performance.now() - t);
          ids.push(inst.id);
          owners.push(`client-${k}`);
        }
      }
    }),
  );
  const wallMs = performance.now() - started;
  for (const c of conns) c.close();
  process.stdout.write(`${JSON.stringify({ latencies, ids, owners, wallMs })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
