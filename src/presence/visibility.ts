import type { RoomGraph } from './service.js';

/**
 * Who sees whose presence (DESIGN §1: sharing a room), the same for one process and for
 * a cluster: both presence services answer these questions through this one class.
 */
export class Visibility {
  constructor(private readonly graph: RoomGraph) {}

  canSee(viewer: string, target: string): boolean {
    return viewer === target || this.graph.sharesRoom(viewer, target);
  }

  /** Users joined to a room (whose presence a joiner is introduced to). */
  membersOf(roomId: string): ReadonlySet<string> {
    return this.graph.members(roomId);
  }

  /** At least visibleTo(viewer).size, found in time proportional to the viewer's rooms. */
  audienceBound(viewer: string): number {
    let n = 1;
    for (const r of this.graph.roomsOf(viewer)) n += this.graph.members(r).size;
    return n;
  }

  /** Users whose presence the viewer may see, the viewer included. */
  visibleTo(viewer: string): Set<string> {
    const s = this.graph.coMembers(viewer);
    s.add(viewer);
    return s;
  }
}
