import { setFlagsFromString } from 'node:v8'

/**
 * Turns off V8's allocation-site pretenuring before the first request. V8 watches each object
 * literal's allocation site and, once nearly all objects from a site survive a young-generation
 * collection, allocates that site's objects straight in the old space. A proxy under load always
 * has a few hundred requests in flight when a collection runs, so sites on the request path
 * (the request context, log records) get "tenured" although each object lives milliseconds; an
 * old-space object then keeps everything it points to (request, response, headers) alive through
 * every young collection. Measured under `npm run bench` load: young collections of 7–11 ms
 * instead of about 2, Mark-Compacts every second or so, and 1.33 × the CPU per request of the
 * same build with pretenuring off (bench/README.md, "CPU per request: relaying from undici's
 * handler, and V8's pretenuring").
 */
export default defineNitroPlugin(() => {
  setFlagsFromString('--no-allocation-site-pretenuring')
})
