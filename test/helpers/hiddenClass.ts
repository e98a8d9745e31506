import { setFlagsFromString } from 'node:v8';

// V8's own answer to "do these objects share a hidden class", through its natives syntax;
// the flag only affects functions compiled after it is set, which this one is.
setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

/** How many hidden classes the objects use between them. */
export function hiddenClassCount(objects: readonly object[]): number {
  const seen: object[] = [];
  for (const o of objects) if (!seen.some((s) => haveSameMap(s, o))) seen.push(o);
  return seen.length;
}
