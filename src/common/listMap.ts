/**
 * A map of short lists (a user's parked long-polls, a user's builds in flight): most keys
 * hold one item, so an array beats a Set.
 *
 * An emptied list stays under its key and is filled again in place. Dropping the key and
 * setting it again on every request made V8 rehash the map's table over and over, and a
 * replaced table keeps its old entries alive until the next full collection: each request's
 * objects (waiter, promise, whole /sync answer) then survived into the old generation, and
 * the young-generation collections that copied them cost more than the requests themselves.
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
