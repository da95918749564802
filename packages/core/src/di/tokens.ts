/**
 * The typed service identifiers of Harbormaster's dependency injection, all in one place.
 * Packages bind these in their ContainerModules; the composition root resolves them.
 *
 * @module
 */
import type { ServiceIdentifier } from 'inversify';
import type { AdmissionPlugin } from '../api/admission.js';
import type { ApiServer } from '../api/api-server.js';
import type { Client } from '../api/client.js';
import type { Clock } from '../clock/clock.js';
import type { Runnable } from '../controller/controller.js';
import type { AnyKind } from '../kinds/kind.js';
import type { LeaderElectionOptions } from '../manager/leader-election.js';
import type { Manager } from '../manager/manager.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import type { Store } from '../store/store.js';

/** Registers controllers (or anything else) on the manager; bind as many as you like. */
export type ControllerSetup = (manager: Manager) => void;

/** Service identifiers. Multi-bound ones (`Kind`, `AdmissionPlugin`, `ControllerSetup`, `Runnable`) are collected with `getAll`. */
export const TOKENS = {
  /** The store; bound by a store package's module (e.g. `memoryStoreModule()`). */
  Store: Symbol.for('harbormaster.Store') as ServiceIdentifier<Store>,
  /** The clock. @default systemClock */
  Clock: Symbol.for('harbormaster.Clock') as ServiceIdentifier<Clock>,
  /** The logger. @default warnings and errors as JSON lines on stderr (the manager's default) */
  Logger: Symbol.for('harbormaster.Logger') as ServiceIdentifier<Logger>,
  /** The metrics. @default noopMetrics */
  Metrics: Symbol.for('harbormaster.Metrics') as ServiceIdentifier<Metrics>,
  /** Leader election options for the manager. @default none */
  LeaderElection: Symbol.for('harbormaster.LeaderElection') as ServiceIdentifier<LeaderElectionOptions>,
  /** Extra kinds to serve (multi). */
  Kind: Symbol.for('harbormaster.Kind') as ServiceIdentifier<AnyKind>,
  /** Admission plugins (multi). */
  AdmissionPlugin: Symbol.for('harbormaster.AdmissionPlugin') as ServiceIdentifier<AdmissionPlugin>,
  /** Controller registrations (multi), run once when the manager is made. */
  ControllerSetup: Symbol.for('harbormaster.ControllerSetup') as ServiceIdentifier<ControllerSetup>,
  /** Other runnables for the manager (multi). */
  Runnable: Symbol.for('harbormaster.Runnable') as ServiceIdentifier<Runnable>,
  /** The container runtime of this process's node agent; bound by a runtime package's module. */
  ContainerRuntime: Symbol.for('harbormaster.ContainerRuntime') as ServiceIdentifier<ContainerRuntime>,
  /** The API server (singleton). */
  ApiServer: Symbol.for('harbormaster.ApiServer') as ServiceIdentifier<ApiServer>,
  /** The manager's client (singleton). */
  Client: Symbol.for('harbormaster.Client') as ServiceIdentifier<Client>,
  /** The manager (singleton), with every ControllerSetup and Runnable applied. */
  Manager: Symbol.for('harbormaster.Manager') as ServiceIdentifier<Manager>,
} as const;
