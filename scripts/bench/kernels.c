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

/* --- driver */
volatile u32 results[4];

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

__attribute__((noinline)) static void run(u32 k, u32 m) {
  if (k == 3) fillSort();
  if (m == 0) return;
  if (k == 1) results[0] = crc32(crcBuf, N_CRC);
  else if (k == 2) copyWords(dst, src, N_COPY);
  else if (k == 3) insertionSort(a, N_SORT);
  else if (k == 4) results[1] = fnv1a32(hashBuf, N_HASH);
}

void cmain(const u8 *info) {
  readArgs(info);
  u32 k = args[0], n = args[1], m = args[2], verify = args[3];
  makeTable();
  u32 x = 12345;
  for (int i = 0; i < N_CRC; i++) { x = x * 1103515245u + 12345u; crcBuf[i] = (u8)(x >> 16); }
  for (u32 i = 0; i < N_COPY; i++) src[i] = (u8)(i ^ (i >> 7));
  for (int i = 0; i < N_HASH; i++) hashBuf[i] = (u8)(i * 31 + (i >> 3));
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
    puts_("done\n");
  } else {
    for (u32 r = 0; r < n; r++) run(k, m);
  }
  mark(0);
  outb(0xF4, 0);
  for (;;) __asm__ volatile("hlt");
}

__asm__(".globl _start\n_start:\n  mov $0x400000, %esp\n  push %ebx\n  call cmain\n1: hlt\n  jmp 1b\n");
