/* Reference versions of the benchmark's compute kernels, compiled by
 * gcc -O2 -m32 -ffreestanding for the instruction-count comparison in
 * `npm run bench` (never part of the build). The same program as
 * test/wasm2x86/programs/bench-kernels.ts: same algorithms, same data, same
 * command line ("K N M V", see there), same checksum lines in verify mode.
 * The run ends with a mark (port 0xF5) and an exit (port 0xF4); the harness
 * compares whole-run instruction counts of runs that differ only in M. */

typedef unsigned int u32;
typedef unsigned char u8;

/* "memory": gcc must not move loads and stores across a port write. */
static inline void outb(unsigned short port, u32 v) { __asm__ volatile("outb %b0, %w1" :: "a"(v), "Nd"(port) : "memory"); }
static inline void mark(u32 n) { outb(0xF5, n); }

extern char _end[], _load_end[];
void _start(void);
__attribute__((section(".multiboot"), used)) static const u32 mb[8] = {
  0x1BADB002u, 0x00010000u, (u32)-(0x1BADB002u + 0x00010000u),
  0x100000u, 0x100000u, (u32)_load_end, (u32)_end, (u32)_start,
};

/* --- crc32 */
#define N_CRC 16384
static u32 table[256];
static u8 crcBuf[N_CRC];

static void makeTable(void) {
  for (u32 n = 0; n < 256; n++) { u32 c = n; for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1; table[n] = c; }
}

