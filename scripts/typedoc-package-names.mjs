/**
 * TypeDoc plugin: names each entry-point module after the package and subpath a user imports
 * (`@harbormaster/core`, `@harbormaster/core/testing`) instead of its source path
 * (`core/src`, `core/src/testing`).
 *
 * typedoc.json resolves the entry points from the packages' sources (packages/NAME/src/...), so
 * the module TypeDoc creates for `packages/NAME/src/SUB/index.ts` is called `NAME/src/SUB`; this
 * maps it to the `name` in packages/NAME/package.json plus `/SUB`. A module comment with an
 * explicit `@module some-name` still wins, since its name no longer has that shape.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Converter, ReflectionKind } from 'typedoc';

const packagesDir = fileURLToPath(new URL('../packages/', import.meta.url));

/** @param {string} dir */
function packageName(dir) {
  const file = join(packagesDir, dir, 'package.json');
  if (!existsSync(file)) return undefined;
  const name = JSON.parse(readFileSync(file, 'utf8')).name;
  return typeof name === 'string' ? name : undefined;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module) || reflection.parent !== context.project) return;
    const match = /^(?:packages\/)?([a-z0-9-]+)\/src(?:\/(.+?))?(?:\/index)?$/.exec(reflection.name);
    if (!match?.[1]) return;
    const name = packageName(match[1]);
    if (name === undefined) return;
    reflection.name = match[2] ? `${name}/${match[2]}` : name;
  });
}
