// FAT on-disk layouts (Microsoft's FAT specification, "FAT: General Overview
// of On-Disk Format"), for the file system driver (kernel/fat/) and autochk.
//
//   Boot sector (512 bytes)                 Directory entry (32 bytes)
//     +0   BS_jmpBoot[3]                       +0  DIR_Name[11] (8.3, space padded)
//     +3   BS_OEMName[8]                       +11 DIR_Attr
//     +11  BPB_BytsPerSec  u16 (unaligned)     +12 DIR_NTRes (case bits)
//     +13  BPB_SecPerClus  u8                  +13 DIR_CrtTimeTenth
//     +14  BPB_RsvdSecCnt  u16                 +14 DIR_CrtTime  +16 DIR_CrtDate
//     +16  BPB_NumFATs     u8                  +18 DIR_LstAccDate
//     +17  BPB_RootEntCnt  u16 (unaligned)     +20 DIR_FstClusHI
//     +19  BPB_TotSec16    u16 (unaligned)     +22 DIR_WrtTime  +24 DIR_WrtDate
//     +21  BPB_Media       u8                  +26 DIR_FstClusLO
//     +22  BPB_FATSz16     u16                 +28 DIR_FileSize
//     +24  BPB_SecPerTrk, +26 BPB_NumHeads, +28 BPB_HiddSec, +32 BPB_TotSec32
//     +36  FAT12/16: BS_DrvNum, BS_Reserved1, BS_BootSig (0x29), BS_VolID, BS_VolLab[11], BS_FilSysType[8]
//     +36  FAT32: BPB_FATSz32, BPB_ExtFlags, BPB_FSVer, BPB_RootClus, BPB_FSInfo, BPB_BkBootSec, ...
//          then at +64 the same BS_DrvNum... block as FAT12/16 has at +36
//     +510 0xAA55
//
// Three BPB fields sit at odd offsets, which an @unmanaged class cannot
// express, so the boot sector is read through @inline accessors over named
// offsets (BPB_* constants); the directory entry is naturally aligned.

export const BS_JMP_BOOT: u32 = 0;
export const BS_OEM_NAME: u32 = 3;
export const BPB_BYTS_PER_SEC: u32 = 11;
export const BPB_SEC_PER_CLUS: u32 = 13;
export const BPB_RSVD_SEC_CNT: u32 = 14;
export const BPB_NUM_FATS: u32 = 16;
export const BPB_ROOT_ENT_CNT: u32 = 17;
export const BPB_TOT_SEC16: u32 = 19;
export const BPB_MEDIA: u32 = 21;
export const BPB_FAT_SZ16: u32 = 22;
export const BPB_SEC_PER_TRK: u32 = 24;
export const BPB_NUM_HEADS: u32 = 26;
export const BPB_HIDD_SEC: u32 = 28;
export const BPB_TOT_SEC32: u32 = 32;
/** Where the FAT12/16 extended BPB (BS_DrvNum ...) starts. */
export const BS_EXTENDED_FAT16: u32 = 36;
export const BPB_FAT_SZ32: u32 = 36;
export const BPB_EXT_FLAGS: u32 = 40;
export const BPB_FS_VER: u32 = 42;
export const BPB_ROOT_CLUS: u32 = 44;
export const BPB_FS_INFO: u32 = 48;
export const BPB_BK_BOOT_SEC: u32 = 50;
/** Where the FAT32 extended BPB (BS_DrvNum ...) starts. */
export const BS_EXTENDED_FAT32: u32 = 64;
// Offsets inside the extended BPB (from BS_EXTENDED_FAT16 or BS_EXTENDED_FAT32).
export const BS_DRV_NUM: u32 = 0;
export const BS_BOOT_SIG: u32 = 2;
export const BS_VOL_ID: u32 = 3;
export const BS_VOL_LAB: u32 = 7;
export const BS_FIL_SYS_TYPE: u32 = 18;
/** BS_BootSig: the volume id, label and type fields are present. */
export const BS_BOOT_SIG_VALUE: u32 = 0x29;
/** The boot sector's last two bytes. */
export const BS_SIGNATURE_OFFSET: u32 = 510;
export const BS_SIGNATURE: u32 = 0xAA55;

