// Doubly linked lists, NT style: a LIST_ENTRY (Flink, Blink) embedded in each
// element and a list head that is a LIST_ENTRY of its own; an empty list's
// head points at itself. Addresses are plain usize. The kernel, ntdll's loader
// and every program use these routines (the one copy).

@unmanaged export class LIST_ENTRY {
  Flink: usize;
  Blink: usize;
}

@inline export function InitializeListHead(head: usize): void {
  store<usize>(head, head);
  store<usize>(head, head, 4);
}

@inline export function IsListEmpty(head: usize): bool { return load<usize>(head) == head; }

export function InsertTailList(head: usize, entry: usize): void {
  const last = load<usize>(head, 4);
  store<usize>(entry, head);
  store<usize>(entry, last, 4);
  store<usize>(last, entry);
  store<usize>(head, entry, 4);
}

export function InsertHeadList(head: usize, entry: usize): void {
  const first = load<usize>(head);
  store<usize>(entry, first);
  store<usize>(entry, head, 4);
  store<usize>(first, entry, 4);
  store<usize>(head, entry);
}

/** Unlinks `entry`; returns true when the list it was on is now empty. */
export function RemoveEntryList(entry: usize): bool {
  const f = load<usize>(entry), b = load<usize>(entry, 4);
  store<usize>(b, f);
  store<usize>(f, b, 4);
  store<usize>(entry, entry);
  store<usize>(entry, entry, 4);
  return f == b;
}

/** Unlinks and returns the first entry (the head itself when the list is empty). */
export function RemoveHeadList(head: usize): usize {
  const first = load<usize>(head);
  if (first != head) RemoveEntryList(first);
  return first;
}
