import { describe, expect, it } from 'vitest';
import { FitError, formatFitError, newDiagnosis, NodeToStatus } from './fit-error.js';
import { Status } from './status.js';

describe('FitError message', () => {
  it('counts reasons over nodes and sorts them as strings, like Kubernetes', () => {
    const d = newDiagnosis();
    for (const n of ['n1', 'n2', 'n3']) d.nodeToStatus.set(n, Status.unschedulable('Insufficient cpu'));
    for (const n of ['n4', 'n5']) d.nodeToStatus.set(n, Status.unresolvable('node(s) had untolerated taint {node.kubernetes.io/unreachable: }'));
    expect(new FitError({ podKey: 'default/p', numAllNodes: 5, diagnosis: d }).message).toBe(
      '0/5 nodes are available: 2 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 3 Insufficient cpu.',
    );
  });

  it('counts every reason of a node, and the absent nodes with the absent status', () => {
    const m = new NodeToStatus(Status.unresolvable("node(s) didn't satisfy plugin(s) [NodeAffinity]"));
    m.set('a', Status.unschedulable('Insufficient cpu', 'Insufficient memory'));
    expect(formatFitError(4, { nodeToStatus: m, preFilterMsg: '', postFilterMsg: '' })).toBe(
      "0/4 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 3 node(s) didn't satisfy plugin(s) [NodeAffinity].",
    );
  });

  it('appends the preemption message, and uses the PreFilter message alone when PreFilter rejected', () => {
    const d = newDiagnosis();
    for (const n of ['a', 'b', 'c', 'd', 'e']) d.nodeToStatus.set(n, Status.unschedulable('Insufficient cpu'));
    d.postFilterMsg = 'preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.';
    expect(formatFitError(5, d)).toBe(
      '0/5 nodes are available: 5 Insufficient cpu. preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.',
    );
    const pre = newDiagnosis();
    pre.preFilterMsg = 'pod affinity terms conflict';
    expect(formatFitError(3, pre)).toBe('0/3 nodes are available: pod affinity terms conflict.');
  });
});

describe('Status', () => {
  it('joins reasons into the message and records the plugin without changing the original', () => {
    const s = Status.unschedulable('Insufficient cpu', 'Too many pods');
    expect(s.message).toBe('Insufficient cpu, Too many pods');
    expect(s.isRejected()).toBe(true);
    const w = s.withPlugin('NodeResourcesFit');
    expect(w.plugin).toBe('NodeResourcesFit');
    expect(s.plugin).toBeUndefined();
    expect(Status.error(new Error('boom')).asError().message).toBe('boom');
  });
});