/** The boot sector with its BIOS parameter block. */
@unmanaged export class FAT_BOOT_SECTOR {
  @inline get JmpBoot0(): u8 { return load<u8>(changetype<usize>(this) + BS_JMP_BOOT); }
  @inline get BytsPerSec(): u16 { return load<u16>(changetype<usize>(this) + BPB_BYTS_PER_SEC); }
  @inline get SecPerClus(): u8 { return load<u8>(changetype<usize>(this) + BPB_SEC_PER_CLUS); }
  @inline get RsvdSecCnt(): u16 { return load<u16>(changetype<usize>(this) + BPB_RSVD_SEC_CNT); }
  @inline get NumFATs(): u8 { return load<u8>(changetype<usize>(this) + BPB_NUM_FATS); }
  @inline get RootEntCnt(): u16 { return load<u16>(changetype<usize>(this) + BPB_ROOT_ENT_CNT); }
  @inline get TotSec16(): u16 { return load<u16>(changetype<usize>(this) + BPB_TOT_SEC16); }
  @inline get Media(): u8 { return load<u8>(changetype<usize>(this) + BPB_MEDIA); }
  @inline get FATSz16(): u16 { return load<u16>(changetype<usize>(this) + BPB_FAT_SZ16); }
  @inline get HiddSec(): u32 { return load<u32>(changetype<usize>(this) + BPB_HIDD_SEC); }
  @inline get TotSec32(): u32 { return load<u32>(changetype<usize>(this) + BPB_TOT_SEC32); }
  @inline get FATSz32(): u32 { return load<u32>(changetype<usize>(this) + BPB_FAT_SZ32); }
  @inline get ExtFlags(): u16 { return load<u16>(changetype<usize>(this) + BPB_EXT_FLAGS); }
  @inline get FSVer(): u16 { return load<u16>(changetype<usize>(this) + BPB_FS_VER); }
  @inline get RootClus(): u32 { return load<u32>(changetype<usize>(this) + BPB_ROOT_CLUS); }
  @inline get FSInfo(): u16 { return load<u16>(changetype<usize>(this) + BPB_FS_INFO); }
  @inline get BkBootSec(): u16 { return load<u16>(changetype<usize>(this) + BPB_BK_BOOT_SEC); }
  @inline get Signature(): u16 { return load<u16>(changetype<usize>(this) + BS_SIGNATURE_OFFSET); }
}

/** FAT32's FSInfo sector: free-cluster count and next-free hint, between three signatures. */
export const FSI_LEAD_SIG_OFFSET: u32 = 0;
export const FSI_LEAD_SIG: u32 = 0x41615252;     // "RRaA"
export const FSI_STRUC_SIG_OFFSET: u32 = 484;
export const FSI_STRUC_SIG: u32 = 0x61417272;    // "rrAa"
export const FSI_FREE_COUNT: u32 = 488;
export const FSI_NXT_FREE: u32 = 492;
export const FSI_TRAIL_SIG_OFFSET: u32 = 508;
export const FSI_TRAIL_SIG: u32 = 0xAA550000;

/** A short (8.3) directory entry. */
@unmanaged export class FAT_DIRENT {
  /** DIR_Name[11]: bytes 0-10 (Name is the first eight, Extension the last three). */
  Name: u64;
  Extension_0: u16;
  Extension_2: u8;
  Attr: u8;
  NTRes: u8;
  CrtTimeTenth: u8;
  CrtTime: u16;
  CrtDate: u16;
  LstAccDate: u16;
  FstClusHI: u16;
  WrtTime: u16;
  WrtDate: u16;
  FstClusLO: u16;
  FileSize: u32;
}
export const FAT_DIRENT_SIZE: u32 = 32;
/** DIR_Name[0] values. */
export const DIR_ENTRY_FREE: u32 = 0xE5;
export const DIR_ENTRY_END: u32 = 0x00;
/** DIR_Name[0] of a name whose first byte really is 0xE5. */
export const DIR_ENTRY_KANJI_E5: u32 = 0x05;

// DIR_Attr bits.
export const ATTR_READ_ONLY: u32 = 0x01;
export const ATTR_HIDDEN: u32 = 0x02;
export const ATTR_SYSTEM: u32 = 0x04;
export const ATTR_VOLUME_ID: u32 = 0x08;
export const ATTR_DIRECTORY: u32 = 0x10;
export const ATTR_ARCHIVE: u32 = 0x20;
/** A long-name entry: READ_ONLY | HIDDEN | SYSTEM | VOLUME_ID. */
export const ATTR_LONG_NAME: u32 = 0x0F;
// DIR_NTRes bits: the 8.3 name's base or extension is all lower case.
export const NTRES_LOWER_BASE: u32 = 0x08;
export const NTRES_LOWER_EXT: u32 = 0x10;

/** A long-name (VFAT) entry: 13 UTF-16 characters of the name, last piece first. */
@unmanaged export class FAT_LFN_ENTRY {
  Ord: u8;
  /** LDIR_Name1[5] at +1 (unaligned): read with load<u16>(entry + LDIR_NAME1 + 2*i). */
  _Name1_01: u8; _Name1_02: u16; _Name1_04: u32; _Name1_08: u16; _Name1_0A: u8;
  Attr: u8;
  Type: u8;
  Chksum: u8;
  /** LDIR_Name2[6] at +14. */
  Name2: u16;
  _Name2_10: u16; _Name2_12: u16; _Name2_14: u32; _Name2_18: u16;
  FstClusLO: u16;
  /** LDIR_Name3[2] at +28. */
  Name3: u32;
}
export const LDIR_NAME1: u32 = 1;
export const LDIR_NAME2: u32 = 14;
export const LDIR_NAME3: u32 = 28;
/** LDIR_Ord: this is the last (first stored) piece of the name. */
export const LAST_LONG_ENTRY: u32 = 0x40;