__attribute__((noipa)) u32 crc32(const u8 *p, u32 len) {
  u32 c = 0xFFFFFFFFu;
  for (u32 i = 0; i < len; i++) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

/* --- copy (volatile stores: a word copy loop, not a call to memcpy / rep movs) */
#define N_COPY 16384
static u8 src[N_COPY], dst[N_COPY];

__attribute__((noipa)) void copyWords(u8 *d, const u8 *s, u32 n) {
  for (u32 i = 0; i < n; i += 4) *(volatile u32 *)(d + i) = *(const u32 *)(s + i);
}

static u32 sum(const u8 *p, u32 n) {
  u32 s = 0;
  for (u32 i = 0; i < n; i++) s = (s << 1 | s >> 31) ^ p[i];
  return s;
}

/* --- sort */
#define N_SORT 600
static int a[N_SORT];

__attribute__((noipa)) void insertionSort(int *p, int n) {
  for (int i = 1; i < n; i++) {
    int v = p[i], j = i - 1;
    while (j >= 0 && p[j] > v) { p[j + 1] = p[j]; j--; }
    p[j + 1] = v;
  }
}

__attribute__((noinline)) static void fillSort(void) {
  u32 x = 7;
  for (int i = 0; i < N_SORT; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; a[i] = (int)x; }
}

/* --- hash */
#define N_HASH 8192
static u8 hashBuf[N_HASH];

__attribute__((noipa)) u32 fnv1a32(const u8 *p, u32 n) {
  u32 h = 0x811C9DC5u;
  for (u32 i = 0; i < n; i++) { h ^= p[i]; h *= 0x01000193u; }
  return h;
}

/* --- the wider set: a bounded string compare, a block pool, a hash lookup, memcpy/memset */
#define N_CMP 8192
static u8 cmpA[N_CMP], cmpB[N_CMP];

__attribute__((noipa)) int compareBytes(const u8 *a, const u8 *b, u32 n) {
  for (u32 i = 0; i < n; i++) {
    int x = a[i], y = b[i];
    if (x != y) return x - y;
    if (x == 0) break;
  }
  return 0;
}

#define N_POOL 256
static u8 pool[16 + N_POOL * 32] __attribute__((aligned(16)));
static u8 *slots[N_POOL];

static void poolInit(u8 *p, u32 blocks) {
  u8 *head = 0;
  for (u32 i = blocks; i > 0; i--) { u8 *b = p + 16 + ((i - 1) << 5); *(u8 **)b = head; head = b; }
  *(u8 **)p = head;
}
static u8 *poolAlloc(u8 *p) { u8 *b = *(u8 **)p; if (b) *(u8 **)p = *(u8 **)b; return b; }
static void poolFree(u8 *p, u8 *b) { *(u8 **)b = *(u8 **)p; *(u8 **)p = b; }

__attribute__((noipa)) u32 poolChurn(u8 *p, u8 **s, u32 n) {
  u32 sum = 0;
  for (u32 i = 0; i < n; i++) {
    u8 *b = poolAlloc(p);
    if (!b) return sum;
    *(u32 *)(b + 4) = i;
    s[i] = b;
    sum += (u32)(b - p);
  }
  for (u32 i = n; i > 0; i--) poolFree(p, s[i - 1]);
  return sum;
}

#define N_LOOKUP 4096
static u32 htable[1024];
static u32 keys[N_LOOKUP];

static void hashInsert(u32 *t, u32 key) {
  u32 i = (key * 0x9E3779B1u) >> 22;
  for (;;) { u32 k = t[i]; if (k == key) return; if (k == 0) { t[i] = key; return; } i = (i + 1) & 1023; }
}
static int hashFind(const u32 *t, u32 key) {
  u32 i = (key * 0x9E3779B1u) >> 22;
  for (;;) { u32 k = t[i]; if (k == key) return 1; if (k == 0) return 0; i = (i + 1) & 1023; }
}
__attribute__((noipa)) u32 hashLookups(const u32 *t, const u32 *k, u32 n) {
  u32 found = 0;
  for (u32 i = 0; i < n; i++) if (hashFind(t, k[i])) found++;
  return found;
}

/* memcpy/memset as an i386 libc has them (rep movsl / rep stosl, then the odd bytes): what the
 * translator's memory.copy/memory.fill do. */
void *memcpy(void *d, const void *s, unsigned n) {
  void *r = d; unsigned w = n >> 2, b = n & 3;
  __asm__ volatile("cld; rep movsl; mov %3, %%ecx; rep movsb" : "+D"(d), "+S"(s), "+c"(w) : "r"(b) : "memory");
  return r;
}
void *memset(void *d, int c, unsigned n) {
  void *r = d; unsigned w = n >> 2, b = n & 3, v = (u8)c * 0x01010101u;
  __asm__ volatile("cld; rep stosl; mov %3, %%ecx; rep stosb" : "+D"(d), "+c"(w) : "a"(v), "r"(b) : "memory");
  return r;
}
#define N_BULK 16384
static u8 bulkFill[N_BULK];
__attribute__((noipa)) void copyFill(u8 *d, const u8 *s, u8 *f, u32 n) {
  memcpy(d, s, n);
  memset(f, 0x5A, n);
}

/* --- driver */
volatile u32 results[8];

static void putc_(u32 c) { outb(0x3F8, c); }
static void puts_(const char *s) { while (*s) putc_((u8)*s++); }
static void line(const char *label, u32 x) {
  puts_(label); putc_('=');
  for (int i = 28; i >= 0; i -= 4) { u32 d = (x >> i) & 15; putc_(d < 10 ? 48 + d : 87 + d); }
  putc_('\n');
}

static u32 args[4];
static void readArgs(const u8 *info) {
  if (!(*(const u32 *)info & 4)) return;
  const u8 *p = (const u8 *)*(const u32 *)(info + 16);
  for (int n = 0; n < 4; n++) {
    while (*p && (*p < '0' || *p > '9')) p++;
    if (!*p) break;
    u32 v = 0;
    while (*p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
    args[n] = v;
  }
}

/* A switch (a jump table), as the translated program's br_table. */
__attribute__((noinline)) static void run(u32 k, u32 m) {
  if (k == 3) fillSort();
  if (m == 0) return;
  switch (k) {
  case 1: results[0] = crc32(crcBuf, N_CRC); break;
  case 2: copyWords(dst, src, N_COPY); break;
  case 3: insertionSort(a, N_SORT); break;
  case 4: results[1] = fnv1a32(hashBuf, N_HASH); break;
  case 5: results[2] = (u32)compareBytes(cmpA, cmpB, N_CMP); break;
  case 6: results[3] = poolChurn(pool, slots, N_POOL); break;
  case 7: results[4] = hashLookups(htable, keys, N_LOOKUP); break;
  case 8: copyFill(dst, src, bulkFill, N_BULK); break;
  }
}

void cmain(const u8 *info) {
  readArgs(info);
  u32 k = args[0], n = args[1], m = args[2], verify = args[3];
  makeTable();
  u32 x = 12345;
  for (int i = 0; i < N_CRC; i++) { x = x * 1103515245u + 12345u; crcBuf[i] = (u8)(x >> 16); }
  for (u32 i = 0; i < N_COPY; i++) src[i] = (u8)(i ^ (i >> 7));
  for (int i = 0; i < N_HASH; i++) hashBuf[i] = (u8)(i * 31 + (i >> 3));
  for (u32 i = 0; i < N_CMP; i++) { u8 c = (u8)(0x41 + i % 26); cmpA[i] = c; cmpB[i] = c; }
  cmpB[N_CMP - 1] = 0x7A;
  poolInit(pool, N_POOL);
  u32 y = 99;
  for (u32 i = 0; i < N_LOOKUP; i++) {
    y ^= y << 13; y ^= y >> 17; y ^= y << 5;
    u32 key = y | 1;
    keys[i] = key;
    if ((i & 1) == 0 && i < 1024) hashInsert(htable, key);
  }
  if (verify) {
    line("crc32", crc32(crcBuf, N_CRC));
    copyWords(dst, src, N_COPY);
    line("copy", crc32(dst, N_COPY));
    line("copysum", sum(dst, N_COPY));
    fillSort();
    insertionSort(a, N_SORT);
    u32 ok = 1, s = 0;
    for (int i = 0; i < N_SORT; i++) { s += (u32)a[i]; if (i > 0 && a[i - 1] > a[i]) ok = 0; }
    line("sorted", ok);
    line("sum", s);
    line("fnv1a32", fnv1a32(hashBuf, N_HASH));
    line("compare", (u32)compareBytes(cmpA, cmpB, N_CMP));
    line("pool", poolChurn(pool, slots, N_POOL));
    line("pool again", poolChurn(pool, slots, N_POOL));
    line("hash", hashLookups(htable, keys, N_LOOKUP));
    copyFill(dst, src, bulkFill, N_BULK);
    line("bulk", crc32(dst, N_BULK) ^ crc32(bulkFill, N_BULK));
    puts_("done\n");
  } else {
    for (u32 r = 0; r < n; r++) run(k, m);
  }
  mark(0);
  outb(0xF4, 0);
  for (;;) __asm__ volatile("hlt");
}

__asm__(".globl _start\n_start:\n  mov $0x400000, %esp\n  push %ebx\n  call cmain\n1: hlt\n  jmp 1b\n");
