/** Server identity for `wss://`: CA verification (system or caFile) plus optional public-key pinning. */
import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';

/** Hex SHA-256 of a certificate's SubjectPublicKeyInfo (DER): the value admins put in serverCertificateSha256. */
export function spkiSha256(certPem: string): string {
  const key = new X509Certificate(certPem).publicKey;
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

function spkiSha256OfPeer(cert: PeerCertificate): string {
  const der = new X509Certificate(cert.raw).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

export class PinMismatchError extends Error {
  override readonly name = 'PinMismatchError';
}

/** TLS options for ws/tls.connect: `ca` from caFile, and a checkServerIdentity that also enforces the pin. */
export function buildTlsOptions(cfg: { caFile?: string | undefined; serverCertificateSha256?: string | undefined }): {
  ca?: string;
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
} {
  let ca: string | undefined;
  if (cfg.caFile) {
    try {
      ca = readFileSync(cfg.caFile, 'utf8');
    } catch (err) {
      throw new Error(`Cannot read caFile ${cfg.caFile}: ${(err as Error).message}`);
    }
  }
  const pin = cfg.serverCertificateSha256 ? Buffer.from(cfg.serverCertificateSha256, 'hex') : null;
  return {
    ...(ca ? { ca } : {}),
    checkServerIdentity: (host, cert) => {
      const err = checkServerIdentity(host, cert);
      if (err) return err;
      if (!pin) return undefined;
      let seen: Buffer;
      try {
        seen = Buffer.from(spkiSha256OfPeer(cert), 'hex');
      } catch {
        return new PinMismatchError('server certificate pin mismatch: the server public key could not be read');
      }
      if (seen.length !== pin.length || !timingSafeEqual(seen, pin)) {
        return new PinMismatchError(`server certificate pin mismatch: the server's public key hash is ${seen.toString('hex')}`);
      }
      return undefined;
    },
  };
}
