package berth.runtime;

/** The handler could not be loaded; {@code detail} (compiler diagnostics etc.) becomes the E line's stack. */
final class LoadError extends Exception {
  final String detail;

  LoadError(String message) {
    this(message, "");
  }

  LoadError(String message, String detail) {
    super(message);
    this.detail = detail;
  }
}
