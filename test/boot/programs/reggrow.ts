// regflush.ts with a 40000-byte value added before the flush: the hive grows.
import { changeAndFlush } from "./regflush";

export function main(): void { changeAndFlush(true); }
