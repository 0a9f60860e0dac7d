// Moved to kernel/sdk/list.ts. This re-export keeps branches that still
// import the old path building; it goes away soon.
export * from "../sdk/list";
