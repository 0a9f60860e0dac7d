// What NtQueryKey, NtEnumerateKey, NtQueryValueKey and NtEnumerateValueKey
// return (wdm.h's KEY_INFORMATION_CLASS and KEY_VALUE_INFORMATION_CLASS
// records), in their 32-bit x86 layouts. A name at the end is counted (its
// length in bytes beside it), not NUL-terminated: `Name` is its first
// character. Where a record carries a class name or value data after the
// name, an offset from the record's start says where (ClassOffset, DataOffset;
// 0xFFFFFFFF: no class). Conventions as ntdef.ts.
//
//   KEY_BASIC_INFORMATION (16 + name)   KEY_NODE_INFORMATION (24 + name + class)
//     +0  LastWriteTime                   +0  LastWriteTime  +8 TitleIndex
//     +8  TitleIndex                      +12 ClassOffset    +16 ClassLength
//     +12 NameLength  +16 Name            +20 NameLength     +24 Name
//
//   KEY_FULL_INFORMATION (44 + class)   KEY_CACHED_INFORMATION (40, no name)
//     +0 LastWriteTime +8 TitleIndex      +0 LastWriteTime +8 TitleIndex
//     +12 ClassOffset +16 ClassLength     +12 SubKeys +16 MaxNameLen
//     +20 SubKeys +24 MaxNameLen          +20 Values +24 MaxValueNameLen
//     +28 MaxClassLen +32 Values          +28 MaxValueDataLen +32 NameLength
//     +36 MaxValueNameLen                 (padded to 8)
//     +40 MaxValueDataLen +44 Class
//
//   KEY_VALUE_BASIC_INFORMATION         KEY_VALUE_FULL_INFORMATION        KEY_VALUE_PARTIAL_INFORMATION
//     +0 TitleIndex +4 Type               +0 TitleIndex +4 Type             +0 TitleIndex +4 Type
//     +8 NameLength +12 Name              +8 DataOffset +12 DataLength      +8 DataLength +12 Data
//                                         +16 NameLength +20 Name

// KEY_INFORMATION_CLASS (NtQueryKey, NtEnumerateKey).
export const KeyBasicInformation: u32 = 0;
export const KeyNodeInformation: u32 = 1;
export const KeyFullInformation: u32 = 2;
export const KeyNameInformation: u32 = 3;
export const KeyCachedInformation: u32 = 4;

// KEY_VALUE_INFORMATION_CLASS (NtQueryValueKey, NtEnumerateValueKey).
export const KeyValueBasicInformation: u32 = 0;
export const KeyValueFullInformation: u32 = 1;
export const KeyValuePartialInformation: u32 = 2;

/** KeyBasicInformation (0): the key's own name. */
@unmanaged export class KEY_BASIC_INFORMATION {
  LastWriteTime: i64;
  TitleIndex: u32;
  NameLength: u32;
  Name: u16;
}

/** KeyNodeInformation (1): the name, then the class name at ClassOffset. */
@unmanaged export class KEY_NODE_INFORMATION {
  LastWriteTime: i64;
  TitleIndex: u32;
  ClassOffset: u32;
  ClassLength: u32;
  NameLength: u32;
  Name: u16;
}

/** KeyFullInformation (2): counts and the longest names and data below the key, then its class name. */
@unmanaged export class KEY_FULL_INFORMATION {
  LastWriteTime: i64;
  TitleIndex: u32;
  ClassOffset: u32;
  ClassLength: u32;
  SubKeys: u32;
  MaxNameLen: u32;
  MaxClassLen: u32;
  Values: u32;
  MaxValueNameLen: u32;
  MaxValueDataLen: u32;
  Class: u16;
}

/** KeyNameInformation (3): the key's full name (\REGISTRY\...). */
@unmanaged export class KEY_NAME_INFORMATION {
  NameLength: u32;
  Name: u16;
}

/** KeyCachedInformation (4): KEY_FULL_INFORMATION's counts without the class, and the name's length. */
@unmanaged export class KEY_CACHED_INFORMATION {
  LastWriteTime: i64;
  TitleIndex: u32;
  SubKeys: u32;
  MaxNameLen: u32;
  Values: u32;
  MaxValueNameLen: u32;
  MaxValueDataLen: u32;
  NameLength: u32;
}
/** sizeof(KEY_CACHED_INFORMATION): 36 bytes of fields, padded to the LARGE_INTEGER's 8. */
export const SIZEOF_KEY_CACHED_INFORMATION: u32 = 40;

/** KeyValueBasicInformation (0): the value's type and name. */
@unmanaged export class KEY_VALUE_BASIC_INFORMATION {
  TitleIndex: u32;
  Type: u32;
  NameLength: u32;
  Name: u16;
}

/** KeyValueFullInformation (1): type, name, and the data at DataOffset (4-aligned after the name). */
@unmanaged export class KEY_VALUE_FULL_INFORMATION {
  TitleIndex: u32;
  Type: u32;
  DataOffset: u32;
  DataLength: u32;
  NameLength: u32;
  Name: u16;
}

/** KeyValuePartialInformation (2): type and data. */
@unmanaged export class KEY_VALUE_PARTIAL_INFORMATION {
  TitleIndex: u32;
  Type: u32;
  DataLength: u32;
  Data: u8;
}
