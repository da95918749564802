/**
 * Score normalization helpers (`plugins/helper/normalize_score.go`).
 *
 * @module
 */
import { MAX_NODE_SCORE, type NodeScore } from '../framework/interface.js';

/**
 * Scale scores so the highest becomes `maxPriority` (integer division, as Kubernetes); with
 * `reverse`, the highest becomes 0 and the lowest `maxPriority`. All-zero scores become 0, or
 * `maxPriority` when reversed.
 */
export function defaultNormalizeScore(scores: NodeScore[], reverse: boolean, maxPriority = MAX_NODE_SCORE): void {
  let max = 0;
  for (const s of scores) if (s.score > max) max = s.score;
  if (max === 0) {
    if (reverse) for (const s of scores) s.score = maxPriority;
    return;
  }
  for (const s of scores) {
    let v = Math.trunc((maxPriority * s.score) / max);
    if (reverse) v = maxPriority - v;
    s.score = v;
  }
}
