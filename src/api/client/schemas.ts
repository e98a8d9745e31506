import { Type } from 'typebox';

/** Path parameter schemas shared by several chapters. */
export const RoomIdParam = Type.Object({ roomId: Type.String() });
export const UserIdParam = Type.Object({ userId: Type.String() });
export const AnyObject = Type.Object({}, { additionalProperties: true });
export const OptionalReason = Type.Object({ reason: Type.Optional(Type.String()) });
