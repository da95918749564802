/**
 * `@harbormaster/core/testing`: the store conformance suite, a fake clock and test helpers.
 *
 * @packageDocumentation
 */
export {};
