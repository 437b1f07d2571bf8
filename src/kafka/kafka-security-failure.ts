import type { KafkaSecurityConfig } from '../config/kafka-security-config.js';

/** Why a secured connection was refused: the credentials, or the TLS handshake. */
export interface KafkaSecurityFailure {
  readonly kind: 'credentials' | 'tls';
  /**
   * What went wrong, to follow "Kafka at HOST:PORT ", e.g. `rejected the credentials (SASL
   * SCRAM-SHA-512 for user "alice")` or `TLS: certificate not trusted (self-signed certificate in
   * certificate chain); set BERTH_KAFKA_SSL_CA_FILE`.
   */
  readonly text: string;
}

type ErrorLike = { name?: string; message?: string; code?: string; cause?: unknown };

/** Node's codes for a certificate chain it cannot trust. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const NOT_VALID_NOW = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  for (
    let e: unknown = err;
    typeof e === 'object' && e !== null && out.length < 6;
    e = (e as ErrorLike).cause
  ) {
    out.push(e as ErrorLike);
  }
  return out;
}

function bare(message: string | undefined): string {
  return (message ?? '').replace(/^(Connection error|Failed to connect): /, '');
}

function saslFailure(e: ErrorLike, security: KafkaSecurityConfig | undefined): KafkaSecurityFailure {
  const message = e.message ?? '';
  const sasl = security?.sasl;
  const mechanism =
    sasl?.mechanism.toUpperCase() ?? /SASL (\S+) mechanism/.exec(message)?.[1] ?? 'authentication';
  if (/mechanism is not supported by the server/.test(message)) {
    return {
      kind: 'credentials',
      text: `does not accept SASL ${mechanism} (set BERTH_KAFKA_SASL_MECHANISM to one the listener enables)`,
    };
  }
  const who =
    sasl === undefined || sasl === null
      ? ''
      : sasl.mechanism === 'oauthbearer'
        ? ` with the token from ${sasl.tokenFile}`
        : ` for user "${sasl.username}"`;
  return { kind: 'credentials', text: `rejected the credentials (SASL ${mechanism}${who})` };
}

function tlsFailure(e: ErrorLike, security: KafkaSecurityConfig | undefined): KafkaSecurityFailure | null {
  const code = e.code ?? '';
  const message = bare(e.message);
  if (UNTRUSTED.has(code) || /self[- ]signed certificate|unable to (verify|get) .*cert/i.test(message)) {
    const hint = security?.tls?.ca
      ? 'is BERTH_KAFKA_SSL_CA_FILE the CA that signed the broker certificate?'
      : 'set BERTH_KAFKA_SSL_CA_FILE';
    return { kind: 'tls', text: `TLS: certificate not trusted (${message}); ${hint}` };
  }
  if (NOT_VALID_NOW.has(code)) return { kind: 'tls', text: `TLS: certificate not valid (${message})` };
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return { kind: 'tls', text: `TLS: certificate does not match the broker address (${message})` };
  }
  if (/alert certificate required|CERTIFICATE_REQUIRED/i.test(`${code} ${message}`)) {
    return {
      kind: 'tls',
      text: 'TLS: the broker requires a client certificate; set BERTH_KAFKA_SSL_CERT_FILE and BERTH_KAFKA_SSL_KEY_FILE',
    };
  }
  if (/wrong version number|before secure TLS connection was established|SSL routines/i.test(message)) {
    return { kind: 'tls', text: `TLS: handshake failed (${message}); is this a TLS listener?` };
  }
  return null;
}

/**
 * Recognizes, anywhere in a KafkaJS error's cause chain, a refused SASL authentication or a
 * failed TLS handshake; null for anything else (unreachable broker, protocol errors). With
 * `security`, the text names the mechanism and user that were tried.
 */
export function kafkaSecurityFailureOf(
  err: unknown,
  security?: KafkaSecurityConfig,
): KafkaSecurityFailure | null {
  for (const e of chain(err)) {
    if (e.name === 'KafkaJSSASLAuthenticationError') return saslFailure(e, security);
    const tls = tlsFailure(e, security);
    if (tls) return tls;
  }
  return null;
}
