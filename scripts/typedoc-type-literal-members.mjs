/**
 * TypeDoc plugin: `validation.notDocumented` does not ask for a comment on the members of an
 * anonymous object type (`Service.__type.status.__type.loadBalancer`, `StoreEvent.__type.type`),
 * nor on the signature of a constructor type, only on the kind, alias, property or method whose
 * type it is.
 *
 * Most such members are the nested fields of the types inferred from the zod schemas in
 * packages/core/src/kinds: they mirror Kubernetes' API fields, which Kubernetes' API reference
 * documents, some fourteen thousand of them. The rest are the fields of object-literal types, such
 * as the members of the `StoreEvent` union. A comment written on such a member is still rendered.
 *
 * TypeDoc 0.28 has no option for this: `requiredToBeDocumented` selects reflections by kind and
 * `intentionallyNotDocumented` takes exact names. So when conversion ends, this walks the project
 * the way TypeDoc's check does (validateDocumentation, typedoc/src/lib/validation/documentation.ts)
 * and adds the names it would warn about, where the reflection is such a member, to
 * `intentionallyNotDocumented`. TypeDoc warns about a listed name it never checks, so if an upgrade
 * changes how the check walks the project, that warning shows it.
 */
import { Converter, DeclarationReflection, ReflectionKind, ReflectionSymbolId, ReflectionType } from 'typedoc';

/**
 * The kinds the check starts from: `requiredToBeDocumented`, with functions, methods,
 * constructors and accessors replaced by their signatures.
 * @param {readonly import('typedoc').EnumKeys<typeof ReflectionKind>[]} names
 */
function checkedKinds(names) {
  let kinds = names.reduce((all, name) => all | ReflectionKind[name], 0);
  for (const [container, signatures] of [
    [ReflectionKind.FunctionOrMethod, ReflectionKind.CallSignature],
    [ReflectionKind.Constructor, ReflectionKind.ConstructorSignature],
    [ReflectionKind.Accessor, ReflectionKind.GetSignature | ReflectionKind.SetSignature],
  ]) {
    if (kinds & container) kinds = (kinds & ~container) | signatures;
  }
  return kinds;
}

/**
 * Whether the reflection is the declaration of an anonymous type: a type literal, or the
 * declaration TypeDoc makes for a constructor type (`new (config) => Counter`).
 * @param {import('typedoc').Reflection | undefined} reflection
 */
function isAnonymousType(reflection) {
  if (!reflection) return false;
  return reflection.kindOf(ReflectionKind.TypeLiteral)
    || (reflection.kindOf(ReflectionKind.Constructor) && !reflection.parent?.kindOf(ReflectionKind.ClassOrInterface));
}

/**
 * Whether the reflection is a member of an anonymous type, a signature of such a member, or the
 * signature of a constructor type (which the declaration holding the type documents, as TypeDoc
 * already has it for the signatures of function types).
 * @param {import('typedoc').Reflection} reflection
 */
function isAnonymousTypeMember(reflection) {
  if (isAnonymousType(reflection.parent)) return true;
  return reflection.kindOf(ReflectionKind.SomeSignature) && isAnonymousType(reflection.parent?.parent);
}

/**
 * The names of the anonymous types' members that `validation.notDocumented` would warn about.
 * @param {import('typedoc').ProjectReflection} project
 * @param {number} kinds
 * @param {readonly string[]} packages the packages that require documentation
 */
function undocumentedAnonymousTypeMembers(project, kinds, packages) {
  const names = new Set();
  const toProcess = project.getReflectionsByKind(kinds);
  const seen = new Set();
  while (toProcess.length > 0) {
    const reflection = /** @type {import('typedoc').Reflection} */ (toProcess.shift());
    if (seen.has(reflection)) continue;
    seen.add(reflection);
    let ancestor = reflection.parent;
    while (ancestor && !ancestor.kindOf(ReflectionKind.Parameter)) ancestor = ancestor.parent;
    if (ancestor) continue;
    // TypeDoc checks these through the declaration that holds them.
    const parent = reflection.parent;
    if (reflection.kindOf(ReflectionKind.TypeLiteral) && parent?.kindOf(ReflectionKind.TypeAlias)) {
      toProcess.push(parent);
      continue;
    }
    if (reflection.kindOf(ReflectionKind.CallSignature) && parent?.kindOf(ReflectionKind.TypeLiteral)) {
      if (parent.parent) toProcess.push(parent.parent);
      continue;
    }
    if (reflection.kindOf(ReflectionKind.ConstructorSignature) && parent?.parent?.kindOf(ReflectionKind.TypeAlias)) {
      toProcess.push(parent.parent);
      continue;
    }
    if (reflection instanceof DeclarationReflection) {
      const signatures = reflection.type instanceof ReflectionType
        ? reflection.type.declaration.getNonIndexSignatures()
        : reflection.getNonIndexSignatures();
      if (signatures.length > 0) {
        toProcess.push(...signatures);
        if (reflection.kindOf(ReflectionKind.SignatureContainer)) continue;
      }
    }
    const documented = reflection.hasComment() || (reflection.kindOf(ReflectionKind.SomeSignature) && parent?.hasComment());
    const symbolId = project.getSymbolIdFromReflection(reflection);
    if (documented || !symbolId || !packages.includes(symbolId.packageName)) continue;
    if (isAnonymousTypeMember(reflection)) names.add(reflection.getFriendlyFullName());
  }
  return names;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_END, (context) => {
    const { options } = app;
    if (!options.getValue('validation').notDocumented) return;
    const { project } = context;
    const packages = options.isSet('packagesRequiringDocumentation')
      ? options.getValue('packagesRequiringDocumentation')
      : [project.packageName ?? ReflectionSymbolId.UNKNOWN_PACKAGE];
    const names = undocumentedAnonymousTypeMembers(project, checkedKinds(options.getValue('requiredToBeDocumented')), packages);
    if (names.size === 0) return;
    const listed = options.getValue('intentionallyNotDocumented');
    options.setValue('intentionallyNotDocumented', [...new Set([...listed, ...names])]);
  });
}
