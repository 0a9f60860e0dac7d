// The registry hive file format ("regf", Windows NT 4 and later), as the
// configuration manager (kernel/cm/) reads and writes it and the image
// builder (images/registry/) does for Node.
//
//   file:  base block (4096 bytes) | hive bins ...
//   bin:   "hbin" header (32 bytes) | cells ...; bins are multiples of 4 KiB
//   cell:  i32 size (negative: allocated) | data; a cell index is the offset
//          of the size field from the first bin; 0xFFFFFFFF is "none"
//
// The cell layouts below start at the cell's data (after the size field).
// 64-bit timestamps at 4-byte offsets are split in two halves (_Low, _High).

export const REGF_SIGNATURE: u32 = 0x66676572;   // "regf"
export const HBIN_SIGNATURE: u32 = 0x6E696268;   // "hbin"
export const HBASE_BLOCK_SIZE: u32 = 4096;
export const HBIN_HEADER_SIZE: u32 = 32;
/** No cell. */
export const HCELL_NIL: u32 = 0xFFFFFFFF;
/** The checksum covers the base block's first 508 bytes (XOR of 127 dwords). */
export const HBASE_CHECKSUM_BYTES: u32 = 508;

/** The base block (the first 4 KiB of the file). */
@unmanaged export class HBASE_BLOCK {
  Signature: u32;
  /** Incremented before a write starts ... */
  Sequence1: u32;
  /** ... and set equal to Sequence1 when it has finished. */
  Sequence2: u32;
  TimeStamp_Low: u32;
  TimeStamp_High: u32;
  Major: u32;
  Minor: u32;
  /** 0 primary file. */
  Type: u32;
  /** 1 direct memory load. */
  Format: u32;
  RootCell: u32;
  /** Bytes of hive bins (the file minus the base block). */
  Length: u32;
  Cluster: u32;
  /** FileName[64 bytes]: the end of the hive's path, UTF-16 (0x30-0x6F). */
  FileName: u64;
  _FileName_038: u64; _FileName_040: u64; _FileName_048: u64; _FileName_050: u64; _FileName_058: u64; _FileName_060: u64;
  _FileName_068: u64;
}
/** HBASE_BLOCK.CheckSum. */
export const HBASE_CHECKSUM: u32 = 0x1FC;

/** A hive bin's header. */
@unmanaged export class HBIN {
  Signature: u32;
  /** This bin's offset from the first bin. */
  FileOffset: u32;
  Size: u32;
  Reserved1_0: u32;
  Reserved1_1: u32;
  TimeStamp_Low: u32;
  TimeStamp_High: u32;
  Spare: u32;
}

// Cell signatures (the first u16 of a cell's data).
export const CM_KEY_NODE_SIGNATURE: u32 = 0x6B6E;        // "nk"
export const CM_KEY_VALUE_SIGNATURE: u32 = 0x6B76;       // "vk"
export const CM_KEY_SECURITY_SIGNATURE: u32 = 0x6B73;    // "sk"
export const CM_KEY_FAST_LEAF: u32 = 0x666C;             // "lf"
export const CM_KEY_HASH_LEAF: u32 = 0x686C;             // "lh"
export const CM_KEY_INDEX_LEAF: u32 = 0x696C;            // "li"
export const CM_KEY_INDEX_ROOT: u32 = 0x6972;            // "ri"
export const CM_BIG_DATA_SIGNATURE: u32 = 0x6264;        // "db"

// CM_KEY_NODE.Flags
export const KEY_VOLATILE: u32 = 0x0001;
export const KEY_HIVE_EXIT: u32 = 0x0002;
export const KEY_HIVE_ENTRY: u32 = 0x0004;
export const KEY_NO_DELETE: u32 = 0x0008;
export const KEY_SYM_LINK: u32 = 0x0010;
/** The name is 8-bit (Latin-1), not UTF-16. */
export const KEY_COMP_NAME: u32 = 0x0020;

/** A key ("nk"), 0x4C bytes and then its name. */
@unmanaged export class CM_KEY_NODE {
  Signature: u16;
  Flags: u16;
  LastWriteTime_Low: u32;
  LastWriteTime_High: u32;
  Spare: u32;
  Parent: u32;
  SubKeyCount: u32;
  VolatileSubKeyCount: u32;
  SubKeyList: u32;
  VolatileSubKeyList: u32;
  ValueCount: u32;
  ValueList: u32;
  Security: u32;
  Class: u32;
  MaxNameLen: u32;
  MaxClassLen: u32;
  MaxValueNameLen: u32;
  MaxValueDataLen: u32;
  WorkVar: u32;
  NameLength: u16;
  ClassLength: u16;
  /** The name's first byte (NameLength bytes). */
  Name: u8;
}

/** VALUE_COMP_NAME: the value's name is 8-bit. */
export const VALUE_COMP_NAME: u32 = 0x0001;
/** CM_KEY_VALUE.DataLength bit: the data (up to 4 bytes) is in the Data field itself. */
export const CM_KEY_VALUE_SPECIAL_SIZE: u32 = 0x80000000;
/** Data longer than this is stored as a "db" big-data cell (hive minor version 4 and later). */
export const CM_KEY_VALUE_BIG: u32 = 16344;

/** A value ("vk"), 0x14 bytes and then its name. */
@unmanaged export class CM_KEY_VALUE {
  Signature: u16;
  NameLength: u16;
  DataLength: u32;
  Data: u32;
  Type: u32;
  Flags: u16;
  Spare: u16;
  Name: u8;
}

/** A security descriptor cell ("sk"), shared by keys, on a circular list. */
@unmanaged export class CM_KEY_SECURITY {
  Signature: u16;
  Reserved: u16;
  Flink: u32;
  Blink: u32;
  ReferenceCount: u32;
  DescriptorLength: u32;
  /** The self-relative SECURITY_DESCRIPTOR's first byte. */
  Descriptor: u8;
}

/** A subkey list ("lf", "lh": (cell, hash) pairs; "li", "ri": cells) after this header. */
@unmanaged export class CM_KEY_INDEX {
  Signature: u16;
  Count: u16;
  /** The first element (4 bytes for li/ri, 8 for lf/lh). */
  List: u32;
}

/** A big value's data ("db"): a list of segment cells. */
@unmanaged export class CM_BIG_DATA {
  Signature: u16;
  Count: u16;
  List: u32;
}

/** A cell's size field, before its data. */
export const HCELL_HEADER_SIZE: u32 = 4;
