// Moved to kernel/sdk/ntstatus.ts (the one NTSTATUS table). This re-export
// keeps branches that still import the old path building; it goes away soon.
export * from "../sdk/ntstatus";
