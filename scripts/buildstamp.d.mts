/** The content hash of every build input (scripts/buildstamp.mjs). */
export function buildInputsHash(): string;
/** Records a plain build's input hash: the next `npm run build` with nothing changed is skipped. */
export function writeBuildStamp(hash: string): void;
