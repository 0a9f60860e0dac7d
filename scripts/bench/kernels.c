/* Reference versions of the benchmark's compute kernels, compiled by
 * gcc -O2 -m32 -ffreestanding for the instruction-count comparison in
 * `npm run bench` (never part of the build). Same algorithms, same data as
 * test/wasm2x86/programs/{crc32,copy,sort,hash}.ts. Port 0xF5 writes mark
 * the measured region; port 0xF4 ends the run. */

typedef unsigned int u32;
typedef unsigned char u8;

static inline void outb(unsigned short port, u32 v) { __asm__ volatile("outb %b0, %w1" :: "a"(v), "Nd"(port)); }
static inline void mark(u32 n) { outb(0xF5, n); }

extern char _end[], _load_end[];
void _start(void);
__attribute__((section(".multiboot"), used)) static const u32 mb[8] = {
  0x1BADB002u, 0x00010000u, (u32)-(0x1BADB002u + 0x00010000u),
  0x100000u, 0x100000u, (u32)_load_end, (u32)_end, (u32)_start,
};

static u32 table[256];
static u8 buf[16384], dst[16384];
static int arr[600];

__attribute__((noinline)) u32 crc32(const u8 *p, u32 len) {
  u32 c = 0xFFFFFFFFu;
  for (u32 i = 0; i < len; i++) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

__attribute__((noinline)) void copyWords(u8 *d, const u8 *s, u32 n) {
  for (u32 i = 0; i < n; i += 4) *(volatile u32 *)(d + i) = *(const u32 *)(s + i);
}

__attribute__((noinline)) void insertionSort(int *p, int n) {
  for (int i = 1; i < n; i++) {
    int v = p[i], j = i - 1;
    while (j >= 0 && p[j] > v) { p[j + 1] = p[j]; j--; }
    p[j + 1] = v;
  }
}

__attribute__((noinline)) u32 fnv1a32(const u8 *p, u32 n) {
  u32 h = 0x811C9DC5u;
  for (u32 i = 0; i < n; i++) { h ^= p[i]; h *= 0x01000193u; }
  return h;
}

volatile u32 sink;

void cmain(void) {
  /* crc32 */
  for (u32 n = 0; n < 256; n++) { u32 c = n; for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1; table[n] = c; }
  u32 x = 12345;
  for (int i = 0; i < 16384; i++) { x = x * 1103515245u + 12345u; buf[i] = (u8)(x >> 16); }
  mark(1); sink = crc32(buf, 16384); mark(2);
  /* copy */
  for (u32 i = 0; i < 16384; i++) buf[i] = (u8)(i ^ (i >> 7));
  mark(3); copyWords(dst, buf, 16384); mark(4);
  /* sort */
  x = 7;
  for (int i = 0; i < 600; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; arr[i] = (int)x; }
  mark(5); insertionSort(arr, 600); mark(6);
  /* hash */
  for (int i = 0; i < 8192; i++) buf[i] = (u8)(i * 31 + (i >> 3));
  mark(7); sink = fnv1a32(buf, 8192); mark(8);
  outb(0xF4, 0);
  for (;;) __asm__ volatile("hlt");
}

__asm__(".globl _start\n_start:\n  mov $0x400000, %esp\n  call cmain\n1: hlt\n  jmp 1b\n");
