import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

describe('the README example', () => {
  it('is exactly examples/quickstart/src/quickstart.ts', () => {
    const readme = readFileSync(root('README.md'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(readFileSync(root('examples/quickstart/src/quickstart.ts'), 'utf8'));
  });

  it('runs and prints what it promises', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await import('../src/quickstart.js');
    expect(log).toHaveBeenCalledWith('greeting-loud: HELLO');
    log.mockRestore();
  });
});
