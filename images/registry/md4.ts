// MD4 (RFC 1320) and the NT hash (MD4 of the UTF-16LE password), host side:
// the image build uses them to check SAM.reg's accounts, and
//
//   npx tsx images/registry/md4.ts USER PASSWORD [RID]
//
// prints the SAM.reg lines of an account with that password. lsass computes
// the same hash in the machine (images/system32/lsass/md4.ts).

/** MD4 of `data`: 16 bytes. */
export function md4(data: Uint8Array): Uint8Array {
  // Padding: 0x80, zeros to 56 mod 64, the bit length as a little-endian u64.
  const total = ((data.length + 8) >> 6) + 1 << 6;
  const m = new Uint8Array(total);
  m.set(data);
  m[data.length] = 0x80;
  const bits = data.length * 8;
  const view = new DataView(m.buffer);
  view.setUint32(total - 8, bits >>> 0, true);
  view.setUint32(total - 4, Math.floor(bits / 0x100000000), true);
  let a = 0x67452301, b = 0xefcdab89, c = 0x98badcfe, d = 0x10325476;
  const rol = (x: number, s: number) => (x << s) | (x >>> (32 - s));
  const x = new Uint32Array(16);
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = view.getUint32(off + i * 4, true);
    const [aa, bb, cc, dd] = [a, b, c, d];
    // Round 1: F(x,y,z) = xy | ~x z.
    for (const i of [0, 4, 8, 12]) {
      a = rol((a + ((b & c) | (~b & d)) + x[i]) | 0, 3);
      d = rol((d + ((a & b) | (~a & c)) + x[i + 1]) | 0, 7);
      c = rol((c + ((d & a) | (~d & b)) + x[i + 2]) | 0, 11);
      b = rol((b + ((c & d) | (~c & a)) + x[i + 3]) | 0, 19);
    }
    // Round 2: G(x,y,z) = xy | xz | yz, plus 0x5A827999.
    for (const i of [0, 1, 2, 3]) {
      a = rol((a + ((b & c) | (b & d) | (c & d)) + x[i] + 0x5a827999) | 0, 3);
      d = rol((d + ((a & b) | (a & c) | (b & c)) + x[i + 4] + 0x5a827999) | 0, 5);
      c = rol((c + ((d & a) | (d & b) | (a & b)) + x[i + 8] + 0x5a827999) | 0, 9);
      b = rol((b + ((c & d) | (c & a) | (d & a)) + x[i + 12] + 0x5a827999) | 0, 13);
    }
    // Round 3: H(x,y,z) = x ^ y ^ z, plus 0x6ED9EBA1.
    for (const i of [0, 2, 1, 3]) {
      a = rol((a + (b ^ c ^ d) + x[i] + 0x6ed9eba1) | 0, 3);
      d = rol((d + (a ^ b ^ c) + x[i + 8] + 0x6ed9eba1) | 0, 9);
      c = rol((c + (d ^ a ^ b) + x[i + 4] + 0x6ed9eba1) | 0, 11);
      b = rol((b + (c ^ d ^ a) + x[i + 12] + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0; b = (b + bb) | 0; c = (c + cc) | 0; d = (d + dd) | 0;
  }
  const out = new Uint8Array(16);
  const o = new DataView(out.buffer);
  [a, b, c, d].forEach((w, i) => o.setUint32(i * 4, w >>> 0, true));
  return out;
}

/** The NT (NTLM) hash of a password: MD4 of its UTF-16LE bytes. */
export function ntHash(password: string): Uint8Array {
  const bytes = new Uint8Array(password.length * 2);
  for (let i = 0; i < password.length; i++) { bytes[i * 2] = password.charCodeAt(i) & 0xff; bytes[i * 2 + 1] = password.charCodeAt(i) >> 8; }
  return md4(bytes);
}

export const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

if (process.argv[1] && /images[\\/]registry[\\/]md4\.ts$/.test(process.argv[1])) {
  const [user, password, ridText] = process.argv.slice(2);
  if (!user || password === undefined) { console.error('usage: npx tsx images/registry/md4.ts USER PASSWORD [RID]'); process.exit(2); }
  const rid = Number(ridText ?? 1000);
  const ridHex = rid.toString(16).toUpperCase().padStart(8, '0');
  console.log(`[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account\\Users\\Names\\${user}]\n@=hex(${rid.toString(16)}):\n`);
  console.log(`[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account\\Users\\${ridHex}]\n"UserName"="${user}"\n"NTHash"=hex:${[...ntHash(password)].map((x) => x.toString(16).padStart(2, '0')).join(',')}\n"Disabled"=dword:00000000`);
}
