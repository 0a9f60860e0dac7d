// Moved to kernel/sdk/intrinsics.ts (the one declaration). This re-export
// keeps branches that still import the old path building; it goes away soon.
export * from "../sdk/intrinsics";
