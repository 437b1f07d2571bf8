package berth;

/**
 * A Berth function handler: the class named by a handler without FUNCTION ("Validator.java" or
 * "com.acme.Validator") implements this interface and has a public no-arg constructor. One instance
 * is created when the runtime loads and serves every call of that runtime, one call at a time.
 *
 * <p>Return value mapping: {@code byte[]} → bytes, {@code String} → string, {@code null} → null,
 * Map / List / arrays / Number / Boolean / String / records (nested) → JSON. A thrown exception
 * fails the call (the runtime keeps serving).
 */
@FunctionalInterface
public interface Handler {
  Object handle(byte[] payload, Context ctx) throws Exception;
}
