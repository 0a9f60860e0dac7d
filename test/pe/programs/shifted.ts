// Not relocatable: a static address shifted right is a constant that moves
// by 1/16 of the image's delta, which no base relocation can fix. The PE
// linker must refuse it (test/pe/link.test.ts).

const TABLE = memory.data(16, 16);

export function main(): void {
  store<u32>(TABLE, <u32>(TABLE >>> 4));
}
