import { createHash, randomBytes } from 'node:crypto';

/** Only a hash of each token is stored, so a leaked database holds no usable credential. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

export const newAccessToken = () => `pd_${randomBytes(24).toString('base64url')}`;
