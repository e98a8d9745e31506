/** The routes a running server registered, for tests that sweep every endpoint. */

export interface Route {
  path: string;
  methods: string[];
}

/** Flattens Fastify's printRoutes({commonPrefix:false}) tree into full paths with their methods. */
export function parseRouteTree(tree: string): Route[] {
  const out: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[└├]── (.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!m) continue;
    const depth = [...m[1]].length / 4;
    stack.length = depth;
    const full = (depth > 0 ? stack[depth - 1] : '') + m[2];
    stack[depth] = full;
    if (m[3]) out.push({ path: full, methods: m[3].split(',').map((s) => s.trim()) });
  }
  return out;
}
