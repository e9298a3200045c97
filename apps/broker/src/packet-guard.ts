import type { Duplex } from 'node:stream';

/**
 * Closes a connection whose next MQTT packet announces more than `maxBytes`, as soon as its fixed
 * header arrives: aedes never gets to buffer the body. It reads only the fixed headers (type byte
 * and the 1–4 byte "remaining length", MQTT-3.1.1 2.2.3) and skips bodies, so it costs a few
 * operations per packet. Attach before aedes reads the socket.
 */
export function guardPacketSize(
  socket: Duplex,
  maxBytes: number,
  onOversize: (announced: number) => void,
): void {
  // state across chunks: bytes of the current packet still to skip, or a header being read
  let skip = 0;
  let headerBytes = 0; // bytes of the fixed header seen so far (0 = expecting the type byte)
  let remaining = 0;
  let multiplier = 1;
  socket.on('data', (chunk: Buffer) => {
    let i = 0;
    while (i < chunk.length) {
      if (skip > 0) {
        const step = Math.min(skip, chunk.length - i);
        skip -= step;
        i += step;
        continue;
      }
      const byte = chunk[i++] as number;
      if (headerBytes === 0) {
        headerBytes = 1;
        remaining = 0;
        multiplier = 1;
        continue;
      }
      remaining += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      headerBytes++;
      if ((byte & 0x80) !== 0 && headerBytes < 5) continue;
      const total = headerBytes + remaining;
      if (total > maxBytes || (byte & 0x80) !== 0) {
        onOversize(total);
        socket.destroy();
        return;
      }
      skip = remaining;
      headerBytes = 0;
    }
  });
}
