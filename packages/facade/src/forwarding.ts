import type { IncomingHttpHeaders } from 'node:http';
import type { Request, RequestHandler } from 'express';

/**
 * Writes onto the incoming request the headers every target must see, before anything forwards
 * it: the request id (kept or made by requestId()), so one id follows the request through every
 * service, and X-Forwarded-For/-Proto/-Host, so a target behind the facade still knows who
 * called and how.
 */
export function forwardingHeaders(): RequestHandler {
  return (req, res, next) => {
    setHeader(req.headers, 'x-request-id', res.locals.requestId);
    setHeader(req.headers, 'x-forwarded-for', forwardedFor(req));
    setHeader(req.headers, 'x-forwarded-proto', req.protocol);
    // Undefined for an HTTP/1.0 request without a Host header, which is legal.
    setHeader(req.headers, 'x-forwarded-host', req.host);
    next();
  };
}

/**
 * Sets a header, or removes it when there is no value: http.request refuses a header whose
 * value is undefined, which would turn one odd (but legal) request into a "target down".
 */
function setHeader(headers: IncomingHttpHeaders, name: string, value: string | undefined): void {
  if (value === undefined) delete headers[name];
  else headers[name] = value;
}

/**
 * The chain of client addresses: the part of the incoming X-Forwarded-For that came from
 * proxies we trust (`trust proxy`), then the address that connected to us. An untrusted
 * client's own X-Forwarded-For is dropped: otherwise anyone could pick the IP address the
 * targets rate-limit and log.
 */
function forwardedFor(req: Request): string {
  const peer = req.socket.remoteAddress;
  return [...req.ips, ...(peer === undefined ? [] : [peer])].join(', ');
}
