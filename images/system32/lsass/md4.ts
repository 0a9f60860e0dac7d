// MD4 (RFC 1320) over raw memory, and the NT hash (MD4 of the UTF-16LE
// password): what lsass compares with the SAM's NTHash. No allocation: one
// 64-byte block buffer, the state in four locals. Tested against RFC 1320's
// vectors in Node (test/images/md4.test.ts) and in the machine by logons.

const Block: usize = memory.data(64, 4);

@inline function rol(x: u32, s: u32): u32 { return (x << s) | (x >>> (32 - s)); }

let A: u32 = 0, B: u32 = 0, C: u32 = 0, D: u32 = 0;

function Md4Block(): void {
  let a = A, b = B, c = C, d = D;
  // Round 1: F(x,y,z) = xy | ~x z.
  for (let i: u32 = 0; i < 16; i += 4) {
    a = rol(a + ((b & c) | (~b & d)) + load<u32>(Block + (i << 2)), 3);
    d = rol(d + ((a & b) | (~a & c)) + load<u32>(Block + ((i + 1) << 2)), 7);
    c = rol(c + ((d & a) | (~d & b)) + load<u32>(Block + ((i + 2) << 2)), 11);
    b = rol(b + ((c & d) | (~c & a)) + load<u32>(Block + ((i + 3) << 2)), 19);
  }
  // Round 2: G(x,y,z) = xy | xz | yz, plus 0x5A827999.
  for (let i: u32 = 0; i < 4; i++) {
    a = rol(a + ((b & c) | (b & d) | (c & d)) + load<u32>(Block + (i << 2)) + 0x5A827999, 3);
    d = rol(d + ((a & b) | (a & c) | (b & c)) + load<u32>(Block + ((i + 4) << 2)) + 0x5A827999, 5);
    c = rol(c + ((d & a) | (d & b) | (a & b)) + load<u32>(Block + ((i + 8) << 2)) + 0x5A827999, 9);
    b = rol(b + ((c & d) | (c & a) | (d & a)) + load<u32>(Block + ((i + 12) << 2)) + 0x5A827999, 13);
  }
  // Round 3: H(x,y,z) = x ^ y ^ z, plus 0x6ED9EBA1; words in the order 0 2 1 3.
  for (let k: u32 = 0; k < 4; k++) {
    const i = k == 1 ? 2 : k == 2 ? 1 : k;
    a = rol(a + (b ^ c ^ d) + load<u32>(Block + (i << 2)) + 0x6ED9EBA1, 3);
    d = rol(d + (a ^ b ^ c) + load<u32>(Block + ((i + 8) << 2)) + 0x6ED9EBA1, 9);
    c = rol(c + (d ^ a ^ b) + load<u32>(Block + ((i + 4) << 2)) + 0x6ED9EBA1, 11);
    b = rol(b + (c ^ d ^ a) + load<u32>(Block + ((i + 12) << 2)) + 0x6ED9EBA1, 15);
  }
  A += a; B += b; C += c; D += d;
}

/** MD4 of `length` bytes at `data` into the 16 bytes at `digest`. */
export function Md4(data: usize, length: u32, digest: usize): void {
  A = 0x67452301; B = 0xEFCDAB89; C = 0x98BADCFE; D = 0x10325476;
  let done: u32 = 0;
  while (length - done >= 64) {
    memory.copy(Block, data + done, 64);
    Md4Block();
    done += 64;
  }
  // The tail, 0x80, zeros to 56 mod 64, the length in bits (little-endian u64).
  const rest = length - done;
  memory.fill(Block, 0, 64);
  memory.copy(Block, data + done, rest);
  store<u8>(Block + rest, 0x80);
  if (rest >= 56) { Md4Block(); memory.fill(Block, 0, 64); }
  store<u64>(Block + 56, <u64>length << 3);
  Md4Block();
  store<u32>(digest, A); store<u32>(digest, B, 4); store<u32>(digest, C, 8); store<u32>(digest, D, 12);
}

/** The NT hash of a password of `length` UTF-16 bytes at `password` (MD4 of them as they are). */
export function NtOwfPassword(password: usize, length: u32, digest: usize): void {
  Md4(password, length, digest);
}
