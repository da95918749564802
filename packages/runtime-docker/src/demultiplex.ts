/**
 * Docker's multiplexed stream format, which logs, attach and exec use for a container without a
 * TTY: a sequence of frames, each an 8-byte header `[stream, 0, 0, 0, size (uint32, big-endian)]`
 * followed by `size` bytes of output; `stream` is 1 for stdout and 2 for stderr (0, stdin, is
 * written as stdout).
 *
 * @module
 */

/** The output of a multiplexed stream, per stream and interleaved as it was written. */
export interface DemultiplexedOutput {
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** stdout and stderr in the order the frames came. */
  readonly combined: Buffer;
}

const HEADER_SIZE = 8;

/**
 * Split a complete multiplexed stream into stdout and stderr. A truncated last frame keeps what
 * arrived. Data that does not start with a frame header (the output of a container with a TTY)
 * is returned whole as stdout.
 */
export function demultiplex(data: Buffer): DemultiplexedOutput {
  if (!looksMultiplexed(data)) return { stdout: data, stderr: Buffer.alloc(0), combined: data };
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const combined: Buffer[] = [];
  let offset = 0;
  while (offset + HEADER_SIZE <= data.length) {
    const stream = data[offset];
    const size = data.readUInt32BE(offset + 4);
    const payload = data.subarray(offset + HEADER_SIZE, Math.min(data.length, offset + HEADER_SIZE + size));
    (stream === 2 ? stderr : stdout).push(payload);
    combined.push(payload);
    offset += HEADER_SIZE + size;
  }
  return { stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), combined: Buffer.concat(combined) };
}

/** Whether `data` starts with a frame header (or is empty). */
function looksMultiplexed(data: Buffer): boolean {
  if (data.length === 0) return true;
  if (data.length < HEADER_SIZE) return false;
  const stream = data[0] ?? 255;
  return stream <= 2 && data[1] === 0 && data[2] === 0 && data[3] === 0;
}
