/**
 * A snapshot's bytes: a JSON part for structure and any number of Float64Arrays for bulk
 * numbers (latency samples), so a million samples are 8 MB of doubles, not 20 MB of text.
 *
 * Layout: u32 JSON length · JSON · u32 array count · u32 length of each array · the arrays'
 * doubles, little-endian.
 */
export function packSnapshot(meta: unknown, arrays: readonly Float64Array[] = []): Buffer {
  const json = Buffer.from(JSON.stringify(meta));
  const head = Buffer.alloc(8 + json.length + 4 * arrays.length);
  head.writeUInt32LE(json.length, 0);
  json.copy(head, 4);
  head.writeUInt32LE(arrays.length, 4 + json.length);
  arrays.forEach((a, i) => head.writeUInt32LE(a.length, 8 + json.length + 4 * i));
  return Buffer.concat([
    head,
    ...arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)),
  ]);
}

export function unpackSnapshot<T>(data: Buffer): { meta: T; arrays: Float64Array[] } {
  const jsonLength = data.readUInt32LE(0);
  const meta = JSON.parse(data.subarray(4, 4 + jsonLength).toString('utf8')) as T;
  const count = data.readUInt32LE(4 + jsonLength);
  const arrays: Float64Array[] = [];
  let at = 8 + jsonLength + 4 * count;
  for (let i = 0; i < count; i++) {
    const n = data.readUInt32LE(8 + jsonLength + 4 * i);
    // Copied out: a Float64Array needs 8-byte alignment, which a Redis reply's buffer lacks.
    const bytes = data.subarray(at, at + n * 8);
    const copy = new Float64Array(n);
    Buffer.from(copy.buffer).set(bytes);
    arrays.push(copy);
    at += n * 8;
  }
  return { meta, arrays };
}
