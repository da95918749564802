import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Container, ContainerStartError, ImagePullError, type ContainerInfo, type ContainerRuntime } from '@harbormaster/core';
import { containerRuntimeConformanceSuite } from '@harbormaster/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isRunning, readProcStat } from './proc.js';
import { processRuntimeModule } from './process-runtime-module.js';
import { processRuntime } from './process-runtime.js';

const IMAGE = 'harbormaster/test-http:1';
const fixture = fileURLToPath(new URL('../test/fixtures/test-http.mjs', import.meta.url));
const images = { [IMAGE]: { command: [process.execPath, fixture] } };
const stateDir = mkdtempSync(join(tmpdir(), 'hm-runtime-process-'));

afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

containerRuntimeConformanceSuite('processRuntime', () => processRuntime({ stateDir, images }), { image: IMAGE });

describe('processRuntime specifics', () => {
  const runtime = processRuntime({
    stateDir,
    images: {
      ...images,
      'tools/echo:1': { command: ['sh', '-c', 'echo "$0 $1 $MODE"'], args: ['default', 'args'], env: { MODE: 'image' } },
    },
  });
  const created: string[] = [];
  let n = 0;
  const name = (): string => `process-specific-${process.pid}-${++n}`;
  const exited = async (id: string): Promise<ContainerInfo> => {
    for (;;) {
      const info = await runtime.inspectContainer(id);
      if (info?.state === 'exited') return info;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  afterEach(async () => {
    for (const id of created.splice(0)) await runtime.removeContainer(id);
  });

  it("uses the image's command, args and env; a container's args replace the image's args, its env overrides", async () => {
    const a = await runtime.createContainer({ name: name(), image: 'tools/echo:1', labels: {} });
    const b = await runtime.createContainer({ name: name(), image: 'tools/echo:1', args: ['mine'], env: { MODE: 'container' }, labels: {} });
    created.push(a.id, b.id);
    await runtime.startContainer(a.id);
    await runtime.startContainer(b.id);
    await Promise.all([exited(a.id), exited(b.id)]);
    expect(await runtime.logs(a.id)).toBe('default args image\n');
    expect(await runtime.logs(b.id)).toBe('mine  container\n');
  });

  it('knows process://<absolute path> images, and nothing else it was not given', async () => {
    const { imageId } = await runtime.ensureImage('process:///bin/sh', { pullPolicy: 'Always' });
    expect(imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await runtime.listImages()).flatMap((i) => i.names)).toEqual(expect.arrayContaining([IMAGE, 'process:///bin/sh']));
    await expect(runtime.ensureImage('process://bin/sh', { pullPolicy: 'IfNotPresent' })).rejects.toBeInstanceOf(ImagePullError);
    await expect(runtime.ensureImage('process:///nonexistent/bin', { pullPolicy: 'IfNotPresent' })).rejects.toBeInstanceOf(ImagePullError);
    await expect(runtime.createContainer({ name: name(), image: 'acme/unknown:1', labels: {} })).rejects.toBeInstanceOf(ContainerStartError);

    const c = await runtime.createContainer({ name: name(), image: 'process:///bin/sh', args: ['-c', 'pwd'], labels: {} });
    created.push(c.id);
    await runtime.startContainer(c.id);
    await exited(c.id);
    expect(await runtime.logs(c.id)).toBe(`${realpathSync('/bin')}\n`);
  });

  it('stop kills the whole process tree, and so does the end of the first process', async () => {
    const tree = await runtime.createContainer({
      name: name(),
      image: IMAGE,
      command: ['sh', '-c', 'trap "" TERM; sh -c "trap \\"\\" TERM; sleep 300" & echo "child $!"; wait'],
      labels: {},
    });
    created.push(tree.id);
    await runtime.startContainer(tree.id);
    const child = await childPid(runtime, tree.id);
    await runtime.stopContainer(tree.id, { gracePeriodSeconds: 1 });
    expect(await runtime.inspectContainer(tree.id)).toMatchObject({ state: 'exited', exitCode: 137 });
    expect(await isRunning(child)).toBe(false);

    const orphaning = await runtime.createContainer({ name: name(), image: IMAGE, command: ['sh', '-c', 'sleep 300 & echo "child $!"; sleep 0.2'], labels: {} });
    created.push(orphaning.id);
    await runtime.startContainer(orphaning.id);
    const orphan = await childPid(runtime, orphaning.id);
    expect(await exited(orphaning.id)).toMatchObject({ exitCode: 0 });
    expect(await isRunning(orphan)).toBe(false);
  });

  it('reports a container whose process and shim vanished without an exit code as ContainerStatusUnknown (137)', async () => {
    const c = await runtime.createContainer({ name: name(), image: IMAGE, command: ['sleep', '300'], labels: {} });
    created.push(c.id);
    await runtime.startContainer(c.id);
    const started = JSON.parse(readFileSync(join(stateDir, 'containers', c.id, 'started.json'), 'utf8')) as { pid: number; shimPid: number };
    process.kill(started.shimPid, 'SIGKILL');
    process.kill(started.pid, 'SIGKILL');
    expect(await exited(c.id)).toMatchObject({ exitCode: 137, reason: 'ContainerStatusUnknown' });
  });

  it('never shows a container being removed as ContainerStatusUnknown: a concurrent list sees it whole or not at all', async () => {
    const labels = { race: `${process.pid}-${++n}` };
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const c = await runtime.createContainer({ name: name(), image: IMAGE, command: ['sh', '-c', 'exit 3'], labels });
      ids.push(c.id);
      await runtime.startContainer(c.id);
    }
    await Promise.all(ids.map((id) => exited(id)));
    const seen: ContainerInfo[] = [];
    let removing = true;
    const lister = (async () => {
      while (removing) seen.push(...(await runtime.listContainers({ labels })));
    })();
    for (const id of ids) await runtime.removeContainer(id);
    removing = false;
    await lister;
    expect(seen.length).toBeGreaterThan(0);
    for (const info of seen) expect(info).toMatchObject({ state: 'exited', exitCode: 3, reason: 'Error' });
    expect(await runtime.listContainers({ labels })).toEqual([]);
    for (const id of ids) expect(await runtime.inspectContainer(id)).toBeUndefined();

    // A removal cut short between its rename and its delete is finished by the next list.
    const leftover = join(stateDir, 'containers', `.removing-${'0'.repeat(32)}`);
    mkdirSync(join(leftover, 'work'), { recursive: true });
    writeFileSync(join(leftover, 'log'), 'old\n');
    await runtime.listContainers();
    expect(existsSync(leftover)).toBe(false);
  });

  it('reports a start failure as exited with StartError, and refuses to start a container twice', async () => {
    const missing = await runtime.createContainer({ name: name(), image: IMAGE, command: ['no-such-command-here'], labels: {} });
    created.push(missing.id);
    await expect(runtime.startContainer(missing.id)).rejects.toThrow(/executable file not found/);
    expect(await runtime.inspectContainer(missing.id)).toMatchObject({ state: 'exited', exitCode: 128, reason: 'StartError' });

    const once = await runtime.createContainer({ name: name(), image: IMAGE, command: ['true'], labels: {} });
    created.push(once.id);
    await runtime.startContainer(once.id);
    await exited(once.id);
    await expect(runtime.startContainer(once.id)).rejects.toBeInstanceOf(ContainerStartError);
  });

  it('finds running containers again after the agent process ended (a real restart)', async () => {
    const script = `
      import { processRuntime } from ${JSON.stringify(fileURLToPath(new URL('./process-runtime.ts', import.meta.url)))};
      const runtime = processRuntime({ stateDir: ${JSON.stringify(stateDir)} });
      const c = await runtime.createContainer({ name: 'restart-${process.pid}', image: 'process:///bin/sh', args: ['-c', 'trap "echo bye; exit 0" TERM; sleep 300 & wait'], labels: { restart: '${process.pid}' } });
      await runtime.startContainer(c.id);
      console.log(c.id);
    `;
    const agent = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(agent.stderr).toBe('');
    const id = agent.stdout.trim();
    created.push(id);
    const [found] = await runtime.listContainers({ labels: { restart: String(process.pid) } });
    expect(found).toMatchObject({ id, state: 'running' });
    expect(await readProcStat(found?.pid ?? 0)).toBeDefined();
    await runtime.stopContainer(id, { gracePeriodSeconds: 10 });
    expect(await runtime.inspectContainer(id)).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed' });
    expect(await runtime.logs(id)).toBe('bye\n');
  });

  it('processRuntimeModule binds the runtime to the ContainerRuntime token', async () => {
    const container = new Container();
    container.loadSync(processRuntimeModule({ stateDir, capacity: { cpu: 3, memoryBytes: 1024 } }));
    const bound = container.get<ContainerRuntime>(Symbol.for('harbormaster.ContainerRuntime'));
    expect(bound.name).toBe('process');
    expect(await bound.capacity()).toEqual({ cpu: 3, memoryBytes: 1024 });
    await container.unbindAll();
  });
});

/** The pid a container printed as `child <pid>`. */
async function childPid(runtime: ContainerRuntime, id: string): Promise<number> {
  for (;;) {
    const match = /child (\d+)/.exec(await runtime.logs(id));
    if (match?.[1] !== undefined) return Number(match[1]);
    await new Promise((r) => setTimeout(r, 20));
  }
}
