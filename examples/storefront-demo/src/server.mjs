// The storefront "image": a tiny HTTP server. It listens on its pod's own IP (POD_IP) and port
// 8080, answers with its version and pod name, and burns CPU on /work so that load is real.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';

const version = process.env.VERSION ?? 'unknown';
const host = process.env.POD_IP ?? '127.0.0.1';
const name = process.env.HOSTNAME ?? hostname();

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/work') {
    const until = Date.now() + Number(url.searchParams.get('ms') ?? 20);
    let h = 'x';
    while (Date.now() < until) h = createHash('sha256').update(h).digest('hex');
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`storefront ${version} from pod ${name} at ${host}\n`);
});
server.listen(8080, host);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
