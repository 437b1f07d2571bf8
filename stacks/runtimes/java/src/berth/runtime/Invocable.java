package berth.runtime;

import berth.Context;

/** The loaded handler, whatever its form: one call, the handler's own throwable passed through. */
@FunctionalInterface
interface Invocable {
  Object call(byte[] payload, Context ctx) throws Throwable;
}
