/**
 * The client side of the claim benchmark, in its own process so client-side encoding does not share the
 * controller's event loop: `claim-clients.ts PORT TOKEN CLIENTS CLAIMS_PER_CLIENT` prints one JSON line.
 */
import { createClient } from '../../controller/api/client';

async function main(): Promise<void> {
  const [port, token, clientsText, perClientText] = process.argv.slice(2);
  const clients = Number(clientsText);
  const perClient = Number(perClientText);
  const conns = Array.from({ length: clients }, () => createClient({ endpoint: `127.0.0.1:${port}`, token }));
  const ids: string[] = [];
  // Warm the connections and the JIT; these claims are checked for uniqueness like the others but not timed.
  await Promise.all(conns.map(async (c) => ids.push((await c.claim({ template: 't0', preset: 'p0', owner: 'warm', noFallback: true })).id)));
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    conns.map(async (c, k) => {
      for (let n = 0; n < perClient; n++) {
        const t = performance.now();
        const inst = await c.claim({ template: 't0', preset: 'p0', owner: `client-${k}`, noFallback: true });
        latencies.push(performance.now() - t);
        ids.push(inst.id);
      }
    }),
  );
  const wallMs = performance.now() - started;
  for (const c of conns) c.close();
  process.stdout.write(`${JSON.stringify({ latencies, ids, wallMs })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
