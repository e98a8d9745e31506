export { canonicalJson, NotCanonicalJsonError } from './canonicalJson.js';
export { encodeBase64, decodeBase64, encodeBase64Url, decodeBase64Url } from './base64.js';
export {
  type SigningKey,
  type Signatures,
  generateSigningKey,
  signingKeyFromSeed,
  loadOrCreateSigningKey,
  formatKeyFile,
  parseKeyFile,
  signJson,
  verifyJsonSignature,
} from './signing.js';
export {
  SUPPORTED_ROOM_VERSIONS,
  computeContentHash,
  redactEvent,
  computeReferenceHash,
  computeEventId,
} from './hashing.js';
export { buildEvent, hashAndSignEvent, checkEvent, type PublicKeys, type CheckResult } from './buildEvent.js';
