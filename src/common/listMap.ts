/**
 * A map of short lists (a user's parked long-polls, a user's builds in flight): most keys
 * hold one item, so an array beats a Set, and an emptied key is dropped.
 */
export function addToListMap<K, V>(map: Map<K, V[]>, key: K, item: V): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}

/** Removes item from the list under key, if it is there; the key goes with its last item. */
export function removeFromListMap<K, V>(map: Map<K, V[]>, key: K, item: V): void {
  const list = map.get(key);
  if (!list) return;
  const i = list.indexOf(item);
  if (i < 0) return;
  if (list.length === 1) map.delete(key);
  else list.splice(i, 1);
}
