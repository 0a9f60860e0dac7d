// The decoded WebAssembly module, as decode.ts produces it and the later
// passes read it. Index spaces follow the spec: imported functions (and
// globals, tables, memories) come first, then the module's own.

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';

export interface FuncType { params: ValType[]; results: ValType[] }
export interface Limits { min: number; max?: number }
export interface GlobalType { type: ValType; mutable: boolean }
export interface TableType { elem: ValType; limits: Limits }

export type ImportDesc =
  | { kind: 'func'; typeIndex: number }
  | { kind: 'table'; table: TableType }
  | { kind: 'memory'; limits: Limits }
  | { kind: 'global'; global: GlobalType };
export type Import = { module: string; name: string } & ImportDesc;

export interface Export { name: string; kind: 'func' | 'table' | 'memory' | 'global'; index: number }

/**
 * A constant expression (global initializers, segment offsets): the
 * instructions before its `end`, e.g. [i32.const 5] or [global.get 0].
 */
export type ConstExpr = Instr[];

export interface Global { type: GlobalType; init: ConstExpr }

/** An element segment: funcIndices (null = ref.null) for active/passive/declarative. */
export interface Elem {
  mode: 'active' | 'passive' | 'declarative';
  table: number; offset?: ConstExpr; elemType: ValType;
  funcs: Array<number | null>;
  /** An item that is neither ref.func nor ref.null (e.g. global.get): its instructions. */
  otherExpr?: string;
}

export interface Data { mode: 'active' | 'passive'; memory: number; offset?: ConstExpr; bytes: Uint8Array }

/**
 * One instruction. `op` is the opcode byte; prefixed opcodes are
 * 0xFC00 | sub-opcode (0xFC0A memory.copy, 0xFC0B memory.fill, 0xFC00-07
 * trunc_sat), 0xFD00 | sub for SIMD (rejected later) and 0xFE00 | sub for
 * the threads proposal's atomics (align and offset as a load's). `name` is the text
 * mnemonic ('i32.add'). `pos` is the byte offset in the module, for errors.
 */
export interface Instr {
  op: number;
  name: string;
  pos: number;
  /** block/loop/if: the block type. */
  blockType?: { params: ValType[]; results: ValType[] };
  /** br/br_if: depth; local.*: index; global.*: index; call: function index; memory.size/grow: memory index. */
  index?: number;
  /** br_table: the depths, the default last. */
  labels?: number[];
  /** call_indirect: type index (index = table index). */
  typeIndex?: number;
  /** loads/stores: memarg. */
  align?: number;
  offset?: number;
  /** i32.const (as a signed 32-bit number), f32.const (raw bits as uint32). */
  i32?: number;
  /** i64.const (as a signed bigint), f64.const (raw bits as unsigned bigint). */
  i64?: bigint;
  /** select with a type vector (0x1C). */
  types?: ValType[];
  /** memory.copy: destination and source memory; memory.init/data.drop: segment index. */
  index2?: number;
}

export interface Func {
  /** Index in the function index space (imports come first). */
  index: number;
  typeIndex: number;
  /** Declared locals (not the parameters), expanded one entry per local. */
  locals: ValType[];
  /** The body, ending with its final `end`. */
  body: Instr[];
  /** Byte offset of the body in the module. */
  pos: number;
}

export interface Module {
  types: FuncType[];
  imports: Import[];
  /** Type index of each function in the index space (imports included). */
  funcTypes: number[];
  numImportedFuncs: number;
  funcs: Func[];
  tables: TableType[];      // the module's own tables (imported ones are in imports)
  memories: Limits[];       // the module's own memories
  globals: Global[];        // the module's own globals
  exports: Export[];
  start?: number;
  elems: Elem[];
  datas: Data[];
  /** From the "name" custom section when present: function index -> name. */
  funcNames: Map<number, string>;
  /** Other custom sections by name. */
  customs: Map<string, Uint8Array>;
}

/** A decoding error that names the byte offset. */
export class WasmDecodeError extends Error {
  constructor(message: string, public pos: number) {
    super(`${message} (at byte 0x${pos.toString(16)})`);
  }
}
