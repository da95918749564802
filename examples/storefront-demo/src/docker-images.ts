/**
 * Local Docker images for the demo, with no registry: the host's own `node` binary and the shared
 * libraries it needs, plus the storefront server, imported as a root filesystem (`docker import`),
 * once per version (the version is the image's `VERSION` environment variable).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function libraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  return stdout
    .split('\n')
    .map((l) => /(\/\S+) \(0x/.exec(l)?.[1])
    .filter((p): p is string => p !== undefined);
}

export async function buildDockerImages(options: { server: string; versions: readonly string[]; log: (m: string) => void }): Promise<void> {
  const { stdout } = await run('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']);
  const have = new Set(stdout.split('\n'));
  const missing = options.versions.filter((v) => !have.has(`acme/storefront:${v}`));
  if (missing.length === 0) return;
  options.log(`building local images ${missing.map((v) => `acme/storefront:${v}`).join(', ')} from this machine's node binary (no registry needed)…`);
  const root = await mkdtemp(join(tmpdir(), 'storefront-rootfs-'));
  try {
    const node = process.execPath;
    for (const file of [node, ...(await libraries(node))]) {
      await mkdir(join(root, dirname(file)), { recursive: true });
      await cp(file, join(root, file), { dereference: true });
    }
    await mkdir(join(root, 'app'), { recursive: true });
    await cp(options.server, join(root, 'app', 'server.mjs'));
    for (const v of missing) {
      await run('sh', [
        '-c',
        `tar -C "${root}" -c . | docker import --change 'ENV VERSION=${v}' --change 'ENTRYPOINT ["${node}", "/app/server.mjs"]' - acme/storefront:${v}`,
      ]);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
