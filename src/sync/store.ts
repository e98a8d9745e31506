/** What the to-device stream needs from storage. */
export interface ToDeviceMessage {
  streamPos: number;
  sender: string;
  type: string;
  content: Record<string, unknown>;
}

export interface ToDeviceStore {
  /** Queues messages for (user, device) pairs in one transaction; returns the stream position. */
  addToDevice(sender: string, type: string, targets: { userId: string; deviceId: string; content: Record<string, unknown> }[]): Promise<number>;
  toDeviceBetween(userId: string, deviceId: string, from: number, to: number, limit: number): Promise<ToDeviceMessage[]>;
  /** Deletes what the device has acknowledged by syncing past it. */
  deleteToDeviceUpTo(userId: string, deviceId: string, pos: number): Promise<void>;
}

export interface StreamPositionReader {
  currentPosition(stream: string): Promise<number>;
}
