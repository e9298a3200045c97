import { PassThrough } from 'node:stream';
import { guardPacketSize } from './packet-guard';

/** An MQTT PUBLISH packet with a body of `n` bytes (fixed header + remaining length varint). */
function packet(n: number): Buffer {
  const length: number[] = [];
  let x = n;
  do {
    let byte = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) byte |= 0x80;
    length.push(byte);
  } while (x > 0);
  return Buffer.concat([Buffer.from([0x30, ...length]), Buffer.alloc(n, 7)]);
}

function feed(chunks: Buffer[], max: number): { closed: boolean; announced: number | undefined } {
  const socket = new PassThrough();
  let announced: number | undefined;
  guardPacketSize(socket, max, (n) => (announced = n));
  for (const c of chunks) socket.emit('data', c);
  return { closed: socket.destroyed, announced };
}

describe('guardPacketSize', () => {
  it.each([
    ['a small packet', [packet(100)], false],
    [
      'many small packets in one chunk',
      [Buffer.concat([packet(10), packet(200), packet(0)])],
      false,
    ],
    ['a packet exactly at the limit (3 + 997 bytes)', [packet(997)], false],
    ['a packet one byte over', [packet(998)], true],
    ['a header split across chunks', [packet(5000).subarray(0, 2), packet(5000).subarray(2)], true],
  ])('%s', (_label, chunks, closed) => {
    expect(feed(chunks, 1_000).closed).toBe(closed);
  });

  it('closes on the header, before the body arrives, and says what was announced', () => {
    const big = packet(300_000);
    expect(feed([big.subarray(0, 4)], 256 * 1024)).toEqual({ closed: true, announced: 300_004 });
  });

  it('keeps counting correctly across bodies split over many chunks', () => {
    const stream = Buffer.concat([packet(3_000), packet(10), packet(5_000)]);
    const chunks = Array.from({ length: Math.ceil(stream.length / 7) }, (_, i) =>
      stream.subarray(i * 7, i * 7 + 7),
    );
    expect(feed(chunks, 4_000).closed).toBe(true); // the third packet is over
    expect(feed(chunks, 6_000).closed).toBe(false);
  });

  it('refuses a malformed length of more than 4 bytes', () => {
    expect(feed([Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])], 1 << 30).closed).toBe(true);
  });
});
