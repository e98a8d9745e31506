/**
 * A map of short lists (a user's parked long-polls, a user's builds in flight): most keys
 * hold one item, so an array beats a Set.
 *
 * An emptied list stays under its key and is filled again in place. Dropping the key and
 * setting it again on every request kept each request's objects (waiter, promise, the whole
 * /sync answer) alive through young-generation collections, so they were copied and then
 * promoted: about 1 MB per scavenge under fanout N=50 (bench/RESULTS.md, fourth session).
 * As far as we can tell, the hash tables that V8 replaces under such churn still point at
 * their old entries until a full collection.
 * The keys are the users who ever synced, so they are bounded by the accounts.
 */
export function addToListMap<K, V>(map: Map<K, V[]>, key: K, item: V): boolean {
  const list = map.get(key);
  if (!list) {
    map.set(key, [item]);
    return true;
  }
  list.push(item);
  return list.length === 1;
}

/** Removes item from the list under key, if it is there; true when that emptied the list. */
export function removeFromListMap<K, V>(map: Map<K, V[]>, key: K, item: V): boolean {
  const list = map.get(key);
  if (!list) return false;
  const i = list.indexOf(item);
  if (i < 0) return false;
  if (list.length === 1) {
    list.length = 0;
    return true;
  }
  list.splice(i, 1);
  return false;
}
